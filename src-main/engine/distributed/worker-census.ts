import type Redis from 'ioredis'
import { DEFAULT_QUEUE, redisLayout, workersKey, type RedisLayout } from './keys'
import { openRedis, parseRedisUrl } from './redis-connection'

/** The `batchdesk worker` processes pulling from a queue right now (their heartbeat has not expired). */
export interface WorkerCensus {
  /** Worker processes: the sum of every worker's --concurrency. */
  processes: number
  /** Distinct host names among them. */
  machines: number
}

/** Counts the live workers of `layout` from their heartbeats (members are `host|pid|concurrency`). */
export async function countLiveWorkers(command: Redis, layout: RedisLayout): Promise<WorkerCensus> {
  const members = await command.zrangebyscore(workersKey(layout), Date.now(), '+inf')
  let processes = 0
  for (const member of members) processes += Number(member.split('|')[2]) || 1
  return { processes, machines: new Set(members.map((member) => member.split('|')[0])).size }
}

/**
 * Connects to the Redis at `url`, counts the workers on the default queue, and disconnects: what the
 * app's "Test connection" shows before a batch is sent there.
 * @throws BatchInputError for a malformed URL; RedisUnavailableError when Redis cannot be used.
 */
export async function probeRedis(url: string, options: { queue?: string } = {}): Promise<WorkerCensus> {
  const target = parseRedisUrl(url)
  const layout = redisLayout({ queue: options.queue ?? DEFAULT_QUEUE })
  const command = await openRedis(target, { name: 'batchdesk-probe', connectTimeoutMs: 3000 })
  try {
    return await countLiveWorkers(command, layout)
  } finally {
    command.disconnect()
  }
}
