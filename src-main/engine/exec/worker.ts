/**
 * Entry point of a worker process (built to out/engine/worker.js, forked by LocalPool). Computes the tasks
 * it is sent, in order, and sends outcomes back in batches. User code runs guarded: its console output is
 * captured per run, process.exit() and errors escaping through callbacks fail only the run that caused them.
 *
 * Outcomes are flushed when 64 are ready, when nothing is left to do, when the oldest unsent one is older
 * than ~5 ms (checked between runs and by a timer while an async run waits), or before a run that follows
 * one that took 1 ms or more (long runs report promptly, tiny ones share messages). A flush sent just
 * before a run starts carries that start, so the pool knows what is running (for timeouts and crash
 * attribution); with `reportStarts` (a timeout is set) or a chunk's `reportStart`, every run starts that way.
 */
import { installRunApi } from '../compile/require-bundle'
import type { RunOutcome, RunTask } from '../types'
import { computeTask, type ComputeContext } from './compute-task'
import { LogCapture } from './log-capture'
import { RunModuleCache, RunModuleLoadError } from './module-cache'
import { failureOutcome } from './outcomes'
import type { FromWorkerMessage, ToWorkerMessage } from './protocol'
import { EscapedErrors, ExitInterceptor } from './run-guards'

const FLUSH_COUNT = 64
const FLUSH_AGE_MS = 5
const SLOW_RUN_MS = 1
const YIELD_EVERY_RUNS = 64
const YIELD_EVERY_MS = 5

interface QueuedChunk {
  tasks: RunTask[]
  next: number
  reportStart: boolean
}

if (typeof process.send !== 'function') {
  process.stderr.write(
    'out/engine/worker.js is a worker process: it is started by the engine, not run directly\n'
  )
  process.exit(2)
}

process.setSourceMapsEnabled(true)
installRunApi()

const capture = new LogCapture()
const exits = new ExitInterceptor()
const escapes = new EscapedErrors()
const modules = new RunModuleCache()
const context: ComputeContext = { capture, exits, escapes }
capture.install()
exits.install()
const realExit = exits.originalExit

let reportEveryStart = false
const chunks: QueuedChunk[] = []
let queued = 0
let draining = false
let cancelRequested = false
let dropped = 0
let pending: RunOutcome[] = []
let oldestPendingAt = 0
let flushTimer: NodeJS.Timeout | undefined
let activeRunStartedAt: number | undefined
let activeRunExact = false

process.on('uncaughtException', (error) => reportEscaped(error, 'uncaught exception'))
process.on('unhandledRejection', (reason) => reportEscaped(reason, 'unhandled rejection'))
// The pool closing the channel (or dying) is the signal to go.
process.on('disconnect', () => realExit(0))
process.on('message', (message: ToWorkerMessage) => {
  switch (message.type) {
    case 'init':
      reportEveryStart = message.reportStarts
      context.timeoutMs = message.timeoutMs
      break
    case 'tasks':
      chunks.push({ tasks: message.tasks, next: 0, reportStart: message.reportStart === true })
      queued += message.tasks.length
      if (!draining) void drain()
      break
    case 'cancel':
      dropped += queued
      chunks.length = 0
      queued = 0
      cancelRequested = true
      if (!draining) answerCancel()
      break
  }
})
send({ type: 'ready', pid: process.pid })

async function drain(): Promise<void> {
  draining = true
  let runsSinceYield = 0
  let lastYield = performance.now()
  let lastRunMs = 0
  for (;;) {
    const chunk = chunks[0]
    if (!chunk) break
    const task = chunk.tasks[chunk.next++]
    if (chunk.next === chunk.tasks.length) chunks.shift()
    queued--
    const now = performance.now()
    // After a run that took a while, the next one probably will too: send what is done before starting it.
    const due = pending.length > 0 && (now - oldestPendingAt > FLUSH_AGE_MS || lastRunMs >= SLOW_RUN_MS)
    const exact = reportEveryStart || chunk.reportStart
    activeRunStartedAt = Date.now()
    activeRunExact = exact
    if (due || exact) flush(activeRunStartedAt)
    const outcome = await compute(task)
    activeRunStartedAt = undefined
    activeRunExact = false
    lastRunMs = performance.now() - now
    if (pending.length === 0) oldestPendingAt = performance.now()
    pending.push(outcome)
    // An exact start promised the pool this outcome before anything else starts (with reportEveryStart
    // the next run's start message carries it).
    if (pending.length >= FLUSH_COUNT || (exact && !reportEveryStart)) flush()
    else flushTimer ??= setTimeout(onFlushTimer, FLUSH_AGE_MS)
    // Let messages in (more tasks, cancel) and timers run, without paying for it on every tiny run.
    if (++runsSinceYield >= YIELD_EVERY_RUNS || performance.now() - lastYield > YIELD_EVERY_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve))
      runsSinceYield = 0
      lastYield = performance.now()
    }
  }
  flush()
  draining = false
  if (cancelRequested) answerCancel()
}

async function compute(task: RunTask): Promise<RunOutcome> {
  try {
    return await computeTask(task, modules.load(task.runClass), context)
  } catch (error) {
    if (error instanceof RunModuleLoadError)
      return failureOutcome(task, 'load', error.message, { stack: error.causeStack })
    return failureOutcome(
      task,
      'error',
      `internal error in the worker: ${(error as Error)?.stack ?? String(error)}`
    )
  }
}

function onFlushTimer(): void {
  flushTimer = undefined
  // Fires only when the event loop is free: between runs, or while an async run waits.
  flush(activeRunStartedAt)
}

function flush(started?: number): void {
  if (flushTimer) {
    clearTimeout(flushTimer)
    flushTimer = undefined
  }
  if (pending.length === 0 && started === undefined) return
  const outcomes = pending
  pending = []
  if (started === undefined) send({ type: 'outcomes', outcomes })
  else if (activeRunExact) send({ type: 'outcomes', outcomes, started, exact: true })
  else send({ type: 'outcomes', outcomes, started })
}

function answerCancel(): void {
  flush()
  send({ type: 'cancelled', dropped })
  dropped = 0
  cancelRequested = false
}

function send(message: FromWorkerMessage): void {
  if (process.connected) process.send!(message)
}

function reportEscaped(error: unknown, what: string): void {
  if (escapes.report(error)) return
  // Outside a run (a stray timer of an earlier run): nothing to fail; the pool keeps stderr for diagnosis.
  process.stderr.write(
    `batchdesk worker: ${what} outside a run: ${(error as Error)?.stack ?? String(error)}\n`
  )
}
