/**
 * User code can fail in any way and only its own run fails, with a clear reason: it throws (at once, later,
 * from a timer), loops forever (timeout), fills the JavaScript heap or memory outside it (the pool watches
 * worker memory), exits or kills its process, or prints 100 MB. The worker is replaced, the other runs
 * complete, and the engine's own memory stays bounded.
 */
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Batch } from '../../src-main/engine/batch'
import { loadRunClass } from '../../src-main/engine/compile'
import { LocalPool } from '../../src-main/engine/exec/pool'
import { makeTempFolder, removeTempFolders } from './helpers'

afterAll(() => removeTempFolders())

const hostileFile = path.join(__dirname, 'fixtures', 'hostile', 'hostile_run.ts')

const expectations: Record<string, { kind: string; message: RegExp }> = {
  throw: { kind: 'error', message: /^run \d+ throws$/ },
  reject: { kind: 'error', message: /^run \d+ rejects$/ },
  timer: { kind: 'error', message: /^run \d+ throws from a timer$/ },
  loop: { kind: 'timeout', message: /^took longer than the 3 s timeout$/ },
  heap: {
    kind: 'out-of-memory',
    message: /^ran out of memory: the worker process hit its JavaScript heap limit and was stopped$/
  },
  buffers: {
    kind: 'out-of-memory',
    message: /^used \d+ MB of memory, more than the 300 MB a worker may use, and was stopped$/
  },
  exit: { kind: 'exited', message: /^run\(\) called process\.exit\(0\)$/ },
  kill: { kind: 'crashed', message: /^the worker process died while computing this run \(signal SIGKILL\)/ }
}

describe('hostile run code', () => {
  it('fails only the run that misbehaves, with a clear reason, and computes all the others', async () => {
    const HostileRun = loadRunClass(hostileFile)
    const batch = new Batch('hostile', { path: makeTempFolder() })
    const modes = [...Object.keys(expectations), 'print']
    // Every hostile run sits between ordinary ones.
    for (const [n, mode] of modes.entries()) {
      batch.addFactorialRuns(HostileRun, { mode: ['ok'], i: [n * 10, n * 10 + 1, n * 10 + 2] })
      batch.addRun(HostileRun, { mode, i: n * 10 + 5 })
    }
    const pool = new LocalPool({ processes: 2, maxOldSpaceMb: 128, maxRssMb: 300 })
    const heapBefore = process.memoryUsage().heapUsed
    let report
    try {
      report = await batch.execute({ executor: pool, timeout: 3 })
    } finally {
      await pool.close()
    }
    const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024

    for (const run of batch.runs) {
      const { mode, i } = run.parameters as { mode: string; i: number }
      const context = `run ${i} (${mode})`
      if (mode === 'ok') {
        expect(run.status, context).toBe('done')
        expect(run.result, context).toEqual({ i, mode: 'ok' })
      } else if (mode === 'print') {
        // Printing is allowed: the run succeeds with its log capped at 64 KiB.
        expect(run.status, `${context}: ${JSON.stringify(run.error)}`).toBe('done')
        expect(run.result, context).toEqual({ i, printed: 100 })
        expect(run.log!.length, context).toBeLessThanOrEqual(64 * 1024)
      } else {
        expect(run.status, `${context}: ${JSON.stringify(run.error)}`).toBe('failed')
        expect(run.error, context).toMatchObject({
          kind: expectations[mode].kind,
          message: expect.stringMatching(expectations[mode].message)
        })
      }
    }
    expect(report).toMatchObject({ failed: Object.keys(expectations).length, computed: modes.length * 3 + 1 })
    // The 100 MB printed never reached the engine's heap (captured logs are capped, stray output drained).
    expect(heapGrowthMb).toBeLessThan(64)
    batch.close()
  }, 120_000)
})
