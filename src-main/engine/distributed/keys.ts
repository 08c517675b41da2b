/**
 * Where distributed batches live in Redis. Everything is under one prefix (default `batchdesk`), so a
 * Redis shared with other applications stays tidy and an ACL can grant exactly `batchdesk:*`.
 *
 * - `<prefix>:<queue>:*`                     BullMQ's own keys for the queue of chunk jobs
 * - `<prefix>:code:<codeHash>`               a compiled run class bundle, stored once per hash
 * - `<prefix>:<queue>:results:<ns>:<batch>`  stream of outcomes the engine of that project reads
 * - `<prefix>:<queue>:jobs:<ns>:<batch>`     set of chunk job ids an engine sent and has not settled
 * - `<prefix>:<queue>:done:<jobId>`          set of run ids of a chunk already published (a retry skips them)
 * - `<prefix>:<queue>:workers`               sorted set of live workers, scored by heartbeat expiry
 * - `<prefix>:<queue>:alive:<jobId>`         set (with a short expiry) while a worker computes that chunk
 * - `<prefix>:<queue>:cancel`                pub/sub channel: chunk job ids the engine gave up on
 */
import { createHash } from 'node:crypto'
import { hostname } from 'node:os'
import path from 'node:path'
import { BatchInputError } from '../batch'

export const DEFAULT_PREFIX = 'batchdesk'
export const DEFAULT_QUEUE = 'runs'

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

/** The prefix and queue name shared by an engine and its workers. */
export interface RedisLayout {
  prefix: string
  queue: string
}

/**
 * A layout from options, checked: BullMQ forbids `:` in queue names and keys must stay readable.
 * @throws BatchInputError for a name that is not 1–64 letters, digits, `_`, `.` or `-`.
 */
export function redisLayout(options: { prefix?: string; queue?: string } = {}): RedisLayout {
  const prefix = options.prefix ?? DEFAULT_PREFIX
  const queue = options.queue ?? DEFAULT_QUEUE
  for (const [what, value] of [
    ['prefix', prefix],
    ['queue name', queue]
  ]) {
    if (!NAME.test(value))
      throw new BatchInputError(
        `The Redis ${what} ${JSON.stringify(value)} cannot be used: use 1 to 64 letters, digits, '_', '.' or '-'`
      )
  }
  return { prefix, queue }
}

export function codeKey(layout: RedisLayout, codeHash: string): string {
  return `${layout.prefix}:code:${codeHash}`
}

export function resultsKey(layout: RedisLayout, namespace: string, batch: string): string {
  return `${layout.prefix}:${layout.queue}:results:${namespace}:${batch}`
}

export function jobsKey(layout: RedisLayout, namespace: string, batch: string): string {
  return `${layout.prefix}:${layout.queue}:jobs:${namespace}:${batch}`
}

export function doneKey(layout: RedisLayout, jobId: string): string {
  return `${layout.prefix}:${layout.queue}:done:${jobId}`
}

/** How long a worker's heartbeat (and a chunk's alive key) lasts; workers renew it every 2 s. */
export const ALIVE_TTL_MS = 6000

/**
 * Kept alive by the worker computing a chunk. It outlives the job itself when Redis restarts empty:
 * the engine then waits for that worker's outcomes instead of sending the chunk again.
 */
export function aliveKey(layout: RedisLayout, jobId: string): string {
  return `${layout.prefix}:${layout.queue}:alive:${jobId}`
}

export function workersKey(layout: RedisLayout): string {
  return `${layout.prefix}:${layout.queue}:workers`
}

export function cancelChannel(layout: RedisLayout): string {
  return `${layout.prefix}:${layout.queue}:cancel`
}

/**
 * The id of a project in Redis: a hash of this machine's name and the project folder, so two projects
 * with a batch of the same name never share results, and reopening the project finds its own again.
 */
export function projectNamespace(dir: string): string {
  return createHash('sha256')
    .update(`${hostname()}\u0000${path.resolve(dir)}`)
    .digest('hex')
    .slice(0, 16)
}

/**
 * A chunk's job id: the same runs of the same code always get the same id, so sending a chunk again
 * (after a reconnect) never queues its work twice. BullMQ ids may not contain `:`.
 */
export function chunkJobId(
  namespace: string,
  batch: string,
  codeHash: string,
  runIds: readonly string[]
): string {
  const hash = createHash('sha256').update(codeHash)
  for (const id of runIds) hash.update(`\n${id}`)
  return `${namespace}.${batch}.${hash.digest('hex').slice(0, 32)}`
}
