/**
 * Benchmarks of running batches through Redis (the distributed issue): throughput of trivial runs with
 * two local `batchdesk worker` processes against the local pool on the same workload, the per-run
 * overhead that adds, the round trip of a single run, and how CPU-bound work scales with workers.
 * Needs redis-server on PATH (a private one is started on a random loopback port).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Batch, loadRunClass } from '../../src-main/engine'
import { loadRunModuleExports } from '../../src-main/engine/compile'
import { projectNamespace, RedisExecutor } from '../../src-main/engine/distributed'
import type { ExecuteReport } from '../../src-main/engine/batch'
import {
  repoRoot,
  startRedis,
  startWorker,
  stopAllRedis,
  stopAllWorkers
} from '../engine/distributed/helpers'

const fixtures = path.join(repoRoot, 'test', 'bench', 'fixtures')
const B = [
  [2, 5, 8],
  [1, 9, 6, 3, 9],
  [6, 4, 0, 9, 4, 1],
  [7, 7],
  [3, 1, 4, 1, 5]
]

function report(name: string, value: number, unit: string, target: string): void {
  console.log(
    `${name.padEnd(58)} ${value.toFixed(unit === 'x' ? 2 : 3).padStart(10)} ${unit.padEnd(6)} (target ${target})`
  )
}

function trivialGrid(runs: number) {
  const { min, max, sum, len } = loadRunModuleExports(path.join(fixtures, 'trivial_run.ts')) as Record<
    string,
    unknown
  >
  return { A: Array.from({ length: runs / 20 }, (_, i) => i), B, operator: [min, max, sum, len] }
}

/** Computes a fresh batch in a temporary folder, locally (`url` undefined) or through Redis. */
async function computeOnce(
  file: string,
  grid: Record<string, unknown>,
  options: { url?: string; processes?: number }
): Promise<ExecuteReport> {
  const RunClass = loadRunClass(path.join(fixtures, file))
  const dir = mkdtempSync(path.join(tmpdir(), 'bd-bench-'))
  const batch = new Batch('bench', { path: dir })
  const executor = options.url
    ? new RedisExecutor({ url: options.url, namespace: projectNamespace(dir) })
    : undefined
  try {
    batch.addFactorialRuns(RunClass, grid)
    const result = await batch.execute(executor ? { executor } : { processes: options.processes })
    if (result.failed > 0 || result.pending > 0)
      throw new Error(`runs failed or left: ${JSON.stringify(result.failures.slice(0, 3))}`)
    return result
  } finally {
    await executor?.close()
    batch.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A redis-server and `workers` local workers (one process each) for the duration of `body`. */
async function withCluster(workers: number, body: (url: string) => Promise<void>): Promise<void> {
  const redis = await startRedis()
  try {
    await Promise.all(Array.from({ length: workers }, () => startWorker(redis.url)))
    await body(redis.url)
  } finally {
    await stopAllWorkers()
    await stopAllRedis()
  }
}

async function trivialThroughput(runs: number): Promise<void> {
  const local = await computeOnce('trivial_run.ts', trivialGrid(runs), { processes: 2 })
  report(
    `local pool: ${runs.toLocaleString('en')} trivial runs, 2 processes, durable`,
    runs / local.wallTime,
    'runs/s',
    '-'
  )
  await withCluster(2, async (url) => {
    const remote = await computeOnce('trivial_run.ts', trivialGrid(runs), { url })
    report(
      `Redis: ${runs.toLocaleString('en')} trivial runs, 2 local workers, durable`,
      runs / remote.wallTime,
      'runs/s',
      '≥ 5,000 runs/s'
    )
    report(`  Redis throughput / local pool throughput`, local.wallTime / remote.wallTime, 'x', '-')
    report(`  wall time per run through Redis (2 workers)`, (remote.wallTime / runs) * 1000, 'ms', '≤ 0.2 ms')
    report(
      `  overhead per run over the local pool`,
      ((remote.wallTime - local.wallTime) / runs) * 1000,
      'ms',
      '-'
    )
  })
}

async function roundTrip(samples: number): Promise<void> {
  await withCluster(2, async (url) => {
    const RunClass = loadRunClass(path.join(fixtures, 'trivial_run.ts'))
    const dir = mkdtempSync(path.join(tmpdir(), 'bd-bench-'))
    const batch = new Batch('bench', { path: dir })
    const executor = new RedisExecutor({ url, namespace: projectNamespace(dir) })
    const times: number[] = []
    try {
      for (let i = 0; i < samples; i++) {
        const run = batch.addRun(RunClass, { A: i })
        const result = await batch.execute({ runs: [run], executor })
        if (result.computed !== 1) throw new Error(`run ${i} was not computed: ${JSON.stringify(result)}`)
        times.push(result.wallTime * 1000)
      }
    } finally {
      await executor.close()
      batch.close()
      rmSync(dir, { recursive: true, force: true })
    }
    times.sort((a, b) => a - b)
    report(
      `one run through Redis and back, stored (median of ${samples})`,
      times[Math.floor(samples / 2)],
      'ms',
      '≤ 50 ms'
    )
    report(
      `  slowest of ${samples} (the first includes forking a worker process)`,
      times[samples - 1],
      'ms',
      '-'
    )
  })
}

async function cpuScaling(runs: number): Promise<void> {
  const seconds: number[] = []
  const grid = { seed: Array.from({ length: runs }, (_, i) => i + 1) }
  const local = await computeOnce('cpu_run.ts', grid, { processes: 1 })
  report(`CPU-bound runs (${runs}), local pool, 1 process`, local.wallTime, 's', '-')
  for (const workers of [1, 2]) {
    await withCluster(workers, async (url) => {
      const result = await computeOnce('cpu_run.ts', grid, { url })
      seconds.push(result.wallTime)
      report(
        `CPU-bound runs (${runs}) through Redis, ${workers} worker${workers > 1 ? 's' : ''}`,
        result.wallTime,
        's',
        '-'
      )
    })
  }
  report(`  1 Redis worker against the local pool (1 process)`, local.wallTime / seconds[0], 'x', '≈ 1.0x')
  report(`  speed-up with 2 workers`, seconds[0] / seconds[1], 'x', '≥ 1.8x on 2 cores')
}

const scenarios: Record<string, () => Promise<void>> = {
  'redis-trivial-50k': () => trivialThroughput(50_000),
  'redis-round-trip': () => roundTrip(30),
  'redis-cpu-scaling': () => cpuScaling(60)
}

export async function runScenario(name: string): Promise<void> {
  const scenario = scenarios[name]
  if (!scenario) throw new Error(`unknown scenario ${name}; scenarios: ${Object.keys(scenarios).join(', ')}`)
  await scenario()
}

export const scenarioNames = Object.keys(scenarios)
