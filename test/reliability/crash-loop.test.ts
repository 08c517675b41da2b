/**
 * Crash loop: child engines (the CLI, and a small engine script that prints what it has stored) compute a
 * batch and are SIGKILLed at random moments; separately, worker processes are killed under a running engine.
 * After every kill the project is reopened and the invariants are checked:
 * - every run the engine showed as done (and every run found done before) still is, with its exact result;
 * - no partial file under a final name (.bdr files hold one complete frame), torn segment tails are cut
 *   off on reopen, temp files are removed, `store.verify()` is clean and the index passes integrity_check;
 * - the next complete execute computes exactly the runs that were missing, and no run is failed or corrupt
 *   because of a kill (a killed worker may fail the run it was on, as 'crashed', with a clear reason).
 * Iterations: BATCHDESK_CRASH_ITERATIONS (default 200; `npm run soak` runs more), seed BATCHDESK_CRASH_SEED.
 */
import { readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Project } from '../../src-main/engine/project/project'
import { acquireStore } from '../../src-main/engine/store'
import { expectedWork } from './fixtures/work/expected'
import {
  addWorkRound,
  buildChild,
  childPids,
  cliScript,
  indexIntegrity,
  iterations,
  makeWorkProject,
  processAlive,
  randomGenerator,
  rawFolderState,
  removeTempFolders,
  sleep,
  soak,
  startNode,
  storedBytes,
  waitFor,
  workerPids,
  type ChildRun
} from './helpers'

const ITERATIONS = iterations('BATCHDESK_CRASH_ITERATIONS', soak ? 3000 : 200)
const SEED = Number(process.env.BATCHDESK_CRASH_SEED ?? Math.floor(Math.random() * 1e9))
const LANES = 2
const ROUNDS_PER_PROJECT = 3

type Kind = 'cli-kill' | 'engine-kill' | 'worker-kill'

interface Lane {
  dir: string
  round: number
  /** Every run ever seen done in this project: id → "i:round". */
  known: Map<string, string>
  doneBefore: number
  missingBefore: number
}

interface Stats {
  iterations: number
  kinds: Record<Kind, number>
  killedBeforeStore: number
  killedMidBatch: number
  completed: number
  acknowledged: number
  tornTailsCut: number
  tempsCleaned: number
  workersKilled: number
  crashedRuns: number
  runsChecked: number
}

afterAll(() => removeTempFolders())

function newLane(): Lane {
  return { dir: makeWorkProject(), round: 0, known: new Map(), doneBefore: 0, missingBefore: 120 }
}

function parseReport(run: ChildRun): {
  computed: number
  cached: number
  failed: number
  pending: number
  failures: { kind: string; message: string }[]
} {
  const line = run.lines.find((l) => l.startsWith('REPORT '))
  if (!line) throw new Error(`the engine finished without a report; stderr:\n${run.stderr()}`)
  return JSON.parse(line.slice(7))
}

/** Reopens the project (taking over the dead engine's lock) and checks every invariant; returns the done ids. */
async function checkLane(lane: Lane, acked: string[], stats: Stats, context: string): Promise<void> {
  const resDir = path.join(lane.dir, '_res')
  const raw = rawFolderState(resDir)
  expect(raw.brokenRecordFiles, `${context}: .bdr files as the kill left them`).toEqual([])
  expect(raw.damagedFrames, `${context}: frames as the kill left them`).toEqual([])
  stats.tornTailsCut += raw.tornSegments.size
  stats.tempsCleaned += raw.temps.length

  const project = await Project.open(lane.dir)
  let done: string[]
  try {
    const reopened = rawFolderState(resDir, { records: false })
    expect([...reopened.tornSegments], `${context}: torn tails after reopen`).toEqual([])
    expect(reopened.temps, `${context}: temp files after reopen`).toEqual([])
    const store = acquireStore(resDir)
    try {
      const report = await store.verify()
      expect(report, `${context}: verify`).toMatchObject({ corrupt: [], unreadable: [], missing: [] })
    } finally {
      store.release()
    }
    const { batch } = project.batch('work')
    const counts = batch.statusCounts()
    expect(counts.corrupt, `${context}: corrupt runs`).toBe(0)
    expect(counts.running, `${context}: running runs`).toBe(0)
    expect(counts.stale, `${context}: stale runs`).toBe(0)
    done = []
    for (const run of batch.runs) {
      const { i, round } = run.parameters as { i: number; round: number }
      if (run.status === 'failed') {
        // Only a killed worker may fail a run, and it says so.
        expect(run.error, `${context}: failure of ${run.id}`).toMatchObject({
          kind: 'crashed',
          message: expect.stringMatching(
            /^the worker process died while computing this run \(signal SIGKILL\)/
          )
        })
        continue
      }
      if (!run.done) continue
      done.push(run.id)
      expect(run.result, `${context}: result of run ${i}:${round}`).toEqual(expectedWork(i, round))
      stats.runsChecked++
    }
    const doneSet = new Set(done)
    for (const [id, label] of lane.known)
      expect(doneSet.has(id), `${context}: run ${label} was done before and must still be`).toBe(true)
    for (const id of acked)
      expect(doneSet.has(id), `${context}: run ${id} was shown as done by the killed engine`).toBe(true)
    for (const run of batch.runs)
      if (doneSet.has(run.id)) lane.known.set(run.id, `${run.parameters.i}:${run.parameters.round}`)
    lane.doneBefore = done.length
    lane.missingBefore = batch.runs.length - done.length
  } finally {
    project.close()
  }
  expect(indexIntegrity(resDir), `${context}: index integrity_check`).toBe('ok')

  if (lane.missingBefore === 0) {
    if (lane.round + 1 >= ROUNDS_PER_PROJECT) {
      rmSync(lane.dir, { recursive: true, force: true })
      Object.assign(lane, newLane())
    } else {
      addWorkRound(lane.dir, ++lane.round)
      lane.missingBefore = 120
    }
  }
}

/**
 * Kills the engine at a random moment after one of three anchors: its start (start-up, lock, reconcile), the
 * store being open (worker start-up, first groups), or its first stored result (the middle of the batch).
 */
async function killWhenReady(
  run: ChildRun,
  rng: ReturnType<typeof randomGenerator>,
  resDir: string,
  kind: Kind
): Promise<'killed-early' | 'killed' | 'finished'> {
  let finished = false
  void run.exited.then(() => (finished = true))
  const anchor = rng.int(0, 2)
  const lockFile = path.join(resDir, '.batchdesk', 'lock')
  const bytes = storedBytes(resDir)
  const acked = () => run.lines.some((l) => l.startsWith('ACK'))
  if (anchor === 1) {
    const storeOpen =
      kind === 'engine-kill' ? () => run.lines.includes('OPEN') : () => lockHeldBy(lockFile, run.child.pid!)
    await waitFor(() => finished || storeOpen(), 'the engine to open the store')
  } else if (anchor === 2) {
    const firstResult = kind === 'engine-kill' ? acked : () => storedBytes(resDir) > bytes
    await waitFor(() => finished || firstResult(), 'the first stored result')
  }
  await sleep(anchor === 0 ? rng.int(50, 300) : anchor === 1 ? rng.int(0, 300) : rng.int(0, 120))
  if (finished) return 'finished'
  const early = kind === 'engine-kill' ? !acked() : storedBytes(resDir) === bytes
  run.child.kill('SIGKILL')
  const { signal } = await run.exited
  if (signal !== 'SIGKILL') return 'finished'
  return early ? 'killed-early' : 'killed'
}

function lockHeldBy(lockFile: string, pid: number): boolean {
  try {
    return JSON.parse(readFileSync(lockFile, 'utf8')).pid === pid
  } catch {
    return false
  }
}

async function iteration(
  lane: Lane,
  k: number,
  rng: ReturnType<typeof randomGenerator>,
  engineScript: string,
  stats: Stats
): Promise<void> {
  const roll = rng.next()
  const kind: Kind = roll < 0.4 ? 'cli-kill' : roll < 0.8 ? 'engine-kill' : 'worker-kill'
  stats.kinds[kind]++
  const context = `iteration ${k} (${kind}, seed ${SEED}, ${lane.dir})`
  const resDir = path.join(lane.dir, '_res')
  const { doneBefore, missingBefore } = lane
  const run =
    kind === 'cli-kill'
      ? startNode(cliScript, ['run', lane.dir, '--batch', 'work', '--processes', '2'])
      : startNode(engineScript, [lane.dir, 'work', '2'])
  let workers: number[] = []
  let outcome: 'killed-early' | 'killed' | 'finished'
  if (kind === 'worker-kill') {
    let finished = false
    void run.exited.then(() => (finished = true))
    await waitFor(() => finished || workerPids(run.child.pid!).length > 0, 'a worker to start')
    await sleep(rng.int(0, 150))
    workers = workerPids(run.child.pid!)
    if (workers.length > 0) {
      process.kill(workers[rng.int(0, workers.length - 1)], 'SIGKILL')
      stats.workersKilled++
    }
    await run.exited
    outcome = 'finished'
  } else {
    workers = []
    outcome = await killWhenReady(run, rng, resDir, kind)
    // Workers of a killed engine notice the closed channel and exit once their current run is over.
    const orphans = childPids(run.child.pid!)
    await waitFor(() => orphans.every((pid) => !processAlive(pid)), `${context}: orphaned workers to exit`)
  }
  const { code } = await run.exited
  const acked = run.lines.filter((l) => l.startsWith('ACK ')).map((l) => l.slice(4))
  stats.acknowledged += acked.length

  if (outcome === 'finished') {
    stats.completed++
    expect(run.stderr(), context).not.toMatch(/^ERROR /m)
    // The complete execute computed exactly what was missing and reused everything stored.
    if (kind === 'cli-kill') {
      expect(code, `${context}: exit code; stderr ${run.stderr()}`).toBe(0)
      const summary = run.lines.find((l) => l.startsWith('work: '))
      expect(summary, context).toMatch(
        new RegExp(`^work: ${missingBefore} computed, ${doneBefore} already stored in `)
      )
    } else {
      const report = parseReport(run)
      expect(report.computed + report.failed, `${context}: computed + failed`).toBe(missingBefore)
      expect(report.cached, `${context}: already stored`).toBe(doneBefore)
      expect(report.pending, `${context}: runs left without an outcome`).toBe(0)
      if (kind !== 'worker-kill') expect(report.failed, context).toBe(0)
      for (const failure of report.failures) expect(failure.kind, context).toBe('crashed')
      stats.crashedRuns += report.failed
      expect(code, context).toBe(0)
    }
  } else if (outcome === 'killed-early') stats.killedBeforeStore++
  else stats.killedMidBatch++

  const checkStarted = Date.now()
  await checkLane(lane, acked, stats, context)
  checkMs += Date.now() - checkStarted
}
let checkMs = 0

describe('crash loop', () => {
  it(
    `loses and changes no stored result when engines and workers are SIGKILLed at random moments (${ITERATIONS} iterations)`,
    async () => {
      const engineScript = await buildChild('run-batch')
      const rng = randomGenerator(SEED)
      const stats: Stats = {
        iterations: 0,
        kinds: { 'cli-kill': 0, 'engine-kill': 0, 'worker-kill': 0 },
        killedBeforeStore: 0,
        killedMidBatch: 0,
        completed: 0,
        acknowledged: 0,
        tornTailsCut: 0,
        tempsCleaned: 0,
        workersKilled: 0,
        crashedRuns: 0,
        runsChecked: 0
      }
      const lanes = Array.from({ length: LANES }, newLane)
      let next = 0
      const started = Date.now()
      await Promise.all(
        lanes.map(async (lane) => {
          while (next < ITERATIONS) {
            const k = next++
            await iteration(lane, k, rng, engineScript, stats)
            stats.iterations++
          }
        })
      )
      console.log(
        `crash loop: ${stats.iterations} iterations (seed ${SEED}) in ${((Date.now() - started) / 1000).toFixed(0)} s: ` +
          `${stats.kinds['cli-kill']} CLI kills, ${stats.kinds['engine-kill']} engine-script kills, ${stats.kinds['worker-kill']} worker kills ` +
          `(${stats.workersKilled} workers killed, ${stats.crashedRuns} runs failed as crashed); ` +
          `${stats.killedMidBatch} killed mid-batch, ${stats.killedBeforeStore} before storing anything new, ${stats.completed} ran to the end; ` +
          `${stats.acknowledged} acknowledged results checked after kills, ${stats.runsChecked} result reads verified, ` +
          `${stats.tornTailsCut} torn segment tails cut, ${stats.tempsCleaned} temp files cleaned; ${(checkMs / 1000).toFixed(0)} s spent checking`
      )
      expect(stats.iterations).toBe(ITERATIONS)
    },
    ITERATIONS * 5000
  )
})
