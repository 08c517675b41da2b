/**
 * Engine benchmarks for the figures named in the engine issue. Each scenario runs in its own Node process
 * (scripts/bench.mjs) so memory figures are not polluted by the others. Prints one line per figure.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Batch, loadRunClass } from '../../src-main/engine'
import { loadRunModuleExports } from '../../src-main/engine/compile'
import { acquireStore, type NewResult } from '../../src-main/engine/store'

const fixtures = path.join(__dirname, '..', '..', 'test', 'bench', 'fixtures')
const B = [[2, 5, 8], [1, 9, 6, 3, 9], [6, 4, 0, 9, 4, 1], [7, 7], [3, 1, 4, 1, 5]]

function quickstartGrid(runs: number) {
  const { min, max, sum, len } = loadRunModuleExports(path.join(fixtures, 'trivial_run.ts')) as Record<string, unknown>
  return { A: Array.from({ length: runs / 20 }, (_, i) => i), B, operator: [min, max, sum, len] }
}

function report(name: string, value: number, unit: string, target: string): void {
  console.log(`${name.padEnd(58)} ${value.toFixed(unit === 'MB' || unit === 'x' ? 2 : 3).padStart(10)} ${unit.padEnd(6)} (target ${target})`)
}

function mb(bytes: number): number {
  return bytes / 1024 / 1024
}

function gc(): void {
  ;(globalThis as { gc?: () => void }).gc?.()
}

async function designBuild(runs: number): Promise<void> {
  const TrivialRun = loadRunClass(path.join(fixtures, 'trivial_run.ts'))
  const grid = quickstartGrid(runs)
  const dir = mkdtempSync(path.join(tmpdir(), 'bd-bench-'))
  gc()
  const before = process.memoryUsage()
  const started = performance.now()
  const batch = new Batch('bench', { path: dir })
  batch.addFactorialRuns(TrivialRun, grid)
  const counts = batch.statusCounts()
  const seconds = (performance.now() - started) / 1000
  gc()
  const after = process.memoryUsage()
  if (counts.pending !== runs) throw new Error(`expected ${runs} pending runs, got ${JSON.stringify(counts)}`)
  report(`build a ${runs.toLocaleString('en')}-run factorial design (ids + status)`, seconds, 's', '≤ 3 s at 1M')
  report(`  memory held by it (heap + external + array buffers)`, mb(after.heapUsed + after.external - before.heapUsed - before.external), 'MB', '≤ 400 MB at 1M')
  report(`  process RSS growth while building`, mb(after.rss - before.rss), 'MB', '≤ 400 MB at 1M')
  report(`  process RSS after building (Node itself included)`, mb(after.rss), 'MB', '-')
  batch.close()
  rmSync(dir, { recursive: true, force: true })
}

async function computeTrivial(runs: number, processes: number): Promise<void> {
  const TrivialRun = loadRunClass(path.join(fixtures, 'trivial_run.ts'))
  const dir = mkdtempSync(path.join(tmpdir(), 'bd-bench-'))
  const batch = new Batch('bench', { path: dir })
  batch.addFactorialRuns(TrivialRun, quickstartGrid(runs))
  const result = await batch.execute({ processes })
  if (result.computed !== runs) throw new Error(`computed ${result.computed} of ${runs}: ${JSON.stringify(result.failures.slice(0, 3))}`)
  report(`compute ${runs.toLocaleString('en')} trivial runs, ${processes} processes, durable`, runs / result.wallTime, 'runs/s', '≥ 20,000 runs/s')
  report(`  wall time`, result.wallTime, 's', '-')
  batch.close()
  rmSync(dir, { recursive: true, force: true })
}

/** Writes `runs` results straight into the store (as if computed) so reopening can be measured at 1M. */
async function prepareDoneProject(dir: string, runs: number): Promise<void> {
  const TrivialRun = loadRunClass(path.join(fixtures, 'trivial_run.ts'))
  const batch = new Batch('bench', { path: dir })
  batch.addFactorialRuns(TrivialRun, quickstartGrid(runs))
  const codeHash = batch.runClassOf(0).codeHash
  const store = acquireStore(path.join(dir, '_res'))
  const now = Date.now()
  for (let start = 0; start < runs; start += 5000) {
    const group: NewResult[] = []
    for (let i = start; i < Math.min(runs, start + 5000); i++) {
      group.push({
        batch: 'bench',
        id: batch.runs[i].id,
        runClass: 'TrivialRun',
        codeHash,
        parametersJson: '{}',
        runtime: 0.00001,
        started: now,
        ended: now,
        host: 'bench',
        log: '',
        logTruncated: false,
        resultJson: `{"val":${i}}`,
        scalarsJson: `{"val":${i}}`
      })
    }
    await store.write(group)
  }
  store.release()
  batch.close()
}

async function reopen(runs: number): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bd-bench-'))
  const prepStarted = performance.now()
  await prepareDoneProject(dir, runs)
  console.log(`  (prepared ${runs.toLocaleString('en')} stored results in ${((performance.now() - prepStarted) / 1000).toFixed(1)} s)`)
  const TrivialRun = loadRunClass(path.join(fixtures, 'trivial_run.ts'))
  const grid = quickstartGrid(runs)
  const started = performance.now()
  const batch = new Batch('bench', { path: dir })
  batch.addFactorialRuns(TrivialRun, grid)
  const counts = batch.statusCounts()
  const seconds = (performance.now() - started) / 1000
  if (counts.cached !== runs) throw new Error(`expected ${runs} done runs, got ${JSON.stringify(counts)}`)
  report(`reopen ${runs.toLocaleString('en')} done runs and know every status`, seconds, 's', '≤ 1 s at 1M')

  const queryStarted = performance.now()
  const repeats = 10
  let matched = 0
  for (let i = 0; i < repeats; i++) matched = batch.getRunsWith({ A__ge: 100, B: [2, 5, 8] }).length
  report(`getRunsWith(A__ge, B=[…]) over ${runs.toLocaleString('en')} runs (mean of ${repeats}, ${matched} match)`, (performance.now() - queryStarted) / repeats, 'ms', '≤ 50 ms')
  batch.close()
  rmSync(dir, { recursive: true, force: true })
}

async function cpuScaling(runs: number): Promise<void> {
  const CpuRun = loadRunClass(path.join(fixtures, 'cpu_run.ts'))
  const seconds: number[] = []
  for (const processes of [1, 2]) {
    const dir = mkdtempSync(path.join(tmpdir(), 'bd-bench-'))
    const batch = new Batch('cpu', { path: dir })
    batch.addFactorialRuns(CpuRun, { seed: Array.from({ length: runs }, (_, i) => i + 1) })
    const result = await batch.execute({ processes })
    seconds.push(result.wallTime)
    const perRun = result.wallTime / runs / (processes === 1 ? 1 : 0.5)
    report(`CPU-bound runs (${runs}), ${processes} process${processes > 1 ? 'es' : ''}`, result.wallTime, 's', `${(perRun * 1000).toFixed(0)} ms of work per run`)
    batch.close()
    rmSync(dir, { recursive: true, force: true })
  }
  report(`  speed-up with 2 processes`, seconds[0] / seconds[1], 'x', '≥ 1.8x')
}

const scenarios: Record<string, () => Promise<void>> = {
  'design-100k': () => designBuild(100_000),
  'design-1m': () => designBuild(1_000_000),
  'compute-10k-1p': () => computeTrivial(10_000, 1),
  'compute-100k-2p': () => computeTrivial(100_000, 2),
  'reopen-1m': () => reopen(1_000_000),
  'cpu-scaling': () => cpuScaling(100)
}

export async function runScenario(name: string): Promise<void> {
  const scenario = scenarios[name]
  if (!scenario) throw new Error(`unknown scenario ${name}; scenarios: ${Object.keys(scenarios).join(', ')}`)
  await scenario()
}

export const scenarioNames = Object.keys(scenarios)
