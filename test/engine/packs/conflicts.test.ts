import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { exportPack, importPack, inspectPack } from '../../../src-main/engine/packs'
import { acquireStore } from '../../../src-main/engine/store'
import {
  exoticRuns,
  makeProject,
  makeTempFolder,
  manifestText,
  newResult,
  removeFolder,
  snapshotTree,
  storedBodies,
  withProject,
  type StoredRun
} from './helpers'

const NOW = new Date('2026-11-25T12:00:00Z')

/** Their project: runs A = 0…5. Mine: A = 0…2 with the same results, A = 3 with another result, A = 10 new. */
async function setUp(dir: string): Promise<{ pack: string; mine: string }> {
  const theirs = exoticRuns(6)
  const theirsDir = await makeProject(path.join(dir, 'theirs'), { sweep: theirs }, { author: 'Grace' })
  const pack = path.join(dir, 'theirs.bdpack')
  await withProject(theirsDir, (project) => exportPack(project, pack))
  const changed: StoredRun = { parameters: theirs[3].parameters, result: { val: 'mine is different' } }
  const mine = await makeProject(path.join(dir, 'mine'), {
    sweep: [theirs[0], theirs[1], theirs[2], changed, { parameters: { A: 10 }, result: 1 }]
  })
  return { pack, mine }
}

describe('importing a pack into a project that already has some of its runs', () => {
  let dir: string
  beforeEach(() => {
    dir = makeTempFolder()
  })
  afterEach(() => removeFolder(dir))

  it('counts new, already present and conflicting runs before writing anything', async () => {
    const { pack, mine } = await setUp(dir)
    const before = snapshotTree(mine, [path.join(mine, '_res', '.batchdesk')])
    const inspection = await withProject(mine, (project) => inspectPack(pack, project))
    expect(inspection.batches).toEqual([
      { name: 'sweep', listed: 6, new: 2, present: 3, conflicting: 1, rejected: 0, inProject: true }
    ])
    expect(inspection.totals).toEqual({ listed: 6, new: 2, present: 3, conflicting: 1, rejected: 0 })
    expect(inspection.conflicts).toEqual([
      { batch: 'sweep', id: expect.any(String), reason: 'a different result is stored here' }
    ])
    expect(snapshotTree(mine, [path.join(mine, '_res', '.batchdesk')])).toEqual(before)

    const dry = await withProject(mine, (project) => importPack(pack, project, { dryRun: true }))
    expect(dry.planned).toBe(2)
    expect(dry.imported).toBe(0)
    expect(snapshotTree(mine, [path.join(mine, '_res', '.batchdesk')])).toEqual(before)
  })

  it('keeps my result of a conflicting run and imports only the new ones', async () => {
    const { pack, mine } = await setUp(dir)
    const bodiesBefore = storedBodies(mine, 'sweep')
    const manifestBefore = manifestText(mine)
    const report = await withProject(mine, (project) => importPack(pack, project, { now: NOW }))
    expect(report.imported).toBe(2)
    expect(report.addedBatches).toEqual([])
    expect(report.keptBoth).toEqual([])
    const after = storedBodies(mine, 'sweep')
    expect(after.size).toBe(7)
    for (const [id, body] of bodiesBefore) expect(after.get(id)!.equals(body)).toBe(true)
    expect(manifestText(mine)).toBe(manifestBefore)

    // Again: everything is present or conflicting, nothing is written.
    const again = await withProject(mine, (project) => importPack(pack, project, { now: NOW }))
    expect(again.totals).toMatchObject({ new: 0, present: 5, conflicting: 1 })
    expect(again.imported).toBe(0)
  })

  it('with keep-both, stores their version of a conflicting run in <batch>.imported-<date> and leaves mine', async () => {
    const { pack, mine } = await setUp(dir)
    const conflictId = newResult('sweep', exoticRuns(6)[3]).id
    const mineBefore = storedBodies(mine, 'sweep').get(conflictId)!
    const report = await withProject(mine, (project) =>
      importPack(pack, project, { conflicts: 'keep-both', now: NOW })
    )
    expect(report.keptBoth).toEqual([{ batch: 'sweep', into: 'sweep.imported-20261125', runs: 1 }])
    expect(report.addedBatches).toEqual(['sweep.imported-20261125'])
    expect(report.imported).toBe(3)
    expect(storedBodies(mine, 'sweep').get(conflictId)!.equals(mineBefore)).toBe(true)

    const store = acquireStore(path.join(mine, '_res'))
    try {
      const theirs = store.read('sweep.imported-20261125', conflictId)!
      expect((theirs.result as { val: number }).val).toBeCloseTo(3.3)
      expect(theirs.origin).toMatchObject({ pack: 'theirs.bdpack', author: 'Grace' })
    } finally {
      store.release()
    }
    await withProject(mine, async (project) => {
      expect(
        project.manifest.batches.find((b) => b.name === 'sweep.imported-20261125')?.imported
      ).toMatchObject({ source: 'theirs.bdpack', author: 'Grace' })
      expect(project.batch('sweep.imported-20261125').batch.runs).toHaveLength(1)
    })

    // Importing again reuses that batch (same content), and adds nothing.
    const again = await withProject(mine, (project) =>
      importPack(pack, project, { conflicts: 'keep-both', now: NOW })
    )
    expect(again.keptBoth).toEqual([{ batch: 'sweep', into: 'sweep.imported-20261125', runs: 1 }])
    expect(again.imported).toBe(0)
    expect(again.addedBatches).toEqual([])
  })

  it('counts a damaged stored result as conflicting and does not replace it', async () => {
    const { pack, mine } = await setUp(dir)
    const id = newResult('sweep', exoticRuns(6)[0]).id
    const segment = path.join(
      mine,
      '_res',
      readdirSync(path.join(mine, '_res')).find((name) => name.endsWith('.bdseg'))!
    )
    const text = readFileSync(segment, 'latin1')
    const at = text.indexOf(`"id":"${id}"`) + 60
    writeFileSync(segment, text.slice(0, at) + (text[at] === 'x' ? 'y' : 'x') + text.slice(at + 1), 'latin1')
    const inspection = await withProject(mine, (project) => inspectPack(pack, project))
    expect(inspection.conflicts.find((c) => c.id === id)?.reason).toMatch(/damaged|cannot be read/)
  })
})
