import { hostname } from 'node:os'
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
  startRedis,
  startWorker,
  stopAllRedis,
  stopAllWorkers,
  waitFor,
  writeProject
} from './helpers'

/** Quick stall detection: a worker silent for 2 s is presumed dead, checked every second. */
const quickStalls = ['--lock-duration', '2000', '--stalled-interval', '1000']

describe('workers that die', () => {
  afterEach(async () => {
    await stopAllWorkers()
    await stopAllRedis()
  })
  afterAll(() => removeTempFolders())

  it('a worker killed mid-batch: its chunk is retried on another worker and every run is stored exactly once', async () => {
    const redis = await startRedis()
    const [doomed, survivor] = await Promise.all([
      startWorker(redis.url, quickStalls),
      startWorker(redis.url, quickStalls)
    ])
    const dir = makeTempFolder()
    const log = path.join(dir, 'computed.log')
    writeProject(dir, {
      batch: 'steady',
      runClassFile: path.join(fixtures, 'counted_run.ts'),
      designs: [{ kind: 'factorial', grid: { n: { $range: [0, 240, 1] }, ms: [10], _log: [log] } }]
    })
    const executor = new RedisExecutor({ url: redis.url, namespace: projectNamespace(dir) })
    const counted = countingExecutor(executor)
    const project = await Project.open(dir)
    try {
      const running = project.execute('steady', { executor: counted.executor })
      // Kill one worker once some runs are computed, while there is plenty left.
      await waitFor(() => computations(log).size >= 40, 'the first runs to be computed')
      await doomed.kill('SIGKILL')
      const report = await running
      expect(report).toMatchObject({ computed: 240, failed: 0, pending: 0 })
      expect(survivor.output()).not.toContain('failed')
    } finally {
      project.close()
      await executor.close()
    }
    expect(counted.deliveries.size).toBe(240)
    expect([...counted.deliveries.values()].every((count) => count === 1)).toBe(true)
    expect(counted.outcomes.every((outcome) => outcome.ok && outcome.host === hostname())).toBe(true)
    const onDisk = recordsOnDisk(dir)
    expect(onDisk.size).toBe(240)
    expect([...onDisk.values()].every((count) => count === 1)).toBe(true)
    // Only runs the killed worker had not yet sent back are computed a second time.
    const twice = [...computations(log).values()].filter((count) => count > 1)
    expect(twice.length).toBeLessThan(240 / 2)
  })

  it('a worker killed in the middle of a chunk: another finishes the chunk, recomputing only what the dead one had not sent back', async () => {
    const redis = await startRedis()
    const workers = await Promise.all([
      startWorker(redis.url, quickStalls),
      startWorker(redis.url, quickStalls)
    ])
    const dir = makeTempFolder()
    const log = path.join(dir, 'computed.log')
    writeProject(dir, {
      batch: 'steady',
      runClassFile: path.join(fixtures, 'counted_run.ts'),
      designs: [
        {
          kind: 'factorial',
          grid: {
            n: { $range: [0, 200, 1] },
            ms: [5],
            killAt: [120],
            _log: [log],
            _once: [path.join(dir, 'killed-once')]
          }
        }
      ]
    })
    const executor = new RedisExecutor({ url: redis.url, namespace: projectNamespace(dir) })
    const counted = countingExecutor(executor)
    const project = await Project.open(dir)
    try {
      const report = await project.execute('steady', { executor: counted.executor })
      expect(report).toMatchObject({ computed: 200, failed: 0, pending: 0 })
      const victim = project.batch('steady').batch.getRunsWith({ n: 120 })[0]
      const counts = computations(log)
      expect(counts.get(victim.id)).toBe(2)
      // The runs of the chunk published before the kill are skipped by the retry; at most the few
      // computed since the last publication (50 ms) are computed again.
      expect([...counts.values()].filter((count) => count > 1).length).toBeLessThanOrEqual(20)
    } finally {
      project.close()
      await executor.close()
    }
    expect(workers.filter((worker) => worker.child.signalCode === 'SIGKILL')).toHaveLength(1)
    expect([...counted.deliveries.values()]).toEqual(Array(200).fill(1))
    expect([...recordsOnDisk(dir).values()]).toEqual(Array(200).fill(1))
  })

  it('a chunk that keeps losing its worker fails its runs, with every attempt in the message', async () => {
    const redis = await startRedis()
    const workers = await Promise.all(
      [1, 2, 3].map(() => startWorker(redis.url, [...quickStalls, '--max-stalled', '1']))
    )
    const dir = makeTempFolder()
    writeProject(dir, {
      batch: 'poison',
      runClassFile: path.join(fixtures, 'poison_run.ts'),
      designs: [{ kind: 'run', parameters: { killWorker: true } }]
    })
    const executor = new RedisExecutor({
      url: redis.url,
      namespace: projectNamespace(dir),
      checkIntervalMs: 200
    })
    const project = await Project.open(dir)
    try {
      const report = await project.execute('poison', { executor })
      expect(report).toMatchObject({ computed: 0, failed: 1, pending: 0 })
      const [failure] = report.failures
      expect(failure.kind).toBe('crashed')
      const pids = workers.map((worker) => worker.pid).join('|')
      expect(failure.message).toMatch(
        new RegExp(
          `^the chunk of 1 run holding this run was attempted 2 times and never finished \\(job stalled more than allowable limit\\):\\n` +
            `  attempt 1 on ${hostname()} \\(worker pid (${pids})\\): the worker stopped responding \\(killed, or cut off from Redis\\) and the chunk was found stalled\\n` +
            `  attempt 2 on ${hostname()} \\(worker pid (${pids})\\): the worker stopped responding`
        )
      )
      const run = project.batch('poison').batch.runs[0]
      expect(run.status).toBe('failed')
      expect(run.error?.message).toBe(failure.message)
    } finally {
      project.close()
      await executor.close()
    }
    const alive = workers.filter(
      (worker) => worker.child.exitCode === null && worker.child.signalCode === null
    )
    expect(alive).toHaveLength(1)
  })
})
