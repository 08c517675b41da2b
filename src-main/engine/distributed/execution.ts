import type { Queue } from 'bullmq'
import type Redis from 'ioredis'
import { failureOutcome } from '../exec/outcomes'
import type { ExecuteTasksOptions, RunClassRef, RunFailureKind, RunOutcome, RunTask } from '../types'
import { chunkJobData, parseChunkJob, parseResultEntry, type ChunkJobData } from './chunk-job'
import { chunkSize, jobsInFlight } from './chunk-plan'
import { publishRunCode } from './code-store'
import { summarizeJobFailure } from './job-failure'
import {
  ALIVE_TTL_MS,
  aliveKey,
  cancelChannel,
  chunkJobId,
  doneKey,
  jobsKey,
  resultsKey,
  type RedisLayout
} from './keys'
import type { StatusListener } from './redis-executor'
import { countLiveWorkers } from './worker-census'

/** Longest a blocking read of the results waits: the loop also checks job states and the abort signal. */
const READ_BLOCK_MS = 250
/** Results stream entries read at once (each holds up to ~1 MiB of outcomes). */
const READ_COUNT = 64
/** After an abort, how long active chunks get to send the outcomes of the runs they finished. */
const ABORT_GRACE_MS = 2000
/** A chunk that vanishes from Redis unfinished this often fails its runs instead of being sent again. */
const MAX_RESENDS = 5
/** BullMQ keeps a failed chunk this long, so an engine that comes back can still read why. */
const KEEP_FAILED_SECONDS = 7 * 24 * 3600

/** What an execution needs from its executor: connections, where things are, and settings. */
export interface ExecutionContext {
  command: Redis
  blocking: Redis
  queue: Queue
  layout: RedisLayout
  namespace: string
  label: string
  checkIntervalMs: number
  jobAttempts: number
  onStatus?: StatusListener
  /** Rejects (with a clear error) when Redis stays away too long; never resolves. */
  lost: Promise<never>
  /** True once the connection came back since this was last reset: job states must be checked. */
  takeReconnected(): boolean
  /** When the connection last came back (performance.now()); -Infinity if never, +Infinity while it is down. */
  reconnectedAt(): number
}

/** Runs of one batch sharing one run class: they may share a chunk. */
interface TaskGroup {
  ref: RunClassRef
  batch: string
  /** Task indices not yet sent, in order; `cursor` is the next one. */
  queue: number[]
  cursor: number
}

/** A chunk job this execution waits for. */
interface TrackedJob {
  id: string
  batch: string
  group: TaskGroup
  indices: number[]
  data: ChunkJobData
  started: boolean
  resends: number
}

/**
 * One `RedisExecutor.execute` call: sends chunks, reads outcomes, watches the chunks until every task has
 * exactly one outcome. Each pass of the loop sends what the window allows, reads results (blocking up to
 * 250 ms), hands them to `onOutcomes` (awaited: the batch stores them durably), then deletes them from
 * the stream. About once a second it checks the jobs: a failed one fails its unfinished runs; the
 * unfinished runs of a vanished one (Redis restarted empty) are sent again, unless a worker still
 * computes them.
 */
export class RedisExecution {
  readonly #tasks: RunTask[]
  readonly #options: ExecuteTasksOptions
  readonly #context: ExecutionContext
  /** Task index by batch, then run id (the ids are the tasks' own strings: nothing is copied). */
  readonly #indexOf = new Map<string, Map<string, number>>()
  readonly #groupOf: TaskGroup[]
  readonly #groups: TaskGroup[] = []
  readonly #answered: Uint8Array
  /** 1 while a task is in a tracked job. */
  readonly #sent: Uint8Array
  #answeredCount = 0
  readonly #jobs = new Map<string, TrackedJob>()
  /** Last stream id read, per batch stream. */
  readonly #lastIds = new Map<string, string>()
  #undelivered: RunOutcome[] = []
  /** Stream entries whose outcomes are now durable or unwanted, to delete after the next delivery. */
  #readEntries = new Map<string, string[]>()
  #settledJobs: TrackedJob[] = []
  #meanRuntimeMs: number | undefined
  #slots = 0
  #announcedSlots: number | undefined
  #noWorkersSince: number | undefined

  constructor(tasks: RunTask[], options: ExecuteTasksOptions, context: ExecutionContext) {
    this.#tasks = tasks
    this.#options = options
    this.#context = context
    this.#abandoned.catch(() => undefined)
    this.#answered = new Uint8Array(tasks.length)
    this.#sent = new Uint8Array(tasks.length)
    const byKey = new Map<string, TaskGroup>()
    this.#groupOf = tasks.map((task, index) => {
      let ids = this.#indexOf.get(task.batch)
      if (!ids) this.#indexOf.set(task.batch, (ids = new Map()))
      ids.set(task.id, index)
      const { codeHash, exportName, sourceFile, bundleFile } = task.runClass
      const key = `${task.batch}\u0000${codeHash}\u0000${exportName}\u0000${sourceFile ?? ''}\u0000${bundleFile}`
      let group = byKey.get(key)
      if (!group) {
        group = { ref: task.runClass, batch: task.batch, queue: [], cursor: 0 }
        byKey.set(key, group)
        this.#groups.push(group)
      }
      group.queue.push(index)
      if (!this.#lastIds.has(task.batch)) this.#lastIds.set(task.batch, '0')
      return group
    })
  }

  async run(): Promise<void> {
    const signal = this.#options.signal
    // Cancelling while Redis is away cannot wait for it: the engine leaves its chunks to the next execute.
    const watch = setInterval(() => {
      if (signal?.aborted && this.#context.reconnectedAt() === Infinity)
        this.#abandon(new AbandonedWhileDisconnected())
    }, 200)
    try {
      this.#failUnsendable()
      await this.#redis(this.#publishCode())
      await this.#redis(this.#countWorkers())
      await this.#redis(this.#recover())
      await this.#deliver()
      let lastCheck = performance.now()
      while (this.#answeredCount < this.#tasks.length) {
        if (signal?.aborted) return await this.#stop()
        await this.#redis(this.#dispatch())
        await this.#redis(this.#read(READ_BLOCK_MS))
        await this.#deliver()
        const reconnected = this.#context.takeReconnected()
        if (reconnected || performance.now() - lastCheck >= this.#context.checkIntervalMs) {
          lastCheck = performance.now()
          await this.#redis(this.#check(reconnected))
          await this.#deliver()
        }
      }
    } catch (error) {
      // Outcomes already read are stored even so (their stream entries stay: the next execute skips them).
      const outcomes = this.#undelivered
      this.#undelivered = []
      if (outcomes.length > 0) await this.#options.onOutcomes(outcomes)
      if (error instanceof AbandonedWhileDisconnected) return
      throw error
    } finally {
      clearInterval(watch)
    }
  }

  // ---- sending -----------------------------------------------------------------------------------------

  /** Runs of classes defined inline in a script have no module a worker could load. */
  #failUnsendable(): void {
    for (let index = 0; index < this.#tasks.length; index++) {
      const task = this.#tasks[index]
      if (task.runClass.bundleFile) continue
      this.#answer(
        index,
        failureOutcome(
          task,
          'load',
          'this run class is defined inline in a script, so only that process can run it; put it in its own module file (loaded with loadRunClass) to run it on workers'
        )
      )
    }
  }

  async #publishCode(): Promise<void> {
    const published = new Set<string>()
    for (const group of this.#groups) {
      if (!group.ref.bundleFile || published.has(group.ref.codeHash)) continue
      published.add(group.ref.codeHash)
      await publishRunCode(this.#context.command, this.#context.layout, group.ref)
    }
  }

  async #dispatch(): Promise<void> {
    const window = jobsInFlight(this.#slots)
    if (this.#jobs.size >= window) return
    const remaining = this.#tasks.length - this.#answeredCount
    const fresh: TrackedJob[] = []
    for (const group of this.#groups) {
      while (this.#jobs.size + fresh.length < window) {
        const size = chunkSize({ slots: this.#slots, meanRuntimeMs: this.#meanRuntimeMs, remaining })
        const indices: number[] = []
        while (indices.length < size && group.cursor < group.queue.length) {
          const index = group.queue[group.cursor++]
          if (!this.#answered[index] && !this.#sent[index]) indices.push(index)
        }
        if (indices.length === 0) break
        fresh.push(this.#newJob(group, indices))
      }
    }
    if (fresh.length === 0) return
    await this.#addJobs(fresh)
  }

  #newJob(group: TaskGroup, indices: number[]): TrackedJob {
    const { layout, namespace } = this.#context
    const tasks = indices.map((index) => this.#tasks[index])
    const id = chunkJobId(
      namespace,
      group.batch,
      group.ref.codeHash,
      tasks.map((task) => task.id)
    )
    const data = chunkJobData(
      tasks,
      { results: resultsKey(layout, namespace, group.batch), done: doneKey(layout, id) },
      this.#options.timeoutMs
    )
    for (const index of indices) this.#sent[index] = 1
    return { id, batch: group.batch, group, indices, data, started: false, resends: 0 }
  }

  /**
   * Queues jobs (an existing id is left alone: that is what makes sending again safe). The ids go into the
   * batch's job set first, so an engine that dies right after still finds them next time.
   */
  async #addJobs(jobs: TrackedJob[]): Promise<void> {
    const { command, queue, layout, namespace } = this.#context
    const pipeline = command.pipeline()
    for (const job of jobs) pipeline.sadd(jobsKey(layout, namespace, job.batch), job.id)
    await pipeline.exec()
    await queue.addBulk(
      jobs.map((job) => ({
        name: 'chunk',
        data: job.data,
        opts: {
          jobId: job.id,
          attempts: this.#context.jobAttempts,
          backoff: { type: 'exponential', delay: 1000 },
          removeOnComplete: true,
          removeOnFail: { age: KEEP_FAILED_SECONDS }
        }
      }))
    )
    for (const job of jobs) this.#jobs.set(job.id, job)
  }

  // ---- receiving ---------------------------------------------------------------------------------------

  /** Reads outcomes: blocking up to `blockMs` (on the blocking connection), or whatever is there (0). */
  async #read(blockMs: number): Promise<boolean> {
    const batches = [...this.#lastIds.keys()]
    const keys = batches.map((batch) => resultsKey(this.#context.layout, this.#context.namespace, batch))
    const ids = batches.map((batch) => this.#lastIds.get(batch)!)
    const reply =
      blockMs > 0
        ? await this.#context.blocking.xread(
            'COUNT',
            READ_COUNT,
            'BLOCK',
            blockMs,
            'STREAMS',
            ...keys,
            ...ids
          )
        : await this.#context.command.xread('COUNT', READ_COUNT, 'STREAMS', ...keys, ...ids)
    if (!reply) return false
    for (const [key, entries] of reply) {
      const batch = batches[keys.indexOf(key)]
      for (const [entryId, fields] of entries) {
        this.#lastIds.set(batch, entryId)
        let list = this.#readEntries.get(key)
        if (!list) this.#readEntries.set(key, (list = []))
        list.push(entryId)
        this.#acceptEntry(batch, fields)
      }
    }
    return true
  }

  /** Reads everything the streams hold right now. */
  async #drain(): Promise<void> {
    while (await this.#read(0)) {
      // Deliver as we go: a long stream must not pile up in memory.
      await this.#deliver()
    }
  }

  #acceptEntry(batch: string, fields: string[]): void {
    const entry = parseResultEntry(fields)
    let runtimeSum = 0
    let runtimeCount = 0
    for (const outcome of entry.outcomes) {
      const index = this.#indexOf.get(batch)?.get((outcome as { id?: string })?.id ?? '')
      if (index === undefined || this.#answered[index]) continue
      // An outcome of other code (the run class changed since it was sent) is not this run's result.
      if (this.#groupOf[index].ref.codeHash !== entry.codeHash) continue
      const checked = checkedOutcome(this.#tasks[index], outcome)
      this.#answer(index, checked)
      if (checked.ok) {
        runtimeSum += checked.runtime
        runtimeCount++
      }
    }
    if (runtimeCount > 0) {
      const mean = (runtimeSum * 1000) / runtimeCount
      this.#meanRuntimeMs = this.#meanRuntimeMs === undefined ? mean : 0.7 * this.#meanRuntimeMs + 0.3 * mean
    }
    const job = this.#jobs.get(entry.jobId)
    if (job && job.indices.every((index) => this.#answered[index])) this.#settle(job)
  }

  #answer(index: number, outcome: RunOutcome): void {
    if (this.#answered[index]) return
    this.#answered[index] = 1
    this.#answeredCount++
    this.#undelivered.push(outcome)
  }

  /** A job this execution no longer waits for; forgotten in Redis after the next delivery. */
  #settle(job: TrackedJob): void {
    if (!this.#jobs.delete(job.id)) return
    this.#settledJobs.push(job)
  }

  /**
   * Hands outcomes to the batch (which stores them durably before resolving), then deletes the stream
   * entries they came in: an engine that dies in between finds them again and stores them then.
   */
  async #deliver(): Promise<void> {
    if (this.#undelivered.length > 0) {
      const group = this.#undelivered
      this.#undelivered = []
      await this.#options.onOutcomes(group)
    }
    if (this.#readEntries.size === 0 && this.#settledJobs.length === 0) return
    const { command, layout, namespace } = this.#context
    const pipeline = command.pipeline()
    for (const [key, ids] of this.#readEntries) pipeline.xdel(key, ...ids)
    for (const job of this.#settledJobs) {
      // Sent again under the same id (it vanished with all its runs unfinished): still wanted.
      if (this.#jobs.has(job.id)) continue
      pipeline.srem(jobsKey(layout, namespace, job.batch), job.id)
      pipeline.del(job.data.done)
    }
    this.#readEntries = new Map()
    this.#settledJobs = []
    await this.#redis(pipeline.exec())
  }

  // ---- watching jobs -----------------------------------------------------------------------------------

  /**
   * Checks every job waited for: started ones mark their runs running, failed ones fail their unfinished
   * runs, vanished ones with unfinished runs are sent again. After a reconnect the code is sent again
   * too (a Redis that restarted empty lost it).
   */
  async #check(reconnected: boolean): Promise<void> {
    const { command, queue, layout } = this.#context
    await this.#countWorkers()
    if (reconnected) await this.#publishCode()
    const jobs = [...this.#jobs.values()]
    if (jobs.length === 0) return
    const pipeline = command.pipeline()
    for (const job of jobs) pipeline.hmget(queue.toKey(job.id), 'timestamp', 'processedOn', 'finishedOn')
    const replies = (await pipeline.exec()) ?? []
    const missing: TrackedJob[] = []
    const failed: TrackedJob[] = []
    jobs.forEach((job, i) => {
      const [error, fields] = replies[i] ?? []
      if (error) throw error
      const [timestamp, processedOn, finishedOn] = fields as (string | null)[]
      if (timestamp === null) missing.push(job)
      else if (finishedOn !== null) failed.push(job)
      else if (processedOn !== null && !job.started) {
        job.started = true
        this.#options.onStarted?.(this.#unanswered(job).map((index) => this.#tasks[index].id))
      }
    })
    // A job finishes after its worker published its outcomes: read them before deciding a job is lost.
    if (missing.length > 0) await this.#drain()
    const lost = missing.filter((job) => this.#jobs.has(job.id))
    if (lost.length > 0) {
      const alive = await Promise.all(lost.map((job) => command.exists(aliveKey(layout, job.id))))
      // A worker still computing it (Redis restarted under it) sends its outcomes all the same. Right
      // after a reconnect, a worker may not have said so yet: its alive key comes back within the TTL.
      const settled = performance.now() - this.#context.reconnectedAt() >= ALIVE_TTL_MS
      const resend = lost.filter((_, i) => alive[i] === 0 && settled)
      await this.#resend(resend)
    }
    for (const job of failed) await this.#readFailure(job)
  }

  /**
   * Sends the unfinished runs of vanished jobs again, as new chunks (their finished runs are not sent;
   * a job that vanishes too often fails its runs instead).
   */
  async #resend(jobs: TrackedJob[]): Promise<void> {
    const fresh: TrackedJob[] = []
    for (const job of jobs) {
      const unanswered = this.#unanswered(job)
      if (job.resends >= MAX_RESENDS) {
        this.#failJob(job, {
          kind: 'crashed',
          message: `the chunk holding this run vanished from Redis ${MAX_RESENDS + 1} times before it finished (Redis restarted without saving, or something removed the job)`
        })
        continue
      }
      this.#settle(job)
      if (unanswered.length === 0) continue
      const again = this.#newJob(job.group, unanswered)
      again.resends = job.resends + 1
      fresh.push(again)
    }
    if (fresh.length > 0) await this.#addJobs(fresh)
  }

  async #readFailure(job: TrackedJob): Promise<void> {
    const { queue } = this.#context
    const stored = await queue.getJob(job.id)
    const { logs } = await queue.getJobLogs(job.id)
    const summary = summarizeJobFailure({
      failedReason: stored?.failedReason ?? '',
      logs,
      runs: job.data.tasks.length
    })
    this.#failJob(job, summary)
    // Read: the job has told all it can. Removing it lets the same chunk be sent again by a later retry.
    await queue.remove(job.id)
  }

  #failJob(job: TrackedJob, failure: { kind: RunFailureKind; message: string; host?: string }): void {
    for (const index of this.#unanswered(job)) {
      const outcome = failureOutcome(this.#tasks[index], failure.kind, failure.message)
      this.#answer(index, failure.host ? { ...outcome, host: failure.host } : outcome)
    }
    this.#settle(job)
  }

  #unanswered(job: TrackedJob): number[] {
    return job.indices.filter((index) => !this.#answered[index])
  }

  /** Worker processes with a live heartbeat; says so when there are none, or when the number changes. */
  async #countWorkers(): Promise<void> {
    const { command, layout, label } = this.#context
    const now = Date.now()
    const { processes: slots, machines } = await countLiveWorkers(command, layout)
    this.#slots = slots
    if (slots > 0) this.#noWorkersSince = undefined
    if (slots === this.#announcedSlots) return
    if (slots === 0 && this.#announcedSlots !== undefined) {
      // Workers that were there renew their heartbeat every 2 s (at once after a reconnect): only a
      // silence longer than that means they are gone.
      this.#noWorkersSince ??= now
      if (now - this.#noWorkersSince < ALIVE_TTL_MS) return
    }
    this.#announcedSlots = slots
    this.#context.onStatus?.(
      slots === 0
        ? `No Batchdesk worker is pulling from queue '${layout.queue}' at ${label} yet; runs wait in the queue until one starts (batchdesk worker --redis ${label})`
        : `${slots} worker process${slots === 1 ? '' : 'es'} on ${machines} machine(s) pulling from queue '${layout.queue}' at ${label}`,
      slots === 0 ? 'warn' : 'info'
    )
  }

  // ---- picking up after an earlier engine --------------------------------------------------------------

  /**
   * Outcomes and chunks an earlier engine of this project left (it was stopped or died): outcomes of
   * runs still wanted are stored, chunks not yet started are removed (their runs are sent afresh),
   * chunks being computed are waited for rather than computed twice.
   */
  async #recover(): Promise<void> {
    await this.#drain()
    const { command, queue, layout, namespace } = this.#context
    for (const batch of this.#lastIds.keys()) {
      const setKey = jobsKey(layout, namespace, batch)
      for (const id of await command.smembers(setKey)) {
        if (this.#jobs.has(id)) continue
        const job = await queue.getJob(id)
        if (!job || job.finishedOn) {
          if (job) await queue.remove(id)
          await command.srem(setKey, id)
          continue
        }
        if ((await queue.remove(id)) === 1) {
          await command.srem(setKey, id)
          continue
        }
        let data: ChunkJobData
        try {
          data = parseChunkJob(job.data)
        } catch {
          continue
        }
        const indices: number[] = []
        for (const task of data.tasks) {
          const index = this.#indexOf.get(batch)?.get(task.id)
          if (index === undefined || this.#answered[index] || this.#sent[index]) continue
          if (this.#groupOf[index].ref.codeHash !== data.runClass.codeHash) continue
          indices.push(index)
        }
        if (indices.length === 0) continue
        for (const index of indices) this.#sent[index] = 1
        this.#jobs.set(id, {
          id,
          batch,
          group: this.#groupOf[indices[0]],
          indices,
          data,
          started: true,
          resends: 0
        })
      }
    }
  }

  // ---- stopping ----------------------------------------------------------------------------------------

  /**
   * Cancel: removes this batch's chunks that no worker has started, asks workers to stop the started
   * ones, and gives them two seconds to send what they finished. Runs without an outcome stay pending;
   * outcomes that come later wait in the stream for the next execute.
   */
  async #stop(): Promise<void> {
    const { command, queue, layout, namespace } = this.#context
    const deadline = performance.now() + ABORT_GRACE_MS
    const removed: TrackedJob[] = []
    for (const job of this.#jobs.values())
      if ((await this.#redis(queue.remove(job.id))) === 1) removed.push(job)
    const pipeline = command.pipeline()
    for (const job of removed) {
      this.#jobs.delete(job.id)
      pipeline.srem(jobsKey(layout, namespace, job.batch), job.id)
    }
    if (this.#jobs.size > 0) pipeline.publish(cancelChannel(layout), JSON.stringify([...this.#jobs.keys()]))
    await this.#redis(pipeline.exec())
    while (this.#jobs.size > 0 && performance.now() < deadline) {
      await this.#redis(this.#read(READ_BLOCK_MS))
      await this.#deliver()
      const jobs = [...this.#jobs.values()]
      const exists = await this.#redis(Promise.all(jobs.map((job) => command.exists(queue.toKey(job.id)))))
      if (exists.some((count) => count === 0)) {
        await this.#redis(this.#drain())
        jobs.forEach((job, i) => exists[i] === 0 && this.#settle(job))
      }
    }
    await this.#deliver()
  }

  /** Awaits a Redis operation, unless Redis has been gone too long: then fails with the reason. */
  #redis<T>(operation: Promise<T>): Promise<T> {
    operation.catch(() => undefined)
    return Promise.race([operation, this.#context.lost, this.#abandoned])
  }

  #abandon!: (error: Error) => void
  readonly #abandoned = new Promise<never>((_, reject) => (this.#abandon = reject))
}

/** Cancelled while Redis was unreachable: execute returns with the unfinished runs pending. */
class AbandonedWhileDisconnected extends Error {}

/** An outcome from a worker, as the batch expects it; anything malformed becomes a failure saying so. */
function checkedOutcome(task: RunTask, value: unknown): RunOutcome {
  const o = value as Partial<RunOutcome> & { error?: { kind?: unknown; message?: unknown } }
  const common =
    typeof o.runtime === 'number' &&
    Number.isFinite(o.runtime) &&
    Number.isFinite(o.started) &&
    Number.isFinite(o.ended) &&
    typeof o.log === 'string' &&
    typeof o.host === 'string'
  if (common && o.ok === true && typeof o.resultJson === 'string' && typeof o.scalarsJson === 'string')
    return { ...(o as RunOutcome), batch: task.batch, id: task.id }
  if (common && o.ok === false && typeof o.error?.kind === 'string' && typeof o.error.message === 'string')
    return { ...(o as RunOutcome), batch: task.batch, id: task.id }
  return failureOutcome(
    task,
    'error',
    'a worker sent an outcome this engine cannot read: run the same Batchdesk version on the engine and the workers'
  )
}
