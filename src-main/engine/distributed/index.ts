/**
 * Running batches on many machines: a RedisExecutor sends chunks of runs through BullMQ on Redis, and
 * `batchdesk worker` processes (RedisWorker) compute them wherever they run.
 */
export { RedisExecutor, type RedisExecutorOptions, type StatusListener } from './redis-executor'
export { RedisWorker, DEFAULT_MAX_RESULT_BYTES, type RedisWorkerOptions } from './redis-worker'
export { RedisUnavailableError, parseRedisUrl, redactUrl } from './redis-connection'
export { projectNamespace, DEFAULT_PREFIX, DEFAULT_QUEUE } from './keys'
export { probeRedis, type WorkerCensus } from './worker-census'
