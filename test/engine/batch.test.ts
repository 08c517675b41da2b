import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { Batch, loadRunClass, type BatchProgress } from '../../src-main/engine'
import { Project } from '../../src-main/engine/project/project'

const fixtures = path.resolve(__dirname, '../fixtures/run-classes-batch')
const quickstart = path.resolve(__dirname, '../../resources/examples/quickstart')

describe('Batch', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bd-batch-'))
  })

  it('stores NaN, infinities, -0, Dates and typed arrays through workers and reads them back exactly', async () => {
    const ExoticRun = loadRunClass(path.join(fixtures, 'exotic.ts'))
    const batch = new Batch('exotic', { path: dir })
    const [run] = batch.addFactorialRuns(ExoticRun, { x: [2] })
    await batch.execute({ processes: 1 })
    const reopened = new Batch('exotic', { path: dir })
    reopened.addResultRun(run.id)
    const result = reopened.runs[0].result as Record<string, unknown>
    expect(result).toStrictEqual({
      x: 2,
      nan: NaN,
      inf: [Infinity, -Infinity],
      negativeZero: -0,
      when: new Date(Date.UTC(2026, 10, 25, 2)),
      samples: Float64Array.from([2, 2 / 3, NaN]),
      counts: new Int32Array([2, -2]),
      nested: { deep: [{ value: 4 }] }
    })
    expect(Object.is(result.negativeZero, -0)).toBe(true)
    batch.close()
    reopened.close()
  })

  it('keeps private parameters out of the id and the parameters, but passes them to run()', async () => {
    const ExoticRun = loadRunClass(path.join(fixtures, 'exotic.ts'))
    const batch = new Batch('exotic', { path: dir })
    const quiet = batch.addRun(ExoticRun, { x: 3 })
    const verbose = batch.addRun(ExoticRun, { x: 3, _verbose: true })
    expect(verbose.id).toBe(quiet.id)
    expect(verbose.parameters).toEqual({ x: 3 })
    const noisy = batch.addRun(ExoticRun, { x: 4, _verbose: true })
    await batch.execute()
    expect(noisy.log).toContain('verbose run 4')
    batch.close()
  })

  it('fails a run that throws with a stack pointing at the source line, goes on, and retries it next time', async () => {
    const ExoticRun = loadRunClass(path.join(fixtures, 'exotic.ts'))
    const batch = new Batch('exotic', { path: dir })
    batch.addFactorialRuns(ExoticRun, { x: [12, 13, 14] })
    const report = await batch.execute({ processes: 2 })
    expect(report).toMatchObject({ computed: 2, failed: 1 })
    const failed = batch.runs[1]
    expect(failed.status).toBe('failed')
    expect(failed.done).toBe(false)
    expect(failed.error?.message).toBe('thirteen is unlucky')
    const throwLine = readFileSync(path.join(fixtures, 'exotic.ts'), 'utf8').split('\n').findIndex((l) => l.includes('thirteen')) + 1
    expect(failed.error?.stack).toContain(`exotic.ts:${throwLine}`)
    expect(failed.error?.stack).not.toMatch(/compute-task|out[\\/]engine/)
    const again = await batch.execute()
    expect(again).toMatchObject({ computed: 0, cached: 2, failed: 1 })
    batch.close()
  })

  it('reports throttled progress with a rate and an ETA, ending at done = total', async () => {
    const Slowish = loadRunClass(path.join(fixtures, 'slowish.ts'))
    const batch = new Batch('slowish', { path: dir })
    batch.addFactorialRuns(Slowish, { i: Array.from({ length: 300 }, (_, i) => i), ms: 1 })
    const updates: BatchProgress[] = []
    await batch.execute({ processes: 2, onProgress: (p) => updates.push(p) })
    expect(updates.length).toBeGreaterThan(1)
    expect(updates.length).toBeLessThan(300)
    const last = updates[updates.length - 1]
    expect(last).toMatchObject({ done: 300, total: 300, computed: 300, failed: 0 })
    expect(updates.some((u) => u.runsPerSecond > 0 && u.etaSeconds !== undefined)).toBe(true)
    batch.close()
  })

  it('cancels with an AbortSignal, keeps finished results, and completes the rest later', async () => {
    const Slowish = loadRunClass(path.join(fixtures, 'slowish.ts'))
    const batch = new Batch('slowish', { path: dir })
    batch.addFactorialRuns(Slowish, { i: Array.from({ length: 200 }, (_, i) => i), ms: 30 })
    const controller = new AbortController()
    const report = await batch.execute({
      processes: 2,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done >= 10) controller.abort()
      }
    })
    expect(report.cancelled).toBe(true)
    expect(report.pending).toBeGreaterThan(0)
    const stored = batch.runs.filter((r) => r.done).length
    expect(stored).toBe(report.computed)
    const rest = await batch.execute({ processes: 2 })
    expect(rest).toMatchObject({ computed: 200 - stored, cached: stored, cancelled: false })
    batch.close()
  })

  it('stops a run that exceeds its timeout and goes on with the others', async () => {
    const Slowish = loadRunClass(path.join(fixtures, 'slowish.ts'))
    const batch = new Batch('slowish', { path: dir })
    batch.addRun(Slowish, { i: 1, ms: 60_000 })
    batch.addRun(Slowish, { i: 2, ms: 1 })
    const report = await batch.execute({ processes: 1, timeout: 0.5 })
    expect(report).toMatchObject({ computed: 1, failed: 1 })
    expect(batch.runs[0].error?.kind).toBe('timeout')
    expect(batch.runs[1].result).toEqual({ i: 2 })
    batch.close()
  })

  it('adds every stored result of a folder as result runs, and writes ids as JSON, TypeScript or Python', async () => {
    const Slowish = loadRunClass(path.join(fixtures, 'slowish.ts'))
    const source = new Batch('shared', { path: dir })
    source.addFactorialRuns(Slowish, { i: [1, 2, 3], ms: 1 })
    await source.execute()
    source.close()

    const colleague = mkdtempSync(path.join(tmpdir(), 'bd-colleague-'))
    const batch = new Batch('shared', { path: colleague })
    const runs = batch.addResultRunFolder(path.join(dir, '_res'))
    expect(runs.map((r) => r.result).sort((a, b) => (a as { i: number }).i - (b as { i: number }).i)).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }])
    expect(batch.getRunsWith({ i__ge: 2 })).toHaveLength(2)

    const ids = runs.map((r) => r.id)
    expect(readFileSync(batch.saveIds('ids.ts'), 'utf8')).toContain(`export const ids = [\n "${ids[0]}"`)
    expect(readFileSync(batch.saveIds(path.join(colleague, 'ids.py')), 'utf8')).toContain(`ids = [\n "${ids[0]}"`)
    expect(JSON.parse(readFileSync(batch.saveIds(), 'utf8'))).toEqual(ids)
    batch.close()
  })

  it('says clearly when an id has no stored result or is not an id', () => {
    const batch = new Batch('nothing', { path: dir })
    expect(() => batch.addResultRun('f'.repeat(40))).toThrow(`No stored result of batch 'nothing' has the id ${'f'.repeat(40)}`)
    expect(() => batch.addResultRun('nope')).toThrow('"nope" is not a run id')
    expect(() => new Batch('bad name/..')).toThrow('cannot be used')
    batch.close()
  })
})

describe('stale results', () => {
  it('marks results made by older code stale, still done, with the time of the change, and recomputes them on request', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bd-stale-'))
    for (const file of ['batchdesk.json', 'example_run.ts']) copyFileSync(path.join(quickstart, file), path.join(dir, file))
    let project = await Project.open(dir)
    await project.execute('example')
    project.close()

    const source = path.join(dir, 'example_run.ts')
    writeFileSync(source, readFileSync(source, 'utf8').replace('return { val: A * operator(B) }', 'return { val: A * operator(B), doubled: 2 * A * operator(B) }'))
    const changedAt = Date.now()
    project = await Project.open(dir)
    const { batch } = project.batch('example')
    expect(batch.statusCounts().stale).toBe(62)
    expect(batch.runs[0].done).toBe(true)
    expect(batch.runs[0].status).toBe('stale')
    expect(batch.staleSince(0)).toBeGreaterThanOrEqual(changedAt - 1000)

    expect(await project.execute('example')).toMatchObject({ computed: 0, cached: 62 })
    expect(await project.execute('example', { rerunStale: true })).toMatchObject({ computed: 62 })
    expect(batch.runs[0].result).toEqual({ val: 80, doubled: 160 })
    expect(batch.statusCounts().stale).toBe(0)
    project.close()
  })
})
