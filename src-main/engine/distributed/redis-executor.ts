import { hostname } from 'node:os'
import { Queue } from 'bullmq'
import type Redis from 'ioredis'
import { formatSeconds } from '../exec/outcomes'
import type { ExecuteTasksOptions, Executor, RunTask } from '../types'
import { RedisExecution } from './execution'
import { projectNamespace, redisLayout, type RedisLayout } from './keys'
import { openRedis, parseRedisUrl, RedisUnavailableError, type RedisTarget } from './redis-connection'

/** Options of a RedisExecutor. */
export interface RedisExecutorOptions {
  /** `redis://[user:password@]host:port[/db]`, or `rediss://…` for TLS. */
  url: string
  /**
   * Keeps this project's results apart from other projects' in the same Redis, and lets a later engine
   * of the same project pick up what an earlier one left. Default: `projectNamespace(process.cwd())`;
   * pass `projectNamespace(projectDir)`.
   */
  namespace?: string
  /** Queue name shared with the workers (`batchdesk worker --queue`). Default `runs`. */
  queue?: string
  /** Key prefix shared with the workers. Default `batchdesk`. */
  prefix?: string
  /** How often chunk jobs are checked for failures, losses and starts, in ms. Default 1000. */
  checkIntervalMs?: number
  /** How long a lost connection is waited for before execute fails, in ms. Default 10 minutes. */
  maxOutageMs?: number
  /**
   * Attempts of a chunk whose worker fails on its own (it cannot get the run class code, say); a run
   * failing in user code is an outcome, never retried. Default 3. A chunk whose worker dies is retried
   * by BullMQ's stalled-job check, as often as the workers' `--max-stalled` allows.
   */
  jobAttempts?: number
  /** What to suggest when Redis cannot be reached. Default: finishing the batch locally without --redis. */
  unreachableAdvice?: string
  /**
   * Messages worth showing the user: connection lost and back, workers connected or none. `warn` when the
   * batch is waiting on something the user may need to fix (no worker, Redis gone).
   */
  onStatus?: StatusListener
}

export type StatusListener = (message: string, level: 'info' | 'warn') => void

interface Connections {
  command: Redis
  blocking: Redis
  queue: Queue
}

const DEFAULT_ADVICE =
  'The batch can always be finished locally: run it without --redis (or with --local when the project sets redis).'

/**
 * Computes runs on `batchdesk worker` processes anywhere, through BullMQ on Redis.
 *
 * Runs travel in chunks (one BullMQ job per chunk of up to 256 runs sharing a run class, sized by the
 * observed run time). The compiled run class is stored in Redis once under its code hash and jobs carry
 * only the hash. Workers add outcomes to a results stream per project and batch; the engine reads it,
 * hands the outcomes to `onOutcomes` (the batch stores them durably) and only then deletes them from the
 * stream, so an engine that dies loses nothing: the next one stores what is left. Job ids derive from
 * the chunk's run ids and code hash, so a chunk sent again is not queued twice. Failures stay per run; a
 * chunk whose worker died is retried elsewhere (BullMQ stalled-job check), skipping the runs it already
 * published; a chunk that never finishes fails its remaining runs with every attempt in the message.
 *
 * Connection loss: commands wait and the client reconnects; after a reconnect, chunks that vanished
 * (Redis restarted empty) are sent again and the code with them. Past `maxOutageMs` execute fails with
 * a RedisUnavailableError; whatever was stored stays stored. Cancel removes the batch's chunks no worker
 * has started and asks workers to stop the others.
 *
 * Connections open on the first execute and stay until `close()`. One execute at a time.
 */
export class RedisExecutor implements Executor {
  readonly #target: RedisTarget
  readonly #layout: RedisLayout
  readonly #namespace: string
  readonly #options: RedisExecutorOptions
  #connections: Promise<Connections> | undefined
  #queue: Promise<void> = Promise.resolve()
  #closed = false

  /** @throws BatchInputError for a malformed URL, queue name or prefix. */
  constructor(options: RedisExecutorOptions) {
    this.#target = parseRedisUrl(options.url)
    this.#layout = redisLayout(options)
    this.#namespace = options.namespace ?? projectNamespace(process.cwd())
    this.#options = options
  }

  /** The Redis URL with its password hidden. */
  get label(): string {
    return this.#target.label
  }

  /**
   * Computes every task once through the workers and passes the outcomes to `onOutcomes` in groups.
   * Resolves when every task has an outcome, or soon after `signal` aborts.
   * @throws RedisUnavailableError when Redis cannot be reached, refuses the credentials, or stays away
   *   longer than `maxOutageMs`; whatever `onOutcomes` throws.
   */
  execute(tasks: RunTask[], options: ExecuteTasksOptions): Promise<void> {
    const run = this.#queue.then(() => this.#execute(tasks, options))
    this.#queue = run.catch(() => undefined)
    return run
  }

  async #execute(tasks: RunTask[], options: ExecuteTasksOptions): Promise<void> {
    if (this.#closed) throw new Error('RedisExecutor.execute: the executor is closed')
    if (tasks.length === 0 || options.signal?.aborted) return
    const connections = await this.#connect()
    const watch = new ConnectionWatch(
      connections.command,
      this.#target,
      this.#options.maxOutageMs ?? 10 * 60_000,
      this.#options.onStatus
    )
    try {
      await new RedisExecution(tasks, options, {
        ...connections,
        layout: this.#layout,
        namespace: this.#namespace,
        label: this.#target.label,
        checkIntervalMs: this.#options.checkIntervalMs ?? 1000,
        jobAttempts: this.#options.jobAttempts ?? 3,
        onStatus: this.#options.onStatus,
        lost: watch.lost,
        takeReconnected: () => watch.takeReconnected(),
        reconnectedAt: () => watch.reconnectedAt
      }).run()
    } catch (error) {
      // Connections that gave up are not reused: the next execute connects afresh.
      if (watch.gaveUp) await this.#disconnect()
      throw error
    } finally {
      watch.dispose()
    }
  }

  /** Closes the connections (an execute still running fails). */
  async close(): Promise<void> {
    this.#closed = true
    await this.#disconnect()
  }

  #connect(): Promise<Connections> {
    if (this.#connections) return this.#connections
    const advice = this.#options.unreachableAdvice ?? DEFAULT_ADVICE
    const name = `batchdesk-engine-${hostname()}-${process.pid}`
    const connecting = (async () => {
      const command = await openRedis(this.#target, { name, advice })
      let blocking: Redis
      try {
        // Blocking reads of the results get their own connection: they would hold up every other command.
        blocking = await openRedis(this.#target, { name: `${name}-results`, advice })
      } catch (error) {
        command.disconnect()
        throw error
      }
      const queue = new Queue(this.#layout.queue, { connection: command, prefix: this.#layout.prefix })
      queue.on('error', () => {
        // Connection errors are reported by the execution, with what to do about them.
      })
      return { command, blocking, queue }
    })()
    this.#connections = connecting
    connecting.catch(() => {
      if (this.#connections === connecting) this.#connections = undefined
    })
    return connecting
  }

  async #disconnect(): Promise<void> {
    const connecting = this.#connections
    this.#connections = undefined
    const connections = await connecting?.catch(() => undefined)
    if (!connections) return
    await connections.queue.close().catch(() => undefined)
    connections.blocking.disconnect()
    connections.command.disconnect()
  }
}

/**
 * Follows one connection through an execute: says when it is lost and back, and rejects `lost` when
 * it stays away longer than allowed.
 */
class ConnectionWatch {
  readonly lost: Promise<never>
  gaveUp = false
  #reject!: (error: Error) => void
  #lostAt: number | undefined
  #reconnected = false
  /** performance.now() when the connection last came back; -Infinity if never, +Infinity while down. */
  reconnectedAt = -Infinity
  #timer: NodeJS.Timeout | undefined
  readonly #client: Redis
  readonly #target: RedisTarget
  readonly #maxOutageMs: number
  readonly #onStatus: StatusListener | undefined

  constructor(client: Redis, target: RedisTarget, maxOutageMs: number, onStatus?: StatusListener) {
    this.#client = client
    this.#target = target
    this.#maxOutageMs = maxOutageMs
    this.#onStatus = onStatus
    this.lost = new Promise<never>((_, reject) => (this.#reject = reject))
    this.lost.catch(() => undefined)
    client.on('close', this.#onClose)
    client.on('ready', this.#onReady)
    if (client.status !== 'ready') this.#onClose()
  }

  /** True once if the connection came back since the last call. */
  takeReconnected(): boolean {
    const reconnected = this.#reconnected
    this.#reconnected = false
    return reconnected
  }

  dispose(): void {
    clearTimeout(this.#timer)
    this.#client.off('close', this.#onClose)
    this.#client.off('ready', this.#onReady)
  }

  #onClose = (): void => {
    if (this.#lostAt !== undefined) return
    this.#lostAt = Date.now()
    this.reconnectedAt = Infinity
    this.#onStatus?.(
      `Lost the connection to Redis at ${this.#target.label}; waiting up to ${formatSeconds(this.#maxOutageMs)} for it to come back (results stored so far are kept)`,
      'warn'
    )
    this.#timer = setTimeout(() => {
      this.gaveUp = true
      this.#reject(
        new RedisUnavailableError(
          `Lost the connection to Redis at ${this.#target.label} for ${formatSeconds(this.#maxOutageMs)}; giving up. Results received so far are stored. Run the batch again when Redis is back, or finish it locally without --redis.`
        )
      )
    }, this.#maxOutageMs)
  }

  #onReady = (): void => {
    if (this.#lostAt === undefined) return
    this.#lostAt = undefined
    clearTimeout(this.#timer)
    this.#reconnected = true
    this.reconnectedAt = performance.now()
    this.#onStatus?.(`Reconnected to Redis at ${this.#target.label}; checking the chunks in flight`, 'info')
  }
}
