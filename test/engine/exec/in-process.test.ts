import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadRunClass, runClassInfo } from '../../../src-main/engine/compile'
import { InProcessExecutor } from '../../../src-main/engine/exec/in-process'
import { LOG_CAP_BYTES } from '../../../src-main/engine/exec/log-capture'
import { Run } from '../../../src-main/engine/run-api'
import type { RunClassRef } from '../../../src-main/engine/types'
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
beforeEach(() => {
  temp = makeTempDir()
})
afterEach(() => temp.cleanup())

function double(x: number): number {
  return 2 * x
}

/** A run class defined inline, as in a batch script: no module file a worker could load. */
class InlineRun extends Run {
  override run({ x = 1, f = double, _note = '' }) {
    console.log(`x is ${x}${_note}`)
    if (x < 0) throw new Error('x must not be negative')
    return { y: f(x), keys: Object.keys(this.parameters) }
  }
}

const inlineRef: RunClassRef = { codeHash: 'inline-hash', bundleFile: '', exportName: 'default' }

describe('InProcessExecutor', () => {
  it('computes runs of a class defined inline, functions resolved from the given map', async () => {
    const executor = new InProcessExecutor(new Map([['inline-hash', InlineRun]]), {
      functions: new Map([['inline-hash', { double }]])
    })
    const collected = outcomeCollector()
    const started: string[] = []
    await executor.execute(
      makeTasks(inlineRef, [
        { x: 3, f: double, _note: '!' },
        { x: -1, f: double }
      ]),
      {
        onOutcomes: collected.onOutcomes,
        onStarted: (ids) => started.push(...ids)
      }
    )
    expect(resultOf(collected.byId.get('run-0'))).toEqual({ y: 6, keys: ['x', 'f'] })
    expect(collected.byId.get('run-0')!.log).toBe('x is 3!\n')
    expect(failureOf(collected.byId.get('run-1'))).toMatchObject({
      kind: 'error',
      message: 'x must not be negative'
    })
    expect(started).toEqual(['run-0', 'run-1'])
  })

  it('fails a run whose function parameter it cannot find, naming the class', async () => {
    const executor = new InProcessExecutor(new Map([['inline-hash', InlineRun]]))
    const collected = outcomeCollector()
    await executor.execute(makeTasks(inlineRef, [{ x: 3, f: { $fn: 'triple' } }]), {
      onOutcomes: collected.onOutcomes
    })
    expect(failureOf(collected.byId.get('run-0'))).toEqual({
      kind: 'error',
      message: "function 'triple' is not exported by the script that defines InlineRun"
    })
  })

  it('gives the same outcomes as the pool for a class loaded from a module', async () => {
    const ExampleRun = loadRunClass(path.join(fixtures, 'quickstart.ts'), { cacheDir: temp.dir })
    const ref = runClassInfo(ExampleRun)!.ref!
    const executor = new InProcessExecutor(new Map([[ref.codeHash, ExampleRun]]))
    const collected = outcomeCollector()
    await executor.execute(
      makeTasks(ref, [
        { A: 10, B: [3, 2, 4, 3, 8], operator: { $fn: 'max' } },
        { A: 2, B: [2, 5, 8], operator: { $fn: 'min' } }
      ]),
      {
        onOutcomes: collected.onOutcomes
      }
    )
    expect(resultOf(collected.byId.get('run-0'))).toEqual({ val: 80 })
    expect(resultOf(collected.byId.get('run-1'))).toEqual({ val: 4 })
    expect(collected.byId.get('run-1')!.log).toBe('{ A: 2, B: [ 2, 5, 8 ], operator: [Function: min] }\n')
  })

  it('loads a class it was not given from its compiled module', async () => {
    const ref = fixtureRef('trivial.ts', temp.dir)
    const collected = outcomeCollector()
    await new InProcessExecutor(new Map()).execute(makeTasks(ref, [{ x: 2, y: 5 }]), {
      onOutcomes: collected.onOutcomes
    })
    expect(resultOf(collected.byId.get('run-0'))).toEqual({ sum: 7, product: 10 })
  })

  it('fails a task whose class it neither has nor can load with kind load', async () => {
    const collected = outcomeCollector()
    await new InProcessExecutor(new Map()).execute(makeTasks(inlineRef, [{}]), {
      onOutcomes: collected.onOutcomes
    })
    expect(failureOf(collected.byId.get('run-0'))).toMatchObject({ kind: 'load' })
  })

  it('fails the run that calls process.exit and keeps this process alive', async () => {
    const ref = fixtureRef('exits.ts', temp.dir)
    const collected = outcomeCollector()
    const exitBefore = process.exit
    await new InProcessExecutor(new Map()).execute(
      makeTasks(ref, [
        { i: 0, exitAt: 0 },
        { i: 1, exitAt: 0 }
      ]),
      { onOutcomes: collected.onOutcomes }
    )
    expect(failureOf(collected.byId.get('run-0'))).toMatchObject({
      kind: 'exited',
      message: 'run() called process.exit(0)'
    })
    expect(resultOf(collected.byId.get('run-1'))).toEqual({ i: 1 })
    expect(process.exit).toBe(exitBefore)
  })

  it('captures console output per run, capped, and gives the console back afterwards', async () => {
    const ref = fixtureRef('chatty.ts', temp.dir)
    const collected = outcomeCollector()
    const logBefore = console.log
    const writeBefore = process.stdout.write
    await new InProcessExecutor(new Map()).execute(makeTasks(ref, [{ lines: 2 }, { lines: 3000 }]), {
      onOutcomes: collected.onOutcomes
    })
    expect(
      collected.byId
        .get('run-0')!
        .log.split('\n')
        .map((line) => line.slice(0, 6))
    ).toEqual(['line 0', 'line 1', 'info', 'warn', 'debug', ''])
    expect(collected.byId.get('run-1')!.logTruncated).toBe(true)
    expect(Buffer.byteLength(collected.byId.get('run-1')!.log)).toBe(LOG_CAP_BYTES)
    expect(console.log).toBe(logBefore)
    expect(process.stdout.write).toBe(writeBefore)
  })

  it('fails a result that cannot be stored with kind unstorable', async () => {
    const ref = fixtureRef('returns-function.ts', temp.dir)
    const collected = outcomeCollector()
    await new InProcessExecutor(new Map()).execute(makeTasks(ref, [{ A: 1 }]), {
      onOutcomes: collected.onOutcomes
    })
    expect(failureOf(collected.byId.get('run-0'))).toMatchObject({
      kind: 'unstorable',
      message: expect.stringContaining('result.f is a function')
    })
  })

  it('fails an async run still pending at the timeout', async () => {
    const ref = fixtureRef('async-runs.ts', temp.dir)
    const collected = outcomeCollector()
    await new InProcessExecutor(new Map()).execute(
      makeTasks(ref, [{ mode: 'never' }, { mode: 'ok', ms: 1 }]),
      {
        timeoutMs: 100,
        onOutcomes: collected.onOutcomes
      }
    )
    expect(failureOf(collected.byId.get('run-0'))).toEqual({
      kind: 'timeout',
      message: 'took longer than the 0.1 s timeout'
    })
    expect(resultOf(collected.byId.get('run-1'))).toMatchObject({ mode: 'ok' })
  })

  it('stops between runs when aborted, leaving the rest without outcomes', async () => {
    const ref = fixtureRef('trivial.ts', temp.dir)
    const controller = new AbortController()
    const collected = outcomeCollector()
    await new InProcessExecutor(new Map()).execute(
      makeTasks(
        ref,
        Array.from({ length: 1000 }, (_, x) => ({ x }))
      ),
      {
        signal: controller.signal,
        onStarted: (ids) => {
          if (ids.includes('run-9')) controller.abort()
        },
        onOutcomes: collected.onOutcomes
      }
    )
    expect([...collected.byId.keys()]).toEqual(Array.from({ length: 10 }, (_, i) => `run-${i}`))
  })
})
