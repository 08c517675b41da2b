import { readFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { InProcessExecutor } from '../../../src-main/engine/exec/in-process'
import { LOG_CAP_BYTES } from '../../../src-main/engine/exec/log-capture'
import { LocalPool } from '../../../src-main/engine/exec/pool'
import type { RunOutcome } from '../../../src-main/engine/types'
import {
  failureOf,
  fixtureRef,
  fixtures,
  makeTasks,
  makeTempDir,
  outcomeCollector,
  resultOf
} from './helpers'

let temp: ReturnType<typeof makeTempDir>
let pool: LocalPool | undefined
beforeEach(() => {
  temp = makeTempDir()
})
afterEach(async () => {
  await pool?.close()
  pool = undefined
  temp.cleanup()
})

function newPool(options: ConstructorParameters<typeof LocalPool>[0] = {}): LocalPool {
  pool = new LocalPool({ processes: 2, ...options })
  return pool
}

describe('LocalPool', () => {
  it('computes 10k trivial runs with the same outcomes as the in-process executor', async () => {
    const ref = fixtureRef('trivial.ts', temp.dir)
    const tasks = makeTasks(
      ref,
      Array.from({ length: 10_000 }, (_, i) => ({ x: i, y: i % 7 }))
    )
    const pooled = outcomeCollector()
    await newPool().execute(tasks, { onOutcomes: pooled.onOutcomes })
    const inProcess = outcomeCollector()
    await new InProcessExecutor(new Map()).execute(tasks, { onOutcomes: inProcess.onOutcomes })

    expect(pooled.byId.size).toBe(10_000)
    for (const task of tasks) {
      const outcome = pooled.byId.get(task.id)!
      expect(outcome.ok).toBe(true)
      expect(outcome.batch).toBe('test')
      expect((outcome as { resultJson: string }).resultJson).toBe(
        (inProcess.byId.get(task.id) as { resultJson: string }).resultJson
      )
    }
    const last = resultOf(pooled.byId.get('run-9999'))
    expect(last).toEqual({ sum: 9999 + (9999 % 7), product: 9999 * (9999 % 7) })
    expect(JSON.parse((pooled.byId.get('run-3') as { scalarsJson: string }).scalarsJson)).toEqual({
      sum: 6,
      product: 9
    })
    // Outcomes arrive in groups, not one call per run.
    expect(pooled.groups.length).toBeLessThan(10_000 / 4)
  })

  it('resolves function parameters by name and hides private parameters from this.parameters', async () => {
    const quickstart = fixtureRef('quickstart.ts', temp.dir)
    const named = fixtureRef('named-export.ts', temp.dir)
    const tasks = [
      ...makeTasks(quickstart, [
        { A: 2, B: [2, 5, 8], operator: { $fn: 'min' } },
        { A: 3, B: [1, 9], operator: { $fn: 'Array.isArray' } }
      ]),
      {
        batch: 'test',
        id: 'named',
        runClass: named,
        params: { x: 4, _secret: 'psst', transform: { $fn: 'square' } }
      }
    ]
    const collected = outcomeCollector()
    await newPool().execute(tasks, { onOutcomes: collected.onOutcomes })
    expect(resultOf(collected.byId.get('run-0'))).toEqual({ val: 4 })
    expect(resultOf(collected.byId.get('run-1'))).toEqual({ val: 3 })
    expect(collected.byId.get('run-0')!.log).toBe('{ A: 2, B: [ 2, 5, 8 ], operator: [Function: min] }\n')
    expect(resultOf(collected.byId.get('named'))).toMatchObject({
      y: 160,
      secret: 'psst',
      keys: 'x,transform',
      here: fixtures,
      readable: true
    })
  })

  it('fails a run whose function parameter the module does not export', async () => {
    const ref = fixtureRef('quickstart.ts', temp.dir)
    const collected = outcomeCollector()
    await newPool().execute(makeTasks(ref, [{ A: 1, B: [1], operator: { $fn: 'median' } }]), {
      onOutcomes: collected.onOutcomes
    })
    expect(failureOf(collected.byId.get('run-0'))).toMatchObject({
      kind: 'error',
      message: `function 'median' is not exported by ${path.join(fixtures, 'quickstart.ts')}`
    })
  })

  it('fails only the run that throws, with a stack that points at the TypeScript line', async () => {
    const ref = fixtureRef('throws.ts', temp.dir)
    const collected = outcomeCollector()
    await newPool().execute(makeTasks(ref, [{ value: 0 }, { value: 3 }, { value: -1 }]), {
      onOutcomes: collected.onOutcomes
    })
    const file = path.join(fixtures, 'throws.ts')
    const line =
      readFileSync(file, 'utf8')
        .split('\n')
        .findIndex((text) => text.includes('throw new Error')) + 1
    const failure = failureOf(collected.byId.get('run-1'))
    expect(failure).toMatchObject({ kind: 'error', message: 'value 3 is above the limit' })
    expect(failure.stack).toContain(`${file}:${line}:`)
    expect(resultOf(collected.byId.get('run-0'))).toEqual({ value: 0 })
    expect(resultOf(collected.byId.get('run-2'))).toEqual({ value: -1 })
  })

  it('stops a run that never returns after its timeout and goes on with a fresh worker', async () => {
    const ref = fixtureRef('forever.ts', temp.dir)
    const tasks = makeTasks(ref, [
      { i: 0, hang: false },
      { i: 1, hang: true },
      ...Array.from({ length: 20 }, (_, k) => ({ i: k + 2, hang: false }))
    ])
    const collected = outcomeCollector()
    const started: string[] = []
    await newPool({ processes: 1 }).execute(tasks, {
      timeoutMs: 300,
      onOutcomes: collected.onOutcomes,
      onStarted: (ids) => started.push(...ids)
    })
    const timedOut = collected.byId.get('run-1')!
    expect(failureOf(timedOut)).toMatchObject({
      kind: 'timeout',
      message: 'took longer than the 0.3 s timeout'
    })
    expect(timedOut.runtime).toBeGreaterThanOrEqual(0.3)
    expect(collected.byId.size).toBe(22)
    for (const task of tasks.filter((t) => t.id !== 'run-1'))
      expect(resultOf(collected.byId.get(task.id))).toEqual({ i: task.params.i })
    expect(started).toContain('run-1')
  })

  it('fails an async run still pending at its timeout without stopping the worker', async () => {
    const ref = fixtureRef('async-runs.ts', temp.dir)
    const collected = outcomeCollector()
    await newPool({ processes: 1 }).execute(makeTasks(ref, [{ mode: 'never' }, { mode: 'ok', ms: 1 }]), {
      timeoutMs: 200,
      onOutcomes: collected.onOutcomes
    })
    expect(failureOf(collected.byId.get('run-0'))).toEqual({
      kind: 'timeout',
      message: 'took longer than the 0.2 s timeout'
    })
    expect(resultOf(collected.byId.get('run-1'))).toEqual({ mode: 'ok', parameters: { mode: 'ok', ms: 1 } })
  })

  it('fails an async run that rejects, or whose timer throws, and only that run', async () => {
    const ref = fixtureRef('async-runs.ts', temp.dir)
    const collected = outcomeCollector()
    await newPool({ processes: 1 }).execute(
      makeTasks(ref, [{ mode: 'reject' }, { mode: 'escape' }, { mode: 'ok' }]),
      {
        onOutcomes: collected.onOutcomes
      }
    )
    expect(failureOf(collected.byId.get('run-0'))).toMatchObject({
      kind: 'error',
      message: 'rejected after a while'
    })
    expect(failureOf(collected.byId.get('run-1'))).toMatchObject({
      kind: 'error',
      message: 'thrown from a timer'
    })
    expect(resultOf(collected.byId.get('run-2'))).toMatchObject({ mode: 'ok' })
  })

  it('stops when aborted, reporting nothing for the runs that did not finish', async () => {
    const ref = fixtureRef('forever.ts', temp.dir)
    const tasks = makeTasks(ref, [
      { i: 0, hang: false },
      ...Array.from({ length: 10 }, (_, k) => ({ i: k + 1, hang: true }))
    ])
    const collected = outcomeCollector()
    const controller = new AbortController()
    await newPool().execute(tasks, {
      signal: controller.signal,
      onOutcomes: (outcomes) => {
        collected.onOutcomes(outcomes)
        controller.abort()
      }
    })
    expect([...collected.byId.keys()]).toEqual(['run-0'])
    // The pool is still usable afterwards, with fresh workers.
    const after = outcomeCollector()
    await pool!.execute(makeTasks(ref, [{ i: 7, hang: false }]), { onOutcomes: after.onOutcomes })
    expect(resultOf(after.byId.get('run-0'))).toEqual({ i: 7 })
  })

  it('stays usable when a cancel reaches a worker only after its runs are done', async () => {
    const ref = fixtureRef('lingers.ts', temp.dir)
    // The slow run's worker is busy for a while after it: the cancel is read, and answered, late.
    const tasks = makeTasks(ref, [{ ms: 1 }, { ms: 400, busyAfterMs: 1500 }])
    const controller = new AbortController()
    const single = newPool({ processes: 1 })
    await single.execute(tasks, {
      signal: controller.signal,
      onOutcomes: (outcomes) => {
        if (outcomes.some((outcome) => outcome.id === 'run-1')) return
        // Busy past the end of the slow run: its outcome is already on its way when the cancel goes out.
        const until = performance.now() + 1000
        while (performance.now() < until);
        controller.abort()
      }
    })
    // That execute ended before the worker answered the cancel; the next one must still get the worker.
    const after = outcomeCollector()
    const next = single.execute(makeTasks(ref, [{ ms: 1 }]), { onOutcomes: after.onOutcomes })
    const stuck = new Promise((resolve) => setTimeout(resolve, 10_000)).then(() => 'stuck')
    expect(await Promise.race([next.then(() => 'done'), stuck])).toBe('done')
    expect(resultOf(after.byId.get('run-0'))).toEqual({ ms: 1 })
  })

  it('resolves at once when the signal is already aborted', async () => {
    const ref = fixtureRef('trivial.ts', temp.dir)
    const collected = outcomeCollector()
    await newPool().execute(makeTasks(ref, [{ x: 1 }]), {
      signal: AbortSignal.abort(),
      onOutcomes: collected.onOutcomes
    })
    expect(collected.byId.size).toBe(0)
  })

  it('fails only the run that crashes its worker, and computes the others', async () => {
    const ref = fixtureRef('crashes.ts', temp.dir)
    const tasks = makeTasks(
      ref,
      Array.from({ length: 40 }, (_, i) => ({ i, crashAt: 17 }))
    )
    const collected = outcomeCollector()
    await newPool().execute(tasks, { onOutcomes: collected.onOutcomes })
    expect(collected.byId.size).toBe(40)
    expect(failureOf(collected.byId.get('run-17'))).toMatchObject({
      kind: 'crashed',
      message: expect.stringContaining('signal SIGKILL')
    })
    for (let i = 0; i < 40; i++) if (i !== 17) expect(resultOf(collected.byId.get(`run-${i}`))).toEqual({ i })
  })

  it('fails only the run that calls process.exit', async () => {
    const ref = fixtureRef('exits.ts', temp.dir)
    const collected = outcomeCollector()
    await newPool().execute(
      makeTasks(
        ref,
        Array.from({ length: 10 }, (_, i) => ({ i, exitAt: 3 }))
      ),
      { onOutcomes: collected.onOutcomes }
    )
    expect(failureOf(collected.byId.get('run-3'))).toMatchObject({
      kind: 'exited',
      message: 'run() called process.exit(0)'
    })
    for (let i = 0; i < 10; i++) if (i !== 3) expect(resultOf(collected.byId.get(`run-${i}`))).toEqual({ i })
  })

  it('reports a run that exhausts the heap as out-of-memory', async () => {
    const ref = fixtureRef('out-of-memory.ts', temp.dir)
    const collected = outcomeCollector()
    await newPool({ processes: 1, maxOldSpaceMb: 64 }).execute(
      makeTasks(ref, [{ megabytes: 4 }, {}, { megabytes: 2 }]),
      {
        onOutcomes: collected.onOutcomes
      }
    )
    expect(resultOf(collected.byId.get('run-0'))).toEqual({ kept: 4 })
    expect(failureOf(collected.byId.get('run-1'))).toMatchObject({ kind: 'out-of-memory' })
    expect(resultOf(collected.byId.get('run-2'))).toEqual({ kept: 2 })
  })

  it("captures each run's console output and caps it", async () => {
    const ref = fixtureRef('chatty.ts', temp.dir)
    const collected = outcomeCollector()
    await newPool({ processes: 1 }).execute(makeTasks(ref, [{ lines: 3 }, { lines: 5000 }, { lines: 1 }]), {
      onOutcomes: collected.onOutcomes
    })
    const small = collected.byId.get('run-0')!
    expect(small.log.split('\n').map((line) => line.slice(0, 6))).toEqual([
      'line 0',
      'line 1',
      'line 2',
      'info',
      'warn',
      'debug',
      ''
    ])
    expect(small.logTruncated).toBe(false)
    const big = collected.byId.get('run-1')!
    expect(big.ok).toBe(true)
    expect(big.logTruncated).toBe(true)
    expect(Buffer.byteLength(big.log)).toBe(LOG_CAP_BYTES)
    expect(big.log.startsWith('line 0 ')).toBe(true)
    expect(collected.byId.get('run-2')!.log.startsWith('line 0 ')).toBe(true)
    expect(collected.byId.get('run-2')!.logTruncated).toBe(false)
  })

  it('fails a run whose result cannot be stored with kind unstorable', async () => {
    const ref = fixtureRef('returns-function.ts', temp.dir)
    const collected = outcomeCollector()
    await newPool({ processes: 1 }).execute(makeTasks(ref, [{ A: 2 }]), { onOutcomes: collected.onOutcomes })
    expect(failureOf(collected.byId.get('run-0'))).toMatchObject({
      kind: 'unstorable',
      message: expect.stringContaining('result.f is a function')
    })
  })

  it('fails every task of a module that cannot be loaded with kind load', async () => {
    const ref = {
      codeHash: 'f'.repeat(64),
      bundleFile: path.join(temp.dir, 'gone.cjs'),
      exportName: 'default',
      sourceFile: path.join(temp.dir, 'gone.ts')
    }
    const collected = outcomeCollector()
    await newPool({ processes: 1 }).execute(makeTasks(ref, [{}, {}]), { onOutcomes: collected.onOutcomes })
    for (const id of ['run-0', 'run-1']) {
      expect(failureOf(collected.byId.get(id))).toMatchObject({
        kind: 'load',
        message: expect.stringContaining(`cannot load the run class from ${ref.sourceFile}`)
      })
    }
  })

  it('waits for onOutcomes before handing over the next group', async () => {
    const ref = fixtureRef('trivial.ts', temp.dir)
    let busy = false
    let overlapped = false
    const seen: RunOutcome[] = []
    await newPool().execute(
      makeTasks(
        ref,
        Array.from({ length: 2000 }, (_, x) => ({ x }))
      ),
      {
        onOutcomes: async (outcomes) => {
          if (busy) overlapped = true
          busy = true
          await new Promise((resolve) => setTimeout(resolve, 5))
          seen.push(...outcomes)
          busy = false
        }
      }
    )
    expect(overlapped).toBe(false)
    expect(new Set(seen.map((o) => o.id)).size).toBe(2000)
  })

  it('rejects when onOutcomes throws', async () => {
    const ref = fixtureRef('trivial.ts', temp.dir)
    await expect(
      newPool().execute(makeTasks(ref, [{ x: 1 }, { x: 2 }]), {
        onOutcomes: () => {
          throw new Error('disk full')
        }
      })
    ).rejects.toThrow('disk full')
  })

  it('says how to build the worker script when it is missing', async () => {
    const ref = fixtureRef('trivial.ts', temp.dir)
    const script = path.join(temp.dir, 'no-worker.js')
    await expect(
      newPool({ workerScript: script }).execute(makeTasks(ref, [{ x: 1 }]), { onOutcomes: () => {} })
    ).rejects.toThrow(`The worker script ${script} does not exist: build it with \`npm run build:engine\``)
  })
})
