import { availableParallelism } from 'node:os'
import { Worker, type Job } from 'bullmq'
import type Redis from 'ioredis'
import { LocalPool } from '../exec/pool'
import { failureOutcome, hostName } from '../exec/outcomes'
import type { RunOutcome, RunTask } from '../types'
import { parseChunkJob, taskParams, type ChunkJobData } from './chunk-job'
import { WorkerCodeCache } from './code-store'
import { attemptFailedLine, attemptStartedLine } from './job-failure'
import { ALIVE_TTL_MS, aliveKey, cancelChannel, redisLayout, workersKey, type RedisLayout } from './keys'
import { OutcomePublisher } from './outcome-publisher'
import { openRedis, parseRedisUrl, type RedisTarget } from './redis-connection'

/** Options of a RedisWorker (`batchdesk worker`). */
export interface RedisWorkerOptions {
  url: string
  /** Worker processes, each computing one chunk at a time. Default: the number of CPU cores. */
  concurrency?: number
  /** Queue name shared with the engine. Default `runs`. */
  queue?: string
  /** Key prefix shared with the engine. Default `batchdesk`. */
  prefix?: string
  /** A run whose encoded result is larger fails with kind 'unstorable'. Default 16 MiB. */
  maxResultBytes?: number
  /** V8 heap limit of each worker process in MB. Default: Node's own. */
  maxOldSpaceMb?: number
  /** How long a chunk's lock lasts without renewal (ms); a worker silent that long is presumed dead. Default 30 s. */
  lockDurationMs?: number
  /** How often workers look for chunks whose worker died (ms). Default 30 s. */
  stalledIntervalMs?: number
  /** How often a chunk may lose its worker and be retried before its runs fail. Default 2. */
  maxStalledCount?: number
  /** Where fetched run class bundles are kept. Default `<tmp>/batchdesk-worker-modules`. */
  codeDir?: string
  /** The worker process script (default: the engine's `out/engine/worker.js`). */
  workerScript?: string
  /** Things worth printing: errors, connection loss, a summary of work done. */
  onLog?(message: string): void
}

export const DEFAULT_MAX_RESULT_BYTES = 16 * 1024 * 1024
/** A worker announces itself and the chunks it computes this often… */
const HEARTBEAT_MS = 2000
/** …and counts as gone when it has not for this long. */
const HEARTBEAT_TTL_MS = ALIVE_TTL_MS
const SUMMARY_MS = 10_000

/**
 * Pulls chunk jobs from the queue and computes them in its own worker processes: one LocalPool of one
 * process per concurrency slot, so runs get the same isolation, timeouts, memory and log caps as
 * locally. Needs no copy of the project: the run class code comes from Redis by hash, outcomes go back
 * to the results stream named in the job.
 */
export class RedisWorker {
  readonly host = hostName()
  readonly pid = process.pid
  readonly concurrency: number
  readonly target: RedisTarget
  readonly layout: RedisLayout
  readonly #options: RedisWorkerOptions
  readonly #command: Redis
  readonly #subscriber: Redis
  readonly #code: WorkerCodeCache
  readonly #idlePools: LocalPool[]
  readonly #pools: LocalPool[]
  readonly #worker: Worker
  readonly #member: string
  readonly #heartbeat: NodeJS.Timeout
  readonly #summary: NodeJS.Timeout
  /** Chunks being computed now, kept alive in Redis by the heartbeat. */
  readonly #active = new Set<string>()
  /** Chunks already reported as vanished from Redis (BullMQ reports each several times). */
  readonly #vanished = new Set<string>()
  #disconnected = false
  #forced = false
  #runsSinceSummary = 0
  #chunksSinceSummary = 0
  #closing: Promise<void> | undefined

  /**
   * Connects and starts pulling jobs.
   * @throws RedisUnavailableError when Redis cannot be reached or refuses the credentials;
   *   BatchInputError for a malformed URL or option.
   */
  static async start(options: RedisWorkerOptions): Promise<RedisWorker> {
    const target = parseRedisUrl(options.url)
    const layout = redisLayout(options)
    const name = `batchdesk-worker-${hostName()}-${process.pid}`
    const command = await openRedis(target, { name })
    let subscriber: Redis
    try {
      subscriber = await openRedis(target, { name: `${name}-cancel` })
    } catch (error) {
      command.disconnect()
      throw error
    }
    const worker = new RedisWorker(options, target, layout, command, subscriber)
    await worker.#start()
    return worker
  }

  private constructor(
    options: RedisWorkerOptions,
    target: RedisTarget,
    layout: RedisLayout,
    command: Redis,
    subscriber: Redis
  ) {
    this.#options = options
    this.target = target
    this.layout = layout
    this.#command = command
    this.#subscriber = subscriber
    this.concurrency = options.concurrency ?? availableParallelism()
    this.#code = new WorkerCodeCache(command, layout, options.codeDir)
    this.#pools = Array.from(
      { length: this.concurrency },
      () =>
        new LocalPool({
          processes: 1,
          maxOldSpaceMb: options.maxOldSpaceMb,
          workerScript: options.workerScript
        })
    )
    this.#idlePools = [...this.#pools]
    this.#member = `${this.host}|${this.pid}|${this.concurrency}`
    this.#worker = new Worker(layout.queue, (job, _token, signal) => this.#process(job, signal), {
      connection: command,
      prefix: layout.prefix,
      concurrency: this.concurrency,
      name: `${this.host}|${this.pid}`,
      autorun: false,
      lockDuration: options.lockDurationMs ?? 30_000,
      stalledInterval: options.stalledIntervalMs ?? 30_000,
      maxStalledCount: options.maxStalledCount ?? 2
    })
    this.#worker.on('error', (error) => this.#onError(error))
    this.#worker.on('failed', (job, error) => {
      if (job) this.#log(`chunk ${job.id} failed on this worker: ${error.message}`)
    })
    this.#heartbeat = setInterval(() => void this.#beat(), HEARTBEAT_MS)
    this.#summary = setInterval(() => this.#summarize(), SUMMARY_MS)
    this.#summary.unref()
    command.on('close', () => {
      if (this.#closing || this.#disconnected) return
      this.#disconnected = true
      this.#log(`lost the connection to Redis at ${target.label}; reconnecting`)
    })
    command.on('ready', () => {
      if (!this.#disconnected) return
      this.#disconnected = false
      this.#log(`connected to Redis at ${target.label} again`)
      // Right away: an engine deciding whether to send this worker's chunks again looks for these keys.
      void this.#beat()
    })
  }

  async #start(): Promise<void> {
    await this.#beat()
    this.#subscriber.on('message', (_channel: string, message: string) => this.#cancel(message))
    await this.#subscriber.subscribe(cancelChannel(this.layout))
    void this.#worker.run().catch((error) => this.#log(`the worker stopped: ${(error as Error).message}`))
    await this.#worker.waitUntilReady()
  }

  /**
   * Stops pulling jobs. Waits for the chunks in progress to finish unless `force`, in which case they
   * are abandoned: their locks expire and another worker takes them over.
   */
  close(options: { force?: boolean } = {}): Promise<void> {
    if (options.force) {
      this.#forced = true
      return (async () => {
        await Promise.all(this.#pools.map((pool) => pool.close()))
        await this.#closeNow(true)
      })()
    }
    this.#closing ??= this.#closeNow(false)
    return this.#closing
  }

  async #closeNow(force: boolean): Promise<void> {
    clearInterval(this.#heartbeat)
    clearInterval(this.#summary)
    await this.#worker.close(force).catch(() => undefined)
    await Promise.all(this.#pools.map((pool) => pool.close()))
    await this.#command.zrem(workersKey(this.layout), this.#member).catch(() => undefined)
    this.#subscriber.disconnect()
    this.#command.disconnect()
  }

  async #process(job: Job, signal: AbortSignal | undefined): Promise<{ computed: number }> {
    const attempt = job.attemptsStarted
    let data: ChunkJobData
    try {
      data = parseChunkJob(job.data)
    } catch (error) {
      await job.log(attemptFailedLine(attempt, this.host, this.pid, (error as Error).message))
      throw error
    }
    // A retry (the previous worker died or failed) skips the runs that worker already published.
    const retry = attempt > 1 || job.stalledCounter > 0
    const [, doneIds] = await Promise.all([
      job.log(attemptStartedLine(attempt, this.host, this.pid)),
      retry ? this.#command.smembers(data.done) : Promise.resolve([] as string[])
    ])
    let bundleFile: string
    try {
      bundleFile = await this.#code.bundleFile(data.runClass.codeHash)
    } catch (error) {
      await job.log(attemptFailedLine(attempt, this.host, this.pid, (error as Error).message))
      throw error
    }
    const done = new Set(doneIds)
    const runClass = { ...data.runClass, bundleFile }
    const tasks: RunTask[] = []
    const unreadable: RunOutcome[] = []
    for (const task of data.tasks) {
      if (done.has(task.id)) continue
      try {
        tasks.push({ batch: data.batch, id: task.id, runClass, params: taskParams(task) })
      } catch (error) {
        unreadable.push(
          failureOutcome(
            { batch: data.batch, id: task.id },
            'error',
            `the parameters of this run cannot be read: ${(error as Error).message}`
          )
        )
      }
    }
    const publisher = new OutcomePublisher(
      this.#command,
      data,
      job.id!,
      this.#options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES
    )
    if (unreadable.length > 0) await publisher.add(unreadable)
    const pool = this.#idlePools.pop()
    if (!pool) throw new Error('internal error: more chunks at once than worker processes')
    this.#active.add(job.id!)
    await this.#command.set(aliveKey(this.layout, job.id!), this.#member, 'PX', HEARTBEAT_TTL_MS)
    try {
      await pool.execute(tasks, {
        signal,
        timeoutMs: data.timeoutMs,
        onOutcomes: (outcomes) => publisher.add(outcomes)
      })
    } catch (error) {
      await publisher.flush().catch(() => undefined)
      await job.log(attemptFailedLine(attempt, this.host, this.pid, (error as Error).message))
      throw error
    } finally {
      this.#idlePools.push(pool)
      this.#active.delete(job.id!)
    }
    await publisher.flush()
    // Stopped at once: the chunk is not finished, so it must not be completed; another worker takes it.
    if (this.#forced) {
      const message = 'the worker was stopped before it finished the chunk'
      await job.log(attemptFailedLine(attempt, this.host, this.pid, message)).catch(() => undefined)
      throw new Error(message)
    }
    await this.#command.del(aliveKey(this.layout, job.id!))
    this.#runsSinceSummary += publisher.published
    this.#chunksSinceSummary++
    return { computed: publisher.published }
  }

  /** The engine gave up on these chunks (cancel): stop their runs, send what is finished. */
  #cancel(message: string): void {
    let ids: unknown
    try {
      ids = JSON.parse(message)
    } catch {
      return
    }
    if (!Array.isArray(ids)) return
    for (const id of ids) if (typeof id === 'string') this.#worker.cancelJob(id, 'cancelled by the engine')
  }

  async #beat(): Promise<void> {
    const key = workersKey(this.layout)
    const now = Date.now()
    const transaction = this.#command
      .multi()
      .zremrangebyscore(key, '-inf', now)
      .zadd(key, now + HEARTBEAT_TTL_MS, this.#member)
    for (const id of this.#active)
      transaction.set(aliveKey(this.layout, id), this.#member, 'PX', HEARTBEAT_TTL_MS)
    await transaction.exec().catch(() => undefined)
  }

  #onError(error: Error): void {
    // After Redis restarted empty, BullMQ cannot finish the chunks it lost; their outcomes went out anyway.
    // Connection errors repeat on every reconnect attempt; 'lost the connection' said it once.
    if (
      this.#disconnected &&
      /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|Connection is closed/.test(error.message)
    )
      return
    const lost = /(?:Missing lock|could not renew lock|Missing key) for job (\S+?)\.?(?:\s|$)/.exec(
      error.message
    )
    if (!lost) return this.#log(`Redis error: ${error.message}`)
    if (this.#vanished.has(lost[1])) return
    this.#vanished.add(lost[1])
    this.#log(
      `lost the lock of chunk ${lost[1]} while computing it (Redis restarted, or the connection was down longer than --lock-duration); its outcomes were sent all the same`
    )
  }

  #summarize(): void {
    if (this.#chunksSinceSummary === 0) return
    this.#log(
      `computed ${this.#runsSinceSummary} runs in ${this.#chunksSinceSummary} chunks in the last ${SUMMARY_MS / 1000} s`
    )
    this.#runsSinceSummary = 0
    this.#chunksSinceSummary = 0
  }

  #log(message: string): void {
    this.#options.onLog?.(message)
  }
}
