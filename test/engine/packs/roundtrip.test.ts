import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { exportPack, importPack, inspectPack, PackError } from '../../../src-main/engine/packs'
import { parseCondition } from '../../../src-main/engine/query/conditions'
import { acquireStore } from '../../../src-main/engine/store'
import {
  exoticRuns,
  makeEmptyProject,
  makeProject,
  makeTempFolder,
  packManifest,
  readZip,
  removeFolder,
  storedBodies,
  withProject
} from './helpers'

describe('a pack exported from one project and imported into an empty one', () => {
  let dir: string
  beforeEach(() => {
    dir = makeTempFolder()
  })
  afterEach(() => removeFolder(dir))

  it('gives identical ids, parameters and results, byte for byte apart from the origin', async () => {
    const source = await makeProject(
      path.join(dir, 'mine'),
      { sweep: exoticRuns(30), other: exoticRuns(3) },
      { author: 'Ada' }
    )
    const pack = path.join(dir, 'results.bdpack')
    const exported = await withProject(source, (project) => exportPack(project, pack))
    expect(exported.runs).toBe(33)
    expect(exported.batches).toEqual([
      { name: 'sweep', runs: 30 },
      { name: 'other', runs: 3 }
    ])

    const target = await makeEmptyProject(path.join(dir, 'theirs'))
    const report = await withProject(target, (project) =>
      importPack(pack, project, { now: new Date('2026-11-25T12:00:00Z') })
    )
    expect(report.rejected).toEqual([])
    expect(report.imported).toBe(33)
    expect(report.addedBatches).toEqual(['sweep', 'other'])
    expect(report.author).toBe('Ada')

    for (const batch of ['sweep', 'other']) {
      const before = storedBodies(source, batch)
      const after = storedBodies(target, batch)
      expect([...after.keys()].sort()).toEqual([...before.keys()].sort())
      for (const [id, body] of after) {
        const record = JSON.parse(body.toString('utf8'))
        expect(record.origin).toEqual({
          pack: 'results.bdpack',
          importedAt: '2026-11-25T12:00:00.000Z',
          packCreatedAt: expect.any(String),
          author: 'Ada'
        })
        const withoutOrigin = body
          .toString('utf8')
          .replace(`"origin":${JSON.stringify(record.origin)}`, '"origin":null')
        expect(withoutOrigin).toBe(before.get(id)!.toString('utf8'))
      }
    }

    // Decoded values survive too: NaN, -0, typed arrays, Dates, functions by name.
    const store = acquireStore(path.join(target, '_res'))
    try {
      const meta = store.listMeta('sweep').find((m) => m.parameters.A === 3)!
      const stored = store.read('sweep', meta.id)!
      const result = stored.result as Record<string, any>
      expect(result.nan).toBeNaN()
      expect(Object.is(result.negZero, -0)).toBe(true)
      expect(result.curve).toBeInstanceOf(Float64Array)
      expect(result.counts).toEqual(Int32Array.of(3, -3, 7))
      expect(result.at).toEqual(new Date(Date.UTC(2026, 0, 4)))
      expect(String(stored.parameters.operator)).toBe('max')
      expect(stored.origin?.pack).toBe('results.bdpack')
    } finally {
      store.release()
    }
  })

  it('makes the imported batches result runs of the project, with the reference code copied and never loaded', async () => {
    const source = await makeProject(path.join(dir, 'mine'), { sweep: exoticRuns(5) })
    const pack = path.join(dir, 'p.bdpack')
    await withProject(source, (project) => exportPack(project, pack))
    const target = await makeEmptyProject(path.join(dir, 'theirs'))
    await withProject(target, (project) => importPack(pack, project))

    await withProject(target, async (project) => {
      const entry = project.manifest.batches.find((b) => b.name === 'sweep')!
      expect(entry.runClass).toBe('imported/sweep/sweep_run.ts')
      expect(entry.imported?.source).toBe('p.bdpack')
      const sweep = project.batch('sweep')
      expect(sweep.runClass).toBeUndefined()
      expect(sweep.batch.runs).toHaveLength(5)
      expect(sweep.batch.runs.every((run) => run.status === 'cached')).toBe(true)
      expect(sweep.batch.selectIndices([parseCondition('A>=3')])).toHaveLength(2)
    })
    expect(readFileSync(path.join(target, 'imported/sweep/sweep_run.ts'), 'utf8')).toBe(
      readFileSync(path.join(source, 'sweep_run.ts'), 'utf8')
    )
  })

  it('exports one batch, or only the runs that meet conditions', async () => {
    const source = await makeProject(path.join(dir, 'mine'), { sweep: exoticRuns(10), other: exoticRuns(2) })
    const pack = path.join(dir, 'some.bdpack')
    const report = await withProject(source, (project) =>
      exportPack(project, pack, {
        batch: 'sweep',
        conditions: [parseCondition('A>=3'), parseCondition('A<7')]
      })
    )
    expect(report.runs).toBe(4)
    const manifest = await packManifest(pack)
    expect(manifest.batches.map((b: { name: string }) => b.name)).toEqual(['sweep'])
    expect(manifest.runs.map((r: { parameters: { A: number } }) => r.parameters.A).sort()).toEqual([
      3, 4, 5, 6
    ])

    await expect(
      withProject(source, (project) => exportPack(project, pack, { batch: 'nope' }))
    ).rejects.toThrow(/There is no batch 'nope' in this project; batches: sweep, other/)
    await expect(
      withProject(source, (project) => exportPack(project, pack, { conditions: [parseCondition('A>100')] }))
    ).rejects.toThrow(PackError)
  })

  it('writes the pack atomically: a failed export leaves no file and no temp file behind', async () => {
    const source = await makeProject(path.join(dir, 'mine'), { sweep: exoticRuns(3) })
    const pack = path.join(dir, 'out', 'p.bdpack')
    await expect(withProject(source, (project) => exportPack(project, pack))).rejects.toThrow(/ENOENT/)
    const aborted = new AbortController()
    aborted.abort()
    await expect(
      withProject(source, (project) =>
        exportPack(project, path.join(dir, 'q.bdpack'), { signal: aborted.signal })
      )
    ).rejects.toThrow()
    expect(readdirSync(dir).filter((name) => name.includes('bdpack'))).toEqual([])
  })

  it('groups records into entries of about 1 MiB and gives a large record an entry of its own', async () => {
    const big = {
      parameters: { A: 1 },
      result: { samples: new Float64Array(200_000).map((_, i) => Math.sqrt(i)) }
    }
    const zeros = { parameters: { A: 2 }, result: { samples: new Float64Array(300_000) } }
    const small = exoticRuns(40).map((run, i) => ({ ...run, parameters: { ...run.parameters, A: 10 + i } }))
    const source = await makeProject(path.join(dir, 'mine'), { sweep: [big, zeros, ...small] })
    const pack = path.join(dir, 'big.bdpack')
    await withProject(source, (project) => exportPack(project, pack))
    const entries = (await readZip(pack)).filter((entry) => entry.name.startsWith('results/'))
    expect(entries.length).toBe(3)
    // The zeros deflate 1000:1; they are stored uncompressed so importers do not take them for a zip bomb.
    const target = await makeEmptyProject(path.join(dir, 'theirs'))
    const inspection = await withProject(target, (project) => inspectPack(pack, project))
    expect(inspection.rejected).toEqual([])
    expect(inspection.totals.new).toBe(42)
  })

  it('is readable with the Python snippet in docs/packs.md', async () => {
    const source = await makeProject(path.join(dir, 'mine'), { sweep: exoticRuns(3) })
    const pack = path.join(dir, 'results.bdpack')
    await withProject(source, (project) => exportPack(project, pack))
    const doc = readFileSync(path.resolve(__dirname, '../../../docs/packs.md'), 'utf8')
    const snippet = /```python\n([\s\S]*?)```/.exec(doc)![1]
    const python = ['python3', 'python'].find((name) => spawnSync(name, ['--version']).status === 0)
    // Python is on the development machine but is not a requirement of Batchdesk: without it there is nothing to run.
    if (!python) return
    const run = spawnSync(python, ['-c', snippet], { cwd: dir, encoding: 'utf8' })
    expect(run.stderr).toBe('')
    expect(run.stdout).toContain('sweep')
    expect(run.stdout).toMatch(/sha256 ok/)
  })
})
