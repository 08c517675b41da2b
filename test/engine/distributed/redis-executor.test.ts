import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import path from 'node:path'
import { Queue } from 'bullmq'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BatchExecution, planCompute } from '../../../src-main/api/batch-execution'
import { localApi } from '../../../src-main/api/local-api'
import { main } from '../../../src-main/cli'
import { Batch } from '../../../src-main/engine/batch'
import { loadRunClass } from '../../../src-main/engine/compile'
import { projectNamespace, RedisExecutor } from '../../../src-main/engine/distributed'
import { Project } from '../../../src-main/engine/project/project'
import { acquireStore } from '../../../src-main/engine/store'
import type { Executor } from '../../../src-main/engine/types'
import { collectEvents, createService, executeAndWait, nextEvent, valueOf } from '../../api/helpers'
import {
  computations,
  countingExecutor,
  fixtures,
  freePort,
  makeTempFolder,
  quickstartClass,
  recordsOnDisk,
  removeTempFolders,
  runCli,
  selfSignedCertificate,
  startRedis,
  startWorker,
  stopAllRedis,
  stopAllWorkers,
  storedRecords,
  tenThousandDesign,
  writeProject,
  type RedisServer
} from './helpers'

function capture() {
  const out: string[] = []
  const err: string[] = []
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), isTTY: false }, out, err }
}

/** Computes `batch` of the project in `dir` (locally, or with `executor`) and returns the report and run ids. */
async function compute(dir: string, batch: string, executor?: Executor) {
  const project = await Project.open(dir)
  try {
    const report = await project.execute(batch, executor ? { executor } : { processes: 2 })
    return { report, ids: project.batch(batch).batch.runs.map((run) => run.id) }
  } finally {
    project.close()
  }
}

describe('running a batch on workers through Redis', () => {
  let redis: RedisServer
  const executors: RedisExecutor[] = []

  function executorFor(
    dir: string,
    options: Partial<ConstructorParameters<typeof RedisExecutor>[0]> = {}
  ): RedisExecutor {
    const executor = new RedisExecutor({ url: redis.url, namespace: projectNamespace(dir), ...options })
    executors.push(executor)
    return executor
  }

  beforeAll(async () => {
    redis = await startRedis()
    await Promise.all([startWorker(redis.url), startWorker(redis.url)])
  })
  afterEach(async () => {
    await Promise.all(executors.splice(0).map((executor) => executor.close()))
  })
  afterAll(async () => {
    await stopAllWorkers()
    await stopAllRedis()
    removeTempFolders()
  })

  it('computes the quickstart on two workers with results identical, byte for byte, to a local run', async () => {
    const local = writeProject(path.join(makeTempFolder(), 'local'), {
      batch: 'example',
      runClassFile: quickstartClass,
      designs: JSON.parse(readFileSync(path.join(path.dirname(quickstartClass), 'batchdesk.json'), 'utf8'))
        .batches[0].designs
    })
    const remote = writeProject(path.join(makeTempFolder(), 'remote'), {
      batch: 'example',
      runClassFile: quickstartClass,
      designs: JSON.parse(readFileSync(path.join(local, 'batchdesk.json'), 'utf8')).batches[0].designs
    })
    const here = await compute(local, 'example')
    const counted = countingExecutor(executorFor(remote))
    const there = await compute(remote, 'example', counted.executor)

    expect(there.report).toMatchObject({ computed: 62, failed: 0, pending: 0 })
    expect(there.ids).toEqual(here.ids)
    const distinct = [...new Set(here.ids)]
    expect([...storedRecords(remote, 'example', distinct)]).toEqual([
      ...storedRecords(local, 'example', distinct)
    ])
    expect(counted.outcomes.every((outcome) => outcome.host === hostname())).toBe(true)
    expect([...counted.deliveries.values()].every((count) => count === 1)).toBe(true)

    const project = await Project.open(remote)
    try {
      const run = project.batch('example').batch.getRunsWith({ A: 10 })[0]
      expect(run.result).toEqual({ val: 80 })
      expect(run.status).toBe('cached')
    } finally {
      project.close()
    }
  })

  it('computes a 10,000-run design on two workers exactly as the local pool does, each run stored once', async () => {
    const local = writeProject(path.join(makeTempFolder(), 'local'), {
      batch: 'big',
      runClassFile: quickstartClass,
      designs: tenThousandDesign()
    })
    const remote = writeProject(path.join(makeTempFolder(), 'remote'), {
      batch: 'big',
      runClassFile: quickstartClass,
      designs: tenThousandDesign()
    })
    const here = await compute(local, 'big')
    const there = await compute(remote, 'big', executorFor(remote))

    expect(here.report).toMatchObject({ computed: 10_000, failed: 0 })
    expect(there.report).toMatchObject({ computed: 10_000, failed: 0, pending: 0 })
    const localRecords = storedRecords(local, 'big', here.ids)
    const remoteRecords = storedRecords(remote, 'big', there.ids)
    let differing = 0
    for (const [id, record] of localRecords) if (remoteRecords.get(id) !== record) differing++
    expect(differing).toBe(0)
    const onDisk = recordsOnDisk(remote)
    expect(onDisk.size).toBe(10_000)
    expect([...onDisk.values()].every((count) => count === 1)).toBe(true)
  })

  it('hands parameters to the run exactly as locally: NaN, -0, Infinity, dates, typed arrays, $bd keys', async () => {
    const EchoRun = loadRunClass(path.join(fixtures, 'echo_run.ts'))
    const values = [
      NaN,
      -0,
      Infinity,
      new Date(0),
      Float64Array.of(1.5, NaN, -0),
      { nested: [NaN, { $bd: 'user' }] },
      'text',
      null
    ]
    const records: Map<string, string>[] = []
    for (const remote of [false, true]) {
      const dir = makeTempFolder()
      const batch = new Batch('echo', { path: dir })
      try {
        for (const value of values) batch.addRun(EchoRun, { value })
        const report = await batch.execute(remote ? { executor: executorFor(dir) } : { processes: 1 })
        expect(report).toMatchObject({ computed: values.length, failed: 0 })
        expect(batch.runs[1].result).toEqual({ value: -0, type: '[object Number]', negativeZero: true })
        expect((batch.runs[4].result as { type: string }).type).toBe('[object Float64Array]')
      } finally {
        batch.close()
      }
      records.push(
        storedRecords(
          dir,
          'echo',
          batch.runs.map((run) => run.id)
        )
      )
    }
    expect([...records[1]]).toEqual([...records[0]])
  })

  it('reports a run that fails in user code as failed after one computation, and computes it again only when asked', async () => {
    const dir = makeTempFolder()
    const log = path.join(dir, 'computed.log')
    writeProject(dir, {
      batch: 'counted',
      runClassFile: path.join(fixtures, 'counted_run.ts'),
      designs: [{ kind: 'factorial', grid: { n: { $range: [0, 40, 1] }, failEvery: [7], _log: [log] } }]
    })
    const first = await compute(dir, 'counted', executorFor(dir))
    expect(first.report).toMatchObject({ computed: 34, failed: 6, pending: 0 })
    expect(first.report.failures.map((failure) => failure.kind)).toEqual(Array(6).fill('error'))
    expect(first.report.failures[0].message).toMatch(/^n = \d+ is a multiple of 7$/)
    expect([...computations(log).values()]).toEqual(Array(40).fill(1))

    const project = await Project.open(dir)
    try {
      const failed = project.batch('counted').batch.getRunsWith({ n: 14 })[0]
      expect(failed.status).toBe('failed')
      expect(failed.error).toMatchObject({ kind: 'error', message: 'n = 14 is a multiple of 7' })
      // Retrying failed runs sends only those, once more each.
      const again = await project.execute('counted', { executor: executorFor(dir) })
      expect(again).toMatchObject({ computed: 0, failed: 6, cached: 34 })
    } finally {
      project.close()
    }
    const counts = computations(log)
    expect([...counts.values()].filter((count) => count === 2)).toHaveLength(6)
    expect([...counts.values()].filter((count) => count === 1)).toHaveLength(34)
  })

  it('stops a run past its timeout on the worker, as locally', async () => {
    const dir = makeTempFolder()
    writeProject(dir, {
      batch: 'timed',
      runClassFile: path.join(fixtures, 'counted_run.ts'),
      designs: [{ kind: 'factorial', grid: { n: [1, 2], ms: [0, 5000] } }]
    })
    const project = await Project.open(dir)
    try {
      const report = await project.execute('timed', { executor: executorFor(dir), timeout: 0.3 })
      expect(report).toMatchObject({ computed: 2, failed: 2 })
      expect(report.failures.map((failure) => [failure.kind, failure.message])).toEqual([
        ['timeout', 'took longer than the 0.3 s timeout'],
        ['timeout', 'took longer than the 0.3 s timeout']
      ])
    } finally {
      project.close()
    }
  })

  it('needs no copy of the project on the workers: the code travels through Redis', async () => {
    const dir = writeProject(makeTempFolder(), {
      batch: 'example',
      runClassFile: quickstartClass,
      designs: [{ kind: 'factorial', grid: { A: [7, 8] } }]
    })
    const project = await Project.open(dir)
    try {
      // Compiled when the project opened; from here on only the engine's bundle and Redis have it.
      rmSync(path.join(dir, 'example_run.ts'))
      const report = await project.execute('example', { executor: executorFor(dir) })
      expect(report).toMatchObject({ computed: 2, failed: 0 })
      expect(
        project
          .batch('example')
          .batch.getRunsWith({ A: 8 })
          .map((run) => run.result)
      ).toEqual([{ val: 24 }])
    } finally {
      project.close()
    }
  })

  it('refuses a result larger than the workers allow, as a failure of that run', async () => {
    await startWorker(redis.url, ['--queue', 'small', '--max-result-mb', '1'])
    const dir = makeTempFolder()
    writeProject(dir, {
      batch: 'big-results',
      runClassFile: path.join(fixtures, 'big_result.ts'),
      designs: [{ kind: 'factorial', grid: { mb: [0.5, 2] } }]
    })
    const { report } = await compute(dir, 'big-results', executorFor(dir, { queue: 'small' }))
    expect(report).toMatchObject({ computed: 1, failed: 1 })
    expect(report.failures[0].kind).toBe('unstorable')
    expect(report.failures[0].message).toMatch(
      /^the result is 2 MiB, more than the 1 MiB a worker sends through Redis; compute this run locally \(without --redis\), or start the workers with a larger --max-result-mb$/
    )
  })

  it('cancelling removes the chunks no worker has started and keeps every finished run', async () => {
    const dir = makeTempFolder()
    const log = path.join(dir, 'computed.log')
    writeProject(dir, {
      batch: 'slow',
      runClassFile: path.join(fixtures, 'counted_run.ts'),
      designs: [{ kind: 'factorial', grid: { n: { $range: [0, 30, 1] }, ms: [150], _log: [log] } }]
    })
    const project = await Project.open(dir)
    try {
      const controller = new AbortController()
      const first = await project.execute('slow', {
        executor: executorFor(dir),
        signal: controller.signal,
        onProgress: (progress) => progress.done >= 2 && controller.abort()
      })
      expect(first.cancelled).toBe(true)
      expect(first.pending).toBeGreaterThan(0)

      const queue = new Queue('runs', { connection: { url: redis.url }, prefix: 'batchdesk' })
      try {
        const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active')
        expect(counts.waiting + counts.prioritized + counts.delayed).toBe(0)
      } finally {
        await queue.close()
      }

      const second = await project.execute('slow', { executor: executorFor(dir) })
      expect(second.pending).toBe(0)
      expect(first.computed + second.computed).toBe(30)
      expect(project.batch('slow').batch.statusCounts()).toMatchObject({ done: 30, pending: 0 })
    } finally {
      project.close()
    }
    expect([...recordsOnDisk(dir).values()]).toEqual(Array(30).fill(1))
  }, 60_000)

  it("the app's connection test counts the workers pulling from the Redis", async () => {
    const service = createService()
    try {
      const answer = await localApi(service).projects.checkRedis({ redis: redis.url })
      expect(answer).toEqual({ ok: true, value: { processes: 2, machines: 1 } })
    } finally {
      await service.dispose()
    }
  })

  it('tells the app how many workers a batch found, and warns when none is there yet', async () => {
    const service = createService()
    const empty = await startRedis()
    try {
      const dir = writeProject(makeTempFolder(), {
        batch: 'example',
        runClassFile: quickstartClass,
        designs: [{ kind: 'factorial', grid: { A: [1, 2, 3] } }],
        settings: { redis: redis.url }
      })
      const api = localApi(service)
      valueOf(await api.projects.open({ dir }))
      const logs = collectEvents(service, 'log')
      await executeAndWait(service, 'example')
      expect(logs.filter((event) => event.topic === 'workers')).toContainEqual(
        expect.objectContaining({
          batch: 'example',
          level: 'info',
          message: `2 worker processes on 1 machine(s) pulling from queue 'runs' at ${redis.url}`
        })
      )

      // Sent to a Redis no worker pulls from: the runs wait, and the app is told why.
      valueOf(await api.projects.setComputeTarget({ redis: empty.url }))
      const warned = nextEvent(service, 'log', (event) => event.topic === 'workers' && event.level === 'warn')
      valueOf(
        await api.batches.addDesign({
          batch: 'example',
          design: { kind: 'factorial', grid: { A: [4, 5] } },
          run: true
        })
      )
      expect((await warned).message).toBe(
        `No Batchdesk worker is pulling from queue 'runs' at ${empty.url} yet; runs wait in the queue until one starts (batchdesk worker --redis ${empty.url})`
      )
      valueOf(await api.batches.cancel({ batch: 'example' }))
    } finally {
      await service.dispose()
      await empty.stop()
    }
  })

  it('the app sends the runs of a project that sets a Redis to the workers, and shows their hosts', async () => {
    const dir = writeProject(makeTempFolder(), {
      batch: 'example',
      runClassFile: quickstartClass,
      designs: [{ kind: 'factorial', grid: { A: [1, 2, 3, 4, 5] } }],
      settings: { redis: redis.url }
    })
    const project = await Project.open(dir)
    try {
      const { batch } = project.batch('example')
      const changed = new Set<string>()
      const execution = new BatchExecution({
        project,
        batch: 'example',
        plan: planCompute(batch, {}),
        onProgress: () => undefined,
        onRunIds: (ids) => ids.forEach((id) => changed.add(id))
      })
      const report = await execution.finished
      expect(report).toMatchObject({ computed: 5, failed: 0 })
      expect(changed.size).toBe(5)
      expect(batch.runs.map((run) => run.status)).toEqual(Array(5).fill('done'))
    } finally {
      project.close()
    }
    const store = acquireStore(path.join(dir, '_res'), { readOnly: true })
    try {
      expect(store.listMeta('example').map((meta) => meta.host)).toEqual(Array(5).fill(hostname()))
    } finally {
      store.release()
    }
  })

  it('batchdesk run --redis (or the project setting) sends the runs to the workers, --local computes here', async () => {
    const viaFlag = makeTempFolder()
    writeProject(viaFlag, {
      batch: 'example',
      runClassFile: quickstartClass,
      designs: [{ kind: 'factorial', grid: { A: [1, 2, 3] } }]
    })
    let c = capture()
    expect(await main(['run', viaFlag, '--redis', redis.url], c.io)).toBe(0)
    expect(c.out.join('\n')).toMatch(/example: 3 computed, 0 already stored/)
    expect(c.err.join('\n')).toContain(`example: sending the runs to the workers at ${redis.url}`)

    const viaSetting = makeTempFolder()
    writeProject(viaSetting, {
      batch: 'example',
      runClassFile: quickstartClass,
      designs: [{ kind: 'factorial', grid: { A: [1, 2, 3, 4] } }],
      settings: { redis: redis.url }
    })
    c = capture()
    expect(await main(['run', viaSetting], c.io)).toBe(0)
    expect(c.out.join('\n')).toMatch(/example: 4 computed/)
    expect(c.err.join('\n')).toContain('sending the runs to the workers')

    // The project points at a Redis that is not there: --local finishes the batch here.
    const manifestFile = path.join(viaSetting, 'batchdesk.json')
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'))
    manifest.settings.redis = `redis://127.0.0.1:${await freePort()}`
    manifest.batches[0].designs.push({ kind: 'run', parameters: { A: 9 } })
    writeFileSync(manifestFile, JSON.stringify(manifest))
    c = capture()
    expect(await main(['run', viaSetting], c.io)).toBe(1)
    expect(c.err.join('\n')).toMatch(
      /Cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+ \(connection refused\)\. Is redis-server running\? The batch can always be finished locally/
    )
    c = capture()
    expect(await main(['run', viaSetting, '--local'], c.io)).toBe(0)
    expect(c.out.join('\n')).toMatch(/example: 1 computed, 4 already stored/)
  })
})

describe('a Redis that cannot be used', () => {
  afterAll(async () => {
    await stopAllWorkers()
    await stopAllRedis()
    removeTempFolders()
  })

  it('fails with what to do when Redis cannot be reached; nothing is stored and the batch finishes locally', async () => {
    const dir = writeProject(makeTempFolder(), {
      batch: 'example',
      runClassFile: quickstartClass,
      designs: [{ kind: 'factorial', grid: { A: [1, 2] } }]
    })
    const url = `redis://127.0.0.1:${await freePort()}`
    const executor = new RedisExecutor({ url })
    await expect(compute(dir, 'example', executor)).rejects.toThrow(
      `Cannot reach Redis at ${url} (connection refused). Is redis-server running? The batch can always be finished locally: run it without --redis (or with --local when the project sets redis).`
    )
    await executor.close()
    expect(recordsOnDisk(dir).size).toBe(0)
    const { report } = await compute(dir, 'example')
    expect(report).toMatchObject({ computed: 2, failed: 0 })
  })

  it('talks TLS with rediss:// (a private CA through NODE_EXTRA_CA_CERTS), and says so when TLS fails', async () => {
    const dir = makeTempFolder()
    const tls = selfSignedCertificate(dir)
    const redis = await startRedis({ tls })
    const trust = { NODE_EXTRA_CA_CERTS: tls.cert }
    await startWorker(redis.url, [], trust)
    const project = writeProject(path.join(dir, 'project'), {
      batch: 'example',
      runClassFile: quickstartClass,
      designs: [{ kind: 'factorial', grid: { A: [1, 2, 3] } }]
    })
    const run = await runCli(['run', project, '--redis', redis.url], trust)
    expect(run.output).toMatch(/example: 3 computed, 0 already stored/)
    expect(run.code).toBe(0)

    // Without trusting the certificate, the engine says what failed and what to do.
    const other = writeProject(path.join(dir, 'other'), {
      batch: 'example',
      runClassFile: quickstartClass,
      designs: [{ kind: 'run', parameters: { A: 4 } }]
    })
    const untrusted = new RedisExecutor({ url: redis.url })
    await expect(compute(other, 'example', untrusted)).rejects.toThrow(
      /^The TLS connection to Redis at rediss:\/\/127\.0\.0\.1:\d+ failed \(self[- ]signed certificate\)\. rediss:\/\/ needs a server that speaks TLS; for a private certificate authority set NODE_EXTRA_CA_CERTS/
    )
    await untrusted.close()
  })

  it('says when Redis refuses the password or needs one, and works with the right one', async () => {
    const redis = await startRedis({ password: 's3cret' })
    const dir = writeProject(makeTempFolder(), {
      batch: 'example',
      runClassFile: quickstartClass,
      designs: [{ kind: 'factorial', grid: { A: [1, 2, 3] } }]
    })
    const wrong = new RedisExecutor({ url: `redis://:nope@127.0.0.1:${redis.port}` })
    await expect(compute(dir, 'example', wrong)).rejects.toThrow(
      new RegExp(
        `^Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${redis.port} refused the user name or password \\(WRONGPASS`
      )
    )
    const none = new RedisExecutor({ url: `redis://127.0.0.1:${redis.port}` })
    await expect(compute(dir, 'example', none)).rejects.toThrow(
      /requires a password \(NOAUTH .*\)\. Put it in the URL: redis:\/\/:password@host:6379/
    )
    await Promise.all([wrong.close(), none.close()])

    await startWorker(redis.url)
    const right = new RedisExecutor({ url: redis.url, namespace: projectNamespace(dir) })
    try {
      const { report } = await compute(dir, 'example', right)
      expect(report).toMatchObject({ computed: 3, failed: 0 })
    } finally {
      await right.close()
    }
  })
})
