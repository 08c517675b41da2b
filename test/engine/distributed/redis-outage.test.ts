import path from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { projectNamespace, RedisExecutor } from '../../../src-main/engine/distributed'
import { Project } from '../../../src-main/engine/project/project'
import {
  computations,
  countingExecutor,
  fixtures,
  makeTempFolder,
  recordsOnDisk,
  removeTempFolders,
  sleep,
  startRedis,
  startWorker,
  stopAllRedis,
  stopAllWorkers,
  waitFor,
  writeProject
} from './helpers'

function steadyProject(runs: number): { dir: string; log: string } {
  const dir = makeTempFolder()
  const log = path.join(dir, 'computed.log')
  writeProject(dir, {
    batch: 'steady',
    runClassFile: path.join(fixtures, 'counted_run.ts'),
    designs: [{ kind: 'factorial', grid: { n: { $range: [0, runs, 1] }, ms: [2], _log: [log] } }]
  })
  return { dir, log }
}

describe('Redis going away mid-batch', () => {
  afterEach(async () => {
    await stopAllWorkers()
    await stopAllRedis()
  })
  afterAll(() => removeTempFolders())

  it('Redis killed and started again empty: the batch completes and nothing is stored twice', async () => {
    const redis = await startRedis()
    await Promise.all([startWorker(redis.url), startWorker(redis.url)])
    const { dir, log } = steadyProject(600)
    const statuses: string[] = []
    const executor = new RedisExecutor({
      url: redis.url,
      namespace: projectNamespace(dir),
      checkIntervalMs: 250,
      onStatus: (message) => statuses.push(message)
    })
    const counted = countingExecutor(executor)
    const project = await Project.open(dir)
    let storedBeforeStop = new Set<string>()
    let startedBeforeStop = new Set<string>()
    try {
      const running = project.execute('steady', { executor: counted.executor })
      await waitFor(() => counted.deliveries.size >= 100, 'the first outcomes to be stored')
      storedBeforeStop = new Set(counted.deliveries.keys())
      await redis.stop()
      startedBeforeStop = new Set(computations(log).keys())
      await sleep(500)
      await redis.start()
      const report = await running
      expect(report).toMatchObject({ computed: 600, failed: 0, pending: 0 })
    } finally {
      project.close()
      await executor.close()
    }
    expect(statuses.some((status) => status.startsWith(`Lost the connection to Redis at ${redis.url}`))).toBe(
      true
    )
    expect(statuses.some((status) => status.startsWith(`Reconnected to Redis at ${redis.url}`))).toBe(true)
    expect([...counted.deliveries.values()]).toEqual(Array(600).fill(1))
    expect([...recordsOnDisk(dir).values()]).toEqual(Array(600).fill(1))
    // Outcomes a worker had sent but the engine had not read yet died with Redis: only those runs may be
    // computed again, once. Chunks being computed when Redis died were finished by their workers.
    const computed = computations(log)
    expect(computed.size).toBe(600)
    const computedTwice = [...computed].filter(([, times]) => times > 1)
    for (const [id, times] of computedTwice)
      expect({
        id,
        times,
        startedBeforeStop: startedBeforeStop.has(id),
        storedBeforeStop: storedBeforeStop.has(id)
      }).toEqual({
        id,
        times: 2,
        startedBeforeStop: true,
        storedBeforeStop: false
      })
  })

  it('cancelling while Redis is away returns at once; the next execute finishes the batch', async () => {
    const redis = await startRedis()
    await startWorker(redis.url)
    const { dir } = steadyProject(300)
    const executor = new RedisExecutor({ url: redis.url, namespace: projectNamespace(dir) })
    const counted = countingExecutor(executor)
    const project = await Project.open(dir)
    try {
      const controller = new AbortController()
      const running = project.execute('steady', { executor: counted.executor, signal: controller.signal })
      await waitFor(() => counted.deliveries.size >= 50, 'the first outcomes to be stored')
      await redis.stop()
      controller.abort()
      const cancelled = await running
      expect(cancelled.cancelled).toBe(true)
      expect(cancelled.computed).toBe(counted.deliveries.size)
      expect(cancelled.computed + cancelled.pending).toBe(300)

      await redis.start()
      const finished = await project.execute('steady', { executor: counted.executor })
      expect(finished).toMatchObject({
        computed: cancelled.pending,
        cached: cancelled.computed,
        failed: 0,
        pending: 0
      })
    } finally {
      project.close()
      await executor.close()
    }
    expect([...counted.deliveries.values()]).toEqual(Array(300).fill(1))
    expect([...recordsOnDisk(dir).values()]).toEqual(Array(300).fill(1))
  })

  it('Redis gone for longer than allowed: a clear error, stored results kept, and the batch finishes locally', async () => {
    const redis = await startRedis()
    await startWorker(redis.url)
    const { dir } = steadyProject(400)
    const executor = new RedisExecutor({
      url: redis.url,
      namespace: projectNamespace(dir),
      maxOutageMs: 1000
    })
    const counted = countingExecutor(executor)
    const project = await Project.open(dir)
    try {
      const running = project.execute('steady', { executor: counted.executor })
      await waitFor(() => counted.deliveries.size >= 50, 'the first outcomes to be stored')
      await redis.stop()
      await expect(running).rejects.toThrow(
        `Lost the connection to Redis at ${redis.url} for 1 s; giving up. Results received so far are stored. Run the batch again when Redis is back, or finish it locally without --redis.`
      )
      const stored = counted.deliveries.size
      expect(project.batch('steady').batch.statusCounts().done).toBe(stored)
      const local = await project.execute('steady')
      expect(local).toMatchObject({ computed: 400 - stored, cached: stored, failed: 0 })
    } finally {
      project.close()
      await executor.close()
    }
    expect([...recordsOnDisk(dir).values()]).toEqual(Array(400).fill(1))
  })
})
