import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { Batch, Run, loadRunClass } from '../../src-main/engine'
import { loadRunModuleExports } from '../../src-main/engine/compile'
import { FunctionRef } from '../../src-main/engine/params/function-ref'

const exampleFile = path.resolve(__dirname, '../../resources/examples/quickstart/example_run.ts')

// The batchpy quickstart, step by step, through the library.
describe('the batchpy quickstart', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bd-quickstart-'))
  })

  it('works end to end as the seed describes it', async () => {
    const ExampleRun = loadRunClass(exampleFile)
    const { min, max, sum, len } = loadRunModuleExports(exampleFile) as Record<string, (xs: number[]) => number>

    const batch = new Batch('example', { path: dir })
    batch.addRun(ExampleRun, { A: 10, B: [3, 2, 4, 3, 8] })
    batch.addFactorialRuns(ExampleRun, {
      A: [1, 2, 3, 4, 5],
      B: [
        [2, 5, 8],
        [1, 9, 6, 3, 9],
        [6, 4, 0, 9, 4, 1]
      ],
      operator: [min, max, sum, len]
    })
    expect(batch.runs).toHaveLength(61)

    const first = batch.runs[0]
    expect(first.parameters).toEqual({ A: 10, B: [3, 2, 4, 3, 8], operator: new FunctionRef('max') })
    expect(first.id).toMatch(/^[0-9a-f]{40}$/)
    expect(first.index).toBe(0)
    expect(first.done).toBe(false)
    expect(first.result).toBeUndefined()
    expect(first.runtime).toBeUndefined()

    const report = await batch.execute()
    expect(report).toMatchObject({ computed: 61, cached: 0, failed: 0 })
    expect(first.done).toBe(true)
    expect(first.result).toEqual({ val: 80 })
    expect(first.runtime).toBeGreaterThanOrEqual(0)
    expect(path.dirname(first.filename!)).toBe(path.join(dir, '_res'))
    expect(path.basename(first.filename!)).toMatch(/^example_/)
    expect(first.log).toContain('A')

    const selected = batch.getRunsWith({ A__le: 3, B: [2, 5, 8], operator: 'min' })
    expect(selected.map((run) => (run.result as { val: number }).val)).toEqual([2, 4, 6])
    expect(batch.getRunsWith({ A__ge: 3, B: [2, 5, 8], operator: max })).toHaveLength(3)

    // Adding a run later computes only that run.
    batch.addRun(ExampleRun, { A: 8, operator: min })
    expect(batch.runs.map((run) => run.done)).toEqual([...Array(61).fill(true), false])
    const second = await batch.execute()
    expect(second).toMatchObject({ computed: 1, cached: 61, failed: 0 })
    expect(batch.runs[61].result).toEqual({ val: 8 })

    // ResultRuns by id: the same results without the run class.
    const ids = batch.runs.map((run) => run.id)
    const resultBatch = new Batch('example', { path: dir })
    resultBatch.addResultRun(ids)
    expect(resultBatch.runs[0].result).toEqual({ val: 80 })
    expect(resultBatch.runs[0].parameters).toEqual(first.parameters)
    expect(resultBatch.runs[0].runtime).toBe(first.runtime)
    expect(resultBatch.runs.map((run) => run.result)).toEqual(batch.runs.map((run) => run.result))

    // save_ids writes every id in run order; a new batch of result runs from them reads the same results.
    const written = resultBatch.saveIds()
    expect(written).toBe(path.join(dir, '_res', 'example_ids.json'))
    const loaded = JSON.parse(readFileSync(written, 'utf8')) as string[]
    expect(loaded).toEqual(ids)
    const fromFile = new Batch('example', { path: dir })
    fromFile.addResultRun(loaded)
    expect(fromFile.runs[0].result).toEqual({ val: 80 })
    for (const b of [batch, resultBatch, fromFile]) b.close()
  })

  it('computes a run added twice, or in two designs, once', async () => {
    const ExampleRun = loadRunClass(exampleFile)
    const batch = new Batch('example', { path: dir })
    batch.addRun(ExampleRun, { A: 2, B: [2, 5, 8] })
    batch.addRun(ExampleRun, { B: [2, 5, 8], A: 2.0 })
    batch.addFactorialRuns(ExampleRun, { A: [2, 3], B: [[2, 5, 8]] })
    expect(new Set(batch.runs.map((r) => r.id)).size).toBe(2)
    const report = await batch.execute()
    expect(report.computed).toBe(2)
    expect(batch.runs.every((r) => r.done)).toBe(true)
    batch.close()
  })

  it('runs a class defined inline in this process, and says why processes > 1 is refused', async () => {
    class Square extends Run {
      override run({ x = 2 }) {
        return { y: x * x }
      }
    }
    const batch = new Batch('inline', { path: dir })
    batch.addFactorialRuns(Square, { x: [1, 2, 3] })
    await expect(batch.execute({ processes: 2 })).rejects.toThrow(/defined inline in this script/)
    const report = await batch.execute()
    expect(report.computed).toBe(3)
    expect(batch.runs.map((r) => r.result)).toEqual([{ y: 1 }, { y: 4 }, { y: 9 }])
    batch.close()
  })

  it('keeps results in memory only when saveResult is false', async () => {
    const ExampleRun = loadRunClass(exampleFile)
    const batch = new Batch('example', { path: dir, saveResult: false })
    batch.addRun(ExampleRun, { A: 10, B: [3, 2, 4, 3, 8] })
    await batch.execute()
    expect(batch.runs[0].result).toEqual({ val: 80 })
    const again = new Batch('example', { path: dir })
    again.addRun(ExampleRun, { A: 10, B: [3, 2, 4, 3, 8] })
    expect(again.runs[0].done).toBe(false)
    again.close()
  })

  it('names unknown parameters and lists the valid ones', () => {
    const ExampleRun = loadRunClass(exampleFile)
    const batch = new Batch('example', { path: dir })
    expect(() => batch.addRun(ExampleRun, { C: 1 })).toThrow("ExampleRun has no parameter 'C'; its parameters are A, B, operator")
    expect(() => batch.addFactorialRuns(ExampleRun, { A: [] })).toThrow("The parameter 'A' has no values")
    batch.close()
  })
})

describe('an inline run class with a function-valued parameter', () => {
  it('resolves the functions passed in the design by name', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bd-inline-'))
    function double(x: number) {
      return 2 * x
    }
    class Apply extends Run {
      run({ x = 1, f = double }) {
        return { y: (f as (x: number) => number)(x) }
      }
    }
    const batch = new Batch('inline', { path: dir })
    batch.addFactorialRuns(Apply, { x: [1, 2], f: [double, Math.sqrt] })
    const report = await batch.execute()
    expect(report.failed).toBe(0)
    expect(batch.runs.map((r) => r.result)).toEqual([{ y: 2 }, { y: 1 }, { y: 4 }, { y: Math.SQRT2 }])
    batch.close()
  })
})

describe('a large factorial design', () => {
  it('reuses its cached ids on reopen, and never trusts a cache that disagrees with the hash', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bd-design-cache-'))
    const ExampleRun = loadRunClass(exampleFile)
    const grid = { A: Array.from({ length: 5000 }, (_, i) => i), B: [[1], [2, 3]], operator: [new FunctionRef('min')] }
    const first = new Batch('big', { path: dir })
    first.addFactorialRuns(ExampleRun, grid)
    const ids = first.runs.map((r) => r.id)
    first.close()

    const again = new Batch('big', { path: dir })
    again.addFactorialRuns(ExampleRun, grid)
    expect(again.runs.map((r) => r.id)).toEqual(ids)
    again.close()

    // Tamper with the cache: the spot check notices and every id is recomputed.
    const Database = (await import('better-sqlite3')).default
    const db = new Database(path.join(dir, '_res', '.batchdesk', 'index.sqlite'))
    db.prepare("UPDATE design_ids SET ids = replace(ids, substr(ids, 1, 40), '0000000000000000000000000000000000000000')").run()
    db.close()
    const third = new Batch('big', { path: dir })
    third.addFactorialRuns(ExampleRun, grid)
    expect(third.runs.map((r) => r.id)).toEqual(ids)
    third.close()
  })
})

describe('function-valued parameters given by name', () => {
  it('resolve to the functions the run class module exports', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bd-fn-names-'))
    const ExampleRun = loadRunClass(exampleFile)
    const batch = new Batch('example', { path: dir })
    batch.addRun(ExampleRun, { A: 10, B: [3, 2, 4, 3, 8] })
    batch.addFactorialRuns(ExampleRun, { A: [1, 2], B: [[2, 5, 8]], operator: ['min', 'max'] })
    expect(batch.runs[1].parameters.operator).toEqual(new FunctionRef('min'))
    const report = await batch.execute({ processes: 2 })
    expect(report.failed).toBe(0)
    expect(batch.runs.map((r) => (r.result as { val: number }).val)).toEqual([80, 2, 8, 4, 16])
    batch.close()
  })
})
