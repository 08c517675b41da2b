import { copyFileSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { Batch } from '../../../src-main/engine/batch'
import { verifyProject } from '../../../src-main/engine/project/verify'
import { Run } from '../../../src-main/engine/run'
import { encodeFrame, scanFrames } from '../../../src-main/engine/store/frame'

class VerifiedRun extends Run {
  override run({ i = 0 }) {
    return i === 2 ? { i, big: 'v'.repeat(1_100_000) } : { i, double: 2 * i }
  }
}

/** A project with batch 'v' of 6 stored results (run 2 in a .bdr file, the others in one segment). */
async function storedProject(): Promise<{ dir: string; res: string; ids: string[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bd-verify-'))
  writeFileSync(
    path.join(dir, 'batchdesk.json'),
    JSON.stringify({
      format: 1,
      name: 'verify',
      batches: [{ name: 'v', runClass: 'v.ts', designs: [] }],
      settings: {}
    })
  )
  const batch = new Batch('v', { path: dir })
  batch.addFactorialRuns(VerifiedRun, { i: [0, 1, 2, 3, 4, 5] })
  await batch.execute()
  const ids = batch.runs.map((run) => run.id)
  batch.close()
  return { dir, res: path.join(dir, '_res'), ids }
}

const segmentName = (res: string) => readdirSync(res).find((name) => name.endsWith('.bdseg'))!

describe('verifyProject', () => {
  it('reads every result again and finds a healthy project clean', async () => {
    const { dir } = await storedProject()
    expect(await verifyProject(dir)).toMatchObject({
      files: 2,
      results: 6,
      problems: [],
      clean: true,
      indexRebuiltWith: undefined
    })
  })

  it('names damaged, unreadable, unfinished, temporary and orphaned files in plain words', async () => {
    const { dir, res, ids } = await storedProject()
    const segment = path.join(res, segmentName(res))
    const bytes = readFileSync(segment)
    const frame = scanFrames(bytes, 0).frames.find((f) => f.body.includes(ids[4]))!
    const newer = encodeFrame(
      scanFrames(bytes, 0)
        .frames.find((f) => f.body.includes(ids[5]))!
        .body.toString()
        .replace('"format":1', '"format":2')
    )
    bytes[frame.offset + 200] ^= 0x20
    writeFileSync(segment, Buffer.concat([bytes, Buffer.from('#bd1 120 ')]))
    truncateSync(path.join(res, `v_${ids[2]}.bdr`), 1000)
    writeFileSync(path.join(res, '.v_0000000000000000000000000000000000000000.bdr.0a1b2c.tmp'), 'half')
    copyFileSync(segment, path.join(res, 'gone_s000001.bdseg'))
    writeFileSync(path.join(res, `v_${ids[5]}.bdr`), newer.text)

    const report = await verifyProject(dir)
    expect(report.clean).toBe(false)
    const messages = report.problems.map((p) => `${p.kind}: ${p.message}`)
    expect(messages).toEqual(
      expect.arrayContaining([
        `corrupt: _res/${segmentName(res)} at byte ${frame.offset}: the result of run ${ids[4]} (batch "v") is damaged (checksum mismatch). The run shows as corrupt and is computed again by the next run.`,
        `corrupt: _res/v_${ids[2]}.bdr: the result of run ${ids[2]} (batch "v") is damaged (frame cut short). The run shows as corrupt and is computed again by the next run.`,
        `unfinished-save: _res/${segmentName(res)}: the last 9 bytes are a save that never finished (Batchdesk or the computer stopped while saving). They were never reported as stored and are cut off the next time the project is opened.`,
        'temp-file: _res/.v_0000000000000000000000000000000000000000.bdr.0a1b2c.tmp: a temporary file left by an interrupted save. It is removed the next time the project is opened.',
        `orphaned: _res/gone_s000001.bdseg hold results of batch "gone", which is not in batchdesk.json. Add the batch back to use them, or delete the files.`,
        expect.stringMatching(
          /^unreadable: _res\/v_[0-9a-f]{40}\.bdr at byte 0: record format 2 is not supported \(expected 1; written by a newer Batchdesk\?\)\. The run shows as corrupt/
        )
      ])
    )
  })

  it('counts a damaged copy that an intact record supersedes as a note, not a problem', async () => {
    const { dir, res, ids } = await storedProject()
    const segment = path.join(res, segmentName(res))
    const bytes = readFileSync(segment)
    const frame = scanFrames(bytes, 0).frames.find((f) => f.body.includes(ids[1]))!
    bytes[frame.offset + 200] ^= 0x20
    writeFileSync(segment, bytes)
    const batch = new Batch('v', { path: dir })
    batch.addFactorialRuns(VerifiedRun, { i: [0, 1, 2, 3, 4, 5] })
    expect(await batch.execute()).toMatchObject({ computed: 1, cached: 5 })
    batch.close()

    const report = await verifyProject(dir)
    expect(report.problems).toEqual([])
    expect(report.clean).toBe(true)
    expect(report.notes).toEqual([
      `_res/${segmentName(res)} at byte ${frame.offset}: a damaged copy of run ${ids[1]} (batch "v"); an intact copy is stored, so nothing is lost.`
    ])
  })

  it('reports a damaged index and rebuilds it on request, repairing what opening repairs', async () => {
    const { dir, res } = await storedProject()
    const index = path.join(res, '.batchdesk', 'index.sqlite')
    writeFileSync(index, Buffer.concat([Buffer.from('garbage garbage!'), readFileSync(index).subarray(16)]))
    writeFileSync(path.join(res, '.v_1111111111111111111111111111111111111111.bdr.0a1b2c.tmp'), 'half')
    const before = await verifyProject(dir)
    expect(before.problems.map((p) => p.kind).sort()).toEqual(['index', 'temp-file'])
    expect(before.problems.find((p) => p.kind === 'index')!.message).toMatch(
      /^the run index \(_res\/\.batchdesk\/index\.sqlite\) cannot be read \(.+\)\. It is rebuilt from the result files the next time the project is opened, or now with --rebuild-index\.$/
    )

    const after = await verifyProject(dir, { rebuildIndex: true })
    expect(after).toMatchObject({ clean: true, results: 6, indexRebuiltWith: 6, problems: [] })
    expect(after.notes).toEqual([
      expect.stringMatching(
        /^_res\/\.batchdesk\/index\.sqlite\.broken-\S+: an earlier run index that was set aside/
      )
    ])
  })

  it('finds a folder without results clean, and refuses a folder that is not a project', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bd-verify-empty-'))
    await expect(verifyProject(dir)).rejects.toThrow(/is not a Batchdesk project/)
    writeFileSync(
      path.join(dir, 'batchdesk.json'),
      JSON.stringify({ format: 1, name: 'empty', batches: [], settings: {} })
    )
    mkdirSync(path.join(dir, 'other'))
    expect(await verifyProject(dir)).toMatchObject({ files: 0, results: 0, clean: true })
  })
})
