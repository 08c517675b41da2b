import { existsSync } from 'node:fs'
import { availableParallelism, totalmem } from 'node:os'
import path from 'node:path'
import { packageRoot } from '../package-root'
import type { ExecuteTasksOptions, Executor, RunFailureKind, RunOutcome, RunTask } from '../types'
import { failureOutcome, formatSeconds } from './outcomes'
import type { FromWorkerMessage } from './protocol'
import { WorkerProcess } from './worker-process'

/** Options of a LocalPool. */
export interface LocalPoolOptions {
  /** Worker processes to run at most (forked lazily, only as many as there is work for). Default: CPU count. */
  processes?: number
  /** The worker entry script. Default: `out/engine/worker.js` under the package root (built by scripts/build-engine.mjs). */
  workerScript?: string
  /** V8 heap limit of each worker in MB (`--max-old-space-size`). Default: Node's own limit. */
  maxOldSpaceMb?: number
  /** Environment variables added to the workers' environment. */
  env?: Record<string, string | undefined>
  /**
   * Resident memory (RSS) in MB a worker may use, Buffers and native memory included; a busy worker above
   * it is killed and its run fails with kind 'out-of-memory'. Default: three quarters of the machine's
   * memory shared among the processes, at least 512 MB. Watched where the OS shows it (Linux /proc).
   */
  maxRssMb?: number
}

/** Tasks per chunk at most: a one-at-a-time round trip costs 67 µs here, 64 in flight 2.8 µs per task. */
const MAX_CHUNK = 64
/** Aim for chunks that take about this long, so long runs are spread evenly and short ones amortise IPC. */
const TARGET_CHUNK_MS = 10
/** Chunks a worker holds at once: one running, the others already waiting in its pipe. */
const CHUNKS_IN_FLIGHT = 3
/** Stop dispatching while this many outcomes wait for `onOutcomes` (back-pressure per process). */
const UNDELIVERED_PER_PROCESS = 1024
/** A run still going this long past its deadline gets its worker killed. */
const TIMEOUT_GRACE_MS = 1000
const TIMEOUT_CHECK_MS = 100
/** How often busy workers' memory is looked at. */
const MEMORY_CHECK_MS = 100
/** After an abort, busy workers get this long to finish their current run before they are killed. */
const ABORT_GRACE_MS = 500
/** Workers that die before answering, in a row, before the pool gives up. */
const MAX_STARTUP_FAILURES = 3
/** Crashes a task may be in flight for before it is failed rather than retried. */
const MAX_CRASHES_PER_TASK = 2

/**
 * Computes tasks in worker processes (child_process.fork of out/engine/worker.js, one run at a time each).
 *
 * Work is pulled, not split up front: each worker holds a few chunks and gets more as its outcomes come
 * back, and chunk size follows the observed run time (up to 64 tasks for tiny runs, 1 for long ones).
 * A run past its timeout (plus 1 s) gets its worker killed and replaced; a crash fails the run it was on
 * (kind 'crashed', or 'out-of-memory' when V8 ran out of heap) and re-queues the others; a task in flight
 * in two crashes is failed. Aborting stops dispatching, gives busy workers 0.5 s to finish the run they
 * are on, kills the rest; unfinished runs get no outcome (they stay pending).
 *
 * Workers stay alive between `execute` calls (but do not keep the parent process alive while idle);
 * `close()` ends them. One `execute` at a time; a second call waits for the first.
 */
export class LocalPool implements Executor {
  readonly #processes: number
  readonly #options: LocalPoolOptions
  #workers: WorkerProcess[] = []
  #current: PoolExecution | undefined
  #queue: Promise<void> = Promise.resolve()
  #closed = false

  constructor(options: LocalPoolOptions = {}) {
    const processes = options.processes ?? availableParallelism()
    if (!Number.isInteger(processes) || processes < 1) {
      throw new RangeError(`LocalPool: processes must be a whole number of at least 1, not ${processes}`)
    }
    if (options.maxOldSpaceMb !== undefined && !(options.maxOldSpaceMb >= 16)) {
      throw new RangeError(`LocalPool: maxOldSpaceMb must be at least 16 (MB), not ${options.maxOldSpaceMb}`)
    }
    if (options.maxRssMb !== undefined && !(options.maxRssMb >= 64)) {
      throw new RangeError(`LocalPool: maxRssMb must be at least 64 (MB), not ${options.maxRssMb}`)
    }
    this.#processes = processes
    this.#options = {
      ...options,
      maxRssMb: options.maxRssMb ?? Math.max(512, Math.floor((totalmem() * 0.75) / 1024 / 1024 / processes))
    }
  }

  /**
   * Computes every task once and passes the outcomes to `onOutcomes` in groups (awaited: a slow consumer
   * slows dispatching down). Resolves when every task has an outcome, or soon after `signal` aborts.
   * @throws Error when the worker script is missing or workers die on start-up; whatever `onOutcomes` throws
   *   (after stopping the workers' current tasks).
   */
  execute(tasks: RunTask[], options: ExecuteTasksOptions): Promise<void> {
    const run = this.#queue.then(() => this.#execute(tasks, options))
    this.#queue = run.catch(() => undefined)
    return run
  }

  async #execute(tasks: RunTask[], options: ExecuteTasksOptions): Promise<void> {
    if (this.#closed) throw new Error('LocalPool.execute: the pool is closed')
    if (tasks.length === 0 || options.signal?.aborted) return
    const execution = new PoolExecution(tasks, options, this.#processes, this.#options.maxRssMb!, {
      workers: () => this.#workers,
      spawn: () => this.#spawn(),
      remove: (worker) => {
        this.#workers = this.#workers.filter((w) => w !== worker)
      }
    })
    this.#current = execution
    for (const worker of this.#workers) {
      worker.setKeepsParentAlive(true)
      worker.send(execution.initMessage())
    }
    try {
      await execution.run()
    } finally {
      this.#current = undefined
      for (const worker of this.#workers) worker.setKeepsParentAlive(false)
    }
  }

  /** Ends every worker (busy ones are killed) and waits until they are gone. */
  async close(): Promise<void> {
    this.#closed = true
    const workers = this.#workers
    const busy = new Set(workers.filter((worker) => worker.inFlight.length > 0))
    this.#workers = []
    this.#current?.abortForClose()
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.closed) return resolve()
            worker.onceClosed(resolve)
            worker.setKeepsParentAlive(true)
            if (busy.has(worker)) worker.kill()
            else worker.disconnect()
            setTimeout(() => worker.kill(), 1000).unref()
          })
      )
    )
  }

  #spawn(): WorkerProcess {
    const script = this.#options.workerScript ?? process.env.BATCHDESK_WORKER_SCRIPT ?? defaultWorkerScript()
    if (!existsSync(script)) {
      throw new Error(`The worker script ${script} does not exist: build it with \`npm run build:engine\``)
    }
    const worker = new WorkerProcess({
      script,
      maxOldSpaceMb: this.#options.maxOldSpaceMb,
      env: this.#options.env,
      onMessage: (w, message) => this.#current?.onMessage(w, message),
      onClose: (w, code, signal) => {
        this.#workers = this.#workers.filter((other) => other !== w)
        this.#current?.onClose(w, code, signal)
      }
    })
    this.#workers.push(worker)
    return worker
  }

  /** The heap limit given to workers, for messages. */
  get maxOldSpaceMb(): number | undefined {
    return this.#options.maxOldSpaceMb
  }
}

/** `out/engine/worker.js` under the package root. */
export function defaultWorkerScript(): string {
  return path.join(packageRoot(), 'out', 'engine', 'worker.js')
}

interface WorkerRoster {
  workers(): WorkerProcess[]
  spawn(): WorkerProcess
  remove(worker: WorkerProcess): void
}

/** The state of one `execute` call. */
class PoolExecution {
  readonly #tasks: RunTask[]
  readonly #options: ExecuteTasksOptions
  readonly #processes: number
  readonly #roster: WorkerRoster
  /** Next never-dispatched task. */
  #nextFresh = 0
  /** Tasks taken back from a dead worker, dispatched before fresh ones. */
  #retry: number[] = []
  /** Re-queued after a crash nobody could be blamed for: sent one per chunk with start reports. */
  readonly #suspects = new Set<number>()
  readonly #crashes = new Map<number, number>()
  readonly #answered: Uint8Array
  #answeredCount = 0
  #undelivered: RunOutcome[] = []
  #delivering = 0
  #meanRuntimeMs: number | undefined
  #startupFailures = 0
  #stopping = false
  #failure: { error: unknown } | undefined
  #timeoutTimer: NodeJS.Timeout | undefined
  readonly #maxRssMb: number
  #memoryTimer: NodeJS.Timeout | undefined
  #abortTimer: NodeJS.Timeout | undefined
  #settle: { resolve(): void; reject(error: unknown): void } | undefined
  #onAbort = () => this.#stop()

  constructor(
    tasks: RunTask[],
    options: ExecuteTasksOptions,
    processes: number,
    maxRssMb: number,
    roster: WorkerRoster
  ) {
    this.#tasks = tasks
    this.#options = options
    this.#processes = processes
    this.#maxRssMb = maxRssMb
    this.#roster = roster
    this.#answered = new Uint8Array(tasks.length)
  }

  initMessage() {
    return {
      type: 'init' as const,
      timeoutMs: this.#options.timeoutMs,
      reportStarts: this.#options.timeoutMs !== undefined
    }
  }

  run(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#settle = { resolve, reject }
      this.#options.signal?.addEventListener('abort', this.#onAbort, { once: true })
      if (this.#options.timeoutMs !== undefined) {
        this.#timeoutTimer = setInterval(() => this.#checkTimeouts(), TIMEOUT_CHECK_MS)
      }
      this.#memoryTimer = setInterval(() => this.#checkMemory(), MEMORY_CHECK_MS)
      this.#dispatch()
    }).finally(() => {
      this.#options.signal?.removeEventListener('abort', this.#onAbort)
      clearInterval(this.#timeoutTimer)
      clearInterval(this.#memoryTimer)
      clearTimeout(this.#abortTimer)
    })
  }

  onMessage(worker: WorkerProcess, message: FromWorkerMessage): void {
    switch (message.type) {
      case 'ready':
        this.#startupFailures = 0
        return
      case 'outcomes':
        this.#acceptOutcomes(worker, message.outcomes, message.started, message.exact === true)
        return
      case 'cancelled':
        // The worker dropped what it had not started: those runs stay pending.
        worker.inFlight = []
        worker.headStartedAt = undefined
        worker.headStartExact = false
        worker.cancelling = false
        this.#afterChange()
        return
    }
  }

  onClose(worker: WorkerProcess, code: number | null, signal: NodeJS.Signals | null): void {
    this.#roster.remove(worker)
    const inFlight = worker.inFlight
    worker.inFlight = []
    if (worker.expectedExit || this.#settle === undefined) return this.#afterChange()
    if (!worker.ready) {
      // Died before saying anything: a start-up problem, not the tasks' fault.
      this.#retry.unshift(...inFlight)
      if (++this.#startupFailures >= MAX_STARTUP_FAILURES) {
        const tail = worker.stderrTail.trim()
        this.#fail(
          new Error(
            `Worker processes exit as soon as they start (${describeExit(code, signal)})${tail ? `:\n${tail}` : ''}`
          )
        )
        return
      }
      return this.#afterChange()
    }
    if (inFlight.length === 0 || this.#stopping) return this.#afterChange()
    const { kind, message } = describeCrash(worker, code, signal)
    if (worker.headStartExact) {
      const [head, ...rest] = inFlight
      this.#answer(head, failureOutcome(this.#tasks[head], kind, message, { started: worker.headStartedAt }))
      this.#retry.unshift(...rest)
    } else {
      // The worker batches outcomes, so the crash may have hit any of these; retry them one by one, with starts reported.
      const retry: number[] = []
      for (const index of inFlight) {
        const crashes = (this.#crashes.get(index) ?? 0) + 1
        this.#crashes.set(index, crashes)
        if (crashes >= MAX_CRASHES_PER_TASK)
          this.#answer(index, failureOutcome(this.#tasks[index], kind, message))
        else {
          this.#suspects.add(index)
          retry.push(index)
        }
      }
      this.#retry.unshift(...retry)
    }
    this.#afterChange()
  }

  /** close() during an execute: resolve now, the pool kills the workers. */
  abortForClose(): void {
    this.#stopping = true
    for (const worker of this.#roster.workers()) {
      worker.inFlight = []
      worker.expectedExit = true
    }
    this.#maybeFinish()
  }

  #acceptOutcomes(
    worker: WorkerProcess,
    outcomes: RunOutcome[],
    started: number | undefined,
    exact: boolean
  ): void {
    let runtimeSum = 0
    for (const outcome of outcomes) {
      const index = worker.inFlight.shift()
      if (index === undefined || this.#tasks[index].id !== outcome.id) {
        this.#fail(new Error(`Internal error: worker ${worker.pid} answered task ${outcome.id} out of order`))
        return
      }
      runtimeSum += outcome.runtime
      this.#answer(index, outcome)
    }
    if (outcomes.length > 0) {
      const mean = (runtimeSum * 1000) / outcomes.length
      this.#meanRuntimeMs = this.#meanRuntimeMs === undefined ? mean : 0.7 * this.#meanRuntimeMs + 0.3 * mean
    }
    worker.headStartedAt = started !== undefined && worker.inFlight.length > 0 ? started : undefined
    worker.headStartExact = worker.headStartedAt !== undefined && exact
    if (worker.headStartedAt !== undefined) this.#options.onStarted?.([this.#tasks[worker.inFlight[0]].id])
    this.#afterChange()
  }

  #answer(index: number, outcome: RunOutcome): void {
    if (this.#answered[index]) return
    this.#answered[index] = 1
    this.#answeredCount++
    this.#suspects.delete(index)
    this.#undelivered.push(outcome)
  }

  #afterChange(): void {
    void this.#deliver()
    this.#dispatch()
    this.#maybeFinish()
  }

  async #deliver(): Promise<void> {
    if (this.#delivering > 0 || this.#failure) return
    while (this.#undelivered.length > 0) {
      const group = this.#undelivered
      this.#undelivered = []
      this.#delivering = group.length
      try {
        await this.#options.onOutcomes(group)
      } catch (error) {
        this.#delivering = 0
        this.#fail(error)
        return
      }
      this.#delivering = 0
      this.#dispatch()
    }
    this.#maybeFinish()
  }

  #dispatch(): void {
    if (this.#stopping || this.#failure) return
    if (this.#undelivered.length + this.#delivering >= UNDELIVERED_PER_PROCESS * this.#processes) return
    try {
      while (this.#hasQueued()) {
        const worker = this.#workerWithRoom()
        if (!worker) break
        this.#sendChunk(worker)
      }
    } catch (error) {
      this.#fail(error)
    }
  }

  #hasQueued(): boolean {
    return this.#retry.length > 0 || this.#nextFresh < this.#tasks.length
  }

  #queuedCount(): number {
    return this.#retry.length + this.#tasks.length - this.#nextFresh
  }

  #chunkSize(): number {
    const mean = this.#meanRuntimeMs
    const bySpeed =
      mean === undefined
        ? 4
        : Math.min(MAX_CHUNK, Math.max(1, Math.floor(TARGET_CHUNK_MS / Math.max(mean, 1e-3))))
    // Near the end, smaller chunks keep every worker busy until the last run.
    return Math.max(1, Math.min(bySpeed, Math.ceil(this.#queuedCount() / (this.#processes * 2))))
  }

  #workerWithRoom(): WorkerProcess | undefined {
    const capacity = this.#chunkSize() * CHUNKS_IN_FLIGHT
    let best: WorkerProcess | undefined
    for (const worker of this.#roster.workers()) {
      if (worker.cancelling || worker.expectedExit || worker.closed) continue
      if (worker.inFlight.length >= capacity) continue
      if (!best || worker.inFlight.length < best.inFlight.length) best = worker
    }
    if ((!best || best.inFlight.length > 0) && this.#roster.workers().length < this.#processes) {
      const worker = this.#roster.spawn()
      worker.send(this.initMessage())
      return worker
    }
    return best
  }

  #sendChunk(worker: WorkerProcess): void {
    const suspect = this.#retry.length > 0 && this.#suspects.has(this.#retry[0])
    const size = suspect ? 1 : this.#chunkSize()
    const indices: number[] = []
    while (
      indices.length < size &&
      this.#retry.length > 0 &&
      (indices.length === 0 || !this.#suspects.has(this.#retry[0]))
    ) {
      indices.push(this.#retry.shift()!)
    }
    while (indices.length < size && !suspect && this.#nextFresh < this.#tasks.length)
      indices.push(this.#nextFresh++)
    worker.inFlight.push(...indices)
    worker.send({
      type: 'tasks',
      tasks: indices.map((i) => this.#tasks[i]),
      ...(suspect ? { reportStart: true } : {})
    })
  }

  #checkTimeouts(): void {
    const timeoutMs = this.#options.timeoutMs
    if (timeoutMs === undefined || this.#stopping) return
    const now = Date.now()
    for (const worker of [...this.#roster.workers()]) {
      const started = worker.headStartedAt
      if (
        started === undefined ||
        !worker.headStartExact ||
        worker.inFlight.length === 0 ||
        now < started + timeoutMs + TIMEOUT_GRACE_MS
      )
        continue
      const [head, ...rest] = worker.inFlight
      worker.inFlight = []
      worker.kill()
      this.#roster.remove(worker)
      const message = `took longer than the ${formatSeconds(timeoutMs)} timeout`
      this.#answer(head, failureOutcome(this.#tasks[head], 'timeout', message, { started, ended: now }))
      this.#retry.unshift(...rest)
    }
    this.#afterChange()
  }

  // Memory outside the V8 heap (Buffers, native code) has no limit of its own: a busy worker above the RSS
  // limit is killed here, and its exit is handled as a crash (blamed on the run it was on, kind out-of-memory).
  #checkMemory(): void {
    if (this.#stopping) return
    for (const worker of this.#roster.workers()) {
      if (worker.inFlight.length === 0 || worker.killedForMemoryMb !== undefined) continue
      const rssMb = worker.rssMb()
      if (rssMb === undefined || rssMb <= this.#maxRssMb) continue
      worker.killedForMemoryMb = rssMb
      worker.maxRssMb = this.#maxRssMb
      worker.child.kill('SIGKILL')
    }
  }

  #stop(): void {
    if (this.#stopping) return
    this.#stopping = true
    const busy = this.#roster.workers().filter((worker) => worker.inFlight.length > 0)
    for (const worker of busy) {
      worker.cancelling = true
      worker.send({ type: 'cancel' })
    }
    this.#abortTimer = setTimeout(() => {
      for (const worker of this.#roster.workers()) {
        if (worker.inFlight.length === 0 && !worker.cancelling) continue
        worker.inFlight = []
        worker.kill()
        this.#roster.remove(worker)
      }
      this.#maybeFinish()
    }, ABORT_GRACE_MS)
    this.#maybeFinish()
  }

  #fail(error: unknown): void {
    if (this.#failure) return
    this.#failure = { error }
    this.#stopping = true
    for (const worker of this.#roster.workers()) {
      if (worker.inFlight.length === 0) continue
      worker.inFlight = []
      worker.kill()
      this.#roster.remove(worker)
    }
    this.#maybeFinish()
  }

  #maybeFinish(): void {
    const settle = this.#settle
    if (!settle) return
    if (this.#failure) {
      if (this.#delivering > 0) return
      this.#settle = undefined
      settle.reject(this.#failure.error)
      return
    }
    if (this.#delivering > 0 || this.#undelivered.length > 0) return
    // A worker told to cancel is waited for even when its runs all answered meanwhile: its late "cancelled"
    // must not reach the next execute, which would find the worker still marked cancelling.
    const done = this.#stopping
      ? this.#roster.workers().every((worker) => worker.inFlight.length === 0 && !worker.cancelling)
      : this.#answeredCount === this.#tasks.length
    if (!done) return
    this.#settle = undefined
    settle.resolve()
  }
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit code ${code}`
}

function describeCrash(
  worker: WorkerProcess,
  code: number | null,
  signal: NodeJS.Signals | null
): { kind: RunFailureKind; message: string } {
  const tail = worker.stderrTail
  if (worker.killedForMemoryMb !== undefined) {
    return {
      kind: 'out-of-memory',
      message: `used ${worker.killedForMemoryMb} MB of memory, more than the ${worker.maxRssMb} MB a worker may use, and was stopped`
    }
  }
  if (/heap out of memory|Reached heap limit|Allocation failed/i.test(tail)) {
    return {
      kind: 'out-of-memory',
      message: 'ran out of memory: the worker process hit its JavaScript heap limit and was stopped'
    }
  }
  const lastLines = tail.trim().split('\n').slice(-5).join('\n')
  return {
    kind: 'crashed',
    message: `the worker process died while computing this run (${describeExit(code, signal)})${lastLines ? `; its last output:\n${lastLines}` : ''}`
  }
}
