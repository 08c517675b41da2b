import { createHash } from 'node:crypto'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { exportPack, importPack } from '../../../src-main/engine/packs'
import {
  exoticRuns,
  makeEmptyProject,
  makeProject,
  makeTempFolder,
  removeFolder,
  rewritePack,
  storedBodies,
  withProject,
  type CraftedEntry
} from './helpers'

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex')

interface ManifestRun {
  id: string
  sha256: string
  entry: string
  offset: number
  length: number
  parameters: Record<string, unknown>
}

/** Edits the record of run `index` (shifting the runs after it) and, with `rehash`, makes the manifest agree with the edit. */
function editRecord(
  entries: CraftedEntry[],
  index: number,
  edit: (body: string, run: ManifestRun) => string,
  rehash: boolean
): CraftedEntry[] {
  const manifestEntry = entries.find((e) => e.name === 'manifest.json')!
  const manifest = JSON.parse(manifestEntry.data.toString('utf8'))
  const run = manifest.runs[index] as ManifestRun
  const group = entries.find((e) => e.name === run.entry)!
  const body = group.data.subarray(run.offset, run.offset + run.length).toString('utf8')
  const edited = Buffer.from(edit(body, run))
  const shift = edited.length - run.length
  group.data = Buffer.concat([
    group.data.subarray(0, run.offset),
    edited,
    group.data.subarray(run.offset + run.length)
  ])
  for (const other of manifest.runs as ManifestRun[])
    if (other.entry === run.entry && other.offset > run.offset) other.offset += shift
  run.length = edited.length
  if (rehash) run.sha256 = sha256(edited)
  manifestEntry.data = Buffer.from(JSON.stringify(manifest))
  return entries
}

describe('a pack whose runs were tampered with', () => {
  let dir: string
  let pack: string
  let target: string
  beforeEach(async () => {
    dir = makeTempFolder()
    const source = await makeProject(path.join(dir, 'theirs'), { sweep: exoticRuns(6) })
    pack = path.join(dir, 'good.bdpack')
    await withProject(source, (project) => exportPack(project, pack))
    target = await makeEmptyProject(path.join(dir, 'mine'))
  })
  afterEach(() => removeFolder(dir))

  async function importTampered(edit: (entries: CraftedEntry[]) => CraftedEntry[]) {
    const bad = path.join(dir, 'bad.bdpack')
    await rewritePack(pack, bad, edit)
    return withProject(target, (project) => importPack(bad, project))
  }

  it('rejects a run whose content changed (its sha256 no longer matches) and imports the others', async () => {
    const report = await importTampered((entries) =>
      editRecord(entries, 2, (body) => body.replace('"val":2.2', '"val":9.2'), false)
    )
    expect(report.rejected).toEqual([
      {
        batch: 'sweep',
        id: expect.stringMatching(/^[0-9a-f]{40}$/),
        reason: expect.stringMatching(/does not match the sha256 in manifest.json/)
      }
    ])
    expect(report.imported).toBe(5)
    expect(storedBodies(target, 'sweep').size).toBe(5)
  })

  it('rejects a run whose id was changed together with its hash: the id is recomputed from the parameters', async () => {
    let forged = ''
    const report = await importTampered((entries) =>
      editRecord(
        entries,
        1,
        (body, run) => {
          forged = run.id.replace(/^./, run.id[0] === 'a' ? 'b' : 'a')
          const manifest = entries.find((e) => e.name === 'manifest.json')!
          const parsed = JSON.parse(manifest.data.toString('utf8'))
          parsed.runs[1].id = forged
          manifest.data = Buffer.from(JSON.stringify(parsed))
          run.id = forged
          return body.replace(/"id":"[0-9a-f]{40}"/, `"id":"${forged}"`)
        },
        true
      )
    )
    expect(report.rejected).toHaveLength(1)
    expect(report.rejected[0].id).toBe(forged)
    expect(report.rejected[0].reason).toMatch(
      /its id does not match its parameters \(they give [0-9a-f]{40}\)/
    )
    expect(report.imported).toBe(5)
  })

  it('rejects a run whose parameters were changed in the record and the manifest alike', async () => {
    const report = await importTampered((entries) =>
      editRecord(
        entries,
        4,
        (body, run) => {
          run.parameters.A = 5
          return body.replace('"parameters":{"A":4', '"parameters":{"A":5')
        },
        true
      )
    )
    expect(report.rejected.map((r) => r.reason)).toEqual([
      expect.stringMatching(/its id does not match its parameters/)
    ])
  })

  it.each([
    [
      'a __proto__ key in its result',
      (body: string) => body.replace('"nested":', '"__proto__":'),
      /has the key "__proto__" at result\.value\.__proto__/
    ],
    [
      'a constructor key in its parameters',
      (body: string) => body.replace('"label":', '"constructor":'),
      /has the key "constructor" at parameters.constructor/
    ],
    [
      'a record that is not JSON',
      (body: string) => body.replace('{"format"', '["format"'),
      /is not valid JSON/
    ],
    [
      'a record of another format version',
      (body: string) => body.replace('{"format":1', '{"format":7'),
      /malformed: format/
    ],
    ['an unknown field', (body: string) => body.replace('"host":', '"hxst":'), /malformed/]
  ])('rejects a run with %s', async (_what, edit, reason) => {
    const report = await importTampered((entries) => editRecord(entries, 0, edit, true))
    expect(report.rejected.map((r) => r.reason)).toEqual([expect.stringMatching(reason)])
    expect(report.imported).toBe(5)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('rejects a run whose record nests deeper than 256 levels, before parsing it', async () => {
    const deep = '['.repeat(300) + ']'.repeat(300)
    const report = await importTampered((entries) =>
      editRecord(entries, 0, (body) => body.replace('"nested":{', `"nested":{"d":${deep},`), true)
    )
    expect(report.rejected.map((r) => r.reason)).toEqual([
      expect.stringMatching(/nests objects or arrays deeper than 256 levels/)
    ])
    expect(report.imported).toBe(5)
  })

  it('rejects a run whose place in its entry overlaps another run', async () => {
    const report = await importTampered((entries) => {
      const manifestEntry = entries.find((e) => e.name === 'manifest.json')!
      const manifest = JSON.parse(manifestEntry.data.toString('utf8'))
      manifest.runs[1].offset = manifest.runs[0].offset + 1
      manifestEntry.data = Buffer.from(JSON.stringify(manifest))
      return entries
    })
    expect(report.rejected.map((r) => r.reason)).toEqual([expect.stringMatching(/overlap/)])
  })
})
