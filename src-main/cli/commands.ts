import path from 'node:path'
import { writeFileSync } from 'node:fs'
import cliProgress from 'cli-progress'
import { Project, listExamples } from '../engine/project/project'
import { BatchInputError, type BatchProgress, type ExecuteReport } from '../engine/batch'
import { projectNamespace, RedisExecutor } from '../engine/distributed'
import { parseCondition, type Condition } from '../engine/query/conditions'
import { scalarFields } from '../engine/store/codec'
import { formatCsv, formatDuration, formatTable, formatValue } from './format'

/** Exit codes: 0 ok, 1 some runs failed, 2 bad usage or input. */
export const EXIT_OK = 0
export const EXIT_RUNS_FAILED = 1
export const EXIT_BAD_INPUT = 2

export interface Output {
  out(text: string): void
  err(text: string): void
  isTTY: boolean
}

export async function newProject(dir: string, options: { example?: string; name?: string }, io: Output): Promise<number> {
  const project = await Project.create(dir, options)
  try {
    const runs = project.batches.reduce((n, b) => n + b.batch.runs.length, 0)
    io.out(`Created project '${project.manifest.name}' in ${project.dir}`)
    const batches = project.batches.length === 1 ? '1 batch' : `${project.batches.length} batches`
    if (runs > 0) io.out(`It has ${batches} with ${runs} runs. Compute them with: batchdesk run ${relative(project.dir)}`)
    else io.out(`Add a batch to ${path.join(project.dir, 'batchdesk.json')}, or open the folder in the Batchdesk app`)
  } finally {
    project.close()
  }
  return EXIT_OK
}

export function examples(io: Output): number {
  for (const example of listExamples()) io.out(`${example.id.padEnd(16)} ${example.name} — ${example.description}`)
  return EXIT_OK
}

export async function runBatches(
  dir: string,
  options: { batch?: string; processes?: number; rerunStale?: boolean; timeout?: number; redis?: string; local?: boolean },
  io: Output
): Promise<number> {
  const project = await Project.open(dir)
  // Runs go to workers through Redis when asked to (or when the project says so), unless --local.
  const redis = options.local ? undefined : (options.redis ?? project.manifest.settings.redis)
  let executor: RedisExecutor | undefined
  try {
    executor = redis ? new RedisExecutor({ url: redis, namespace: projectNamespace(project.dir), onStatus: (message) => io.err(message) }) : undefined
  } catch (error) {
    project.close()
    throw error
  }
  const controller = new AbortController()
  const onSignal = () => {
    io.err('\nStopping: runs in progress are cancelled, finished results are kept. Press Ctrl+C again to quit at once.')
    if (controller.signal.aborted) process.exit(130)
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  let failed = 0
  try {
    const names = options.batch ? [project.batch(options.batch).name] : project.batches.map((b) => b.name)
    if (names.length === 0) io.out('This project has no batches yet.')
    for (const name of names) {
      const report = await runOne(project, name, { ...options, executor }, controller.signal, io)
      failed += report.failed
      if (report.cancelled) break
    }
  } finally {
    process.off('SIGINT', onSignal)
    await executor?.close()
    project.close()
  }
  return failed > 0 ? EXIT_RUNS_FAILED : EXIT_OK
}

async function runOne(
  project: Project,
  name: string,
  options: { processes?: number; rerunStale?: boolean; timeout?: number; executor?: RedisExecutor },
  signal: AbortSignal,
  io: Output
): Promise<ExecuteReport> {
  const bar = io.isTTY
    ? new cliProgress.SingleBar(
        { format: `${name} [{bar}] {value}/{total} runs | {rate} runs/s | ETA {eta_text}`, hideCursor: true, clearOnComplete: true, stream: process.stderr },
        cliProgress.Presets.shades_classic
      )
    : undefined
  let lastLine = 0
  const onProgress = (p: BatchProgress) => {
    const rate = p.runsPerSecond >= 100 ? Math.round(p.runsPerSecond) : p.runsPerSecond.toFixed(1)
    if (bar) {
      if (p.done === 0 && p.total > 0) bar.start(p.total, 0, { rate, eta_text: '…' })
      bar.update(p.done, { rate, eta_text: formatDuration(p.etaSeconds) })
    } else if (p.total > 0 && (Date.now() - lastLine > 5000 || p.done === p.total) && p.done > 0) {
      lastLine = Date.now()
      io.err(`${name}: ${p.done}/${p.total} runs, ${rate} runs/s, ETA ${formatDuration(p.etaSeconds)}`)
    }
  }
  if (options.executor) io.err(`${name}: sending the runs to the workers at ${options.executor.label}`)
  const report = await project.execute(name, { processes: options.processes, rerunStale: options.rerunStale, timeout: options.timeout, signal, onProgress, executor: options.executor })
  bar?.stop()
  const parts = [`${report.computed} computed`, `${report.cached} already stored`]
  if (report.failed) parts.push(`${report.failed} failed`)
  if (report.pending) parts.push(`${report.pending} not finished`)
  io.out(`${name}: ${parts.join(', ')} in ${formatDuration(report.wallTime)}${report.cancelled ? ' (cancelled)' : ''}`)
  for (const failure of report.failures.slice(0, 10)) io.out(`  failed ${failure.id.slice(0, 10)}: ${failure.message.split('\n')[0]}`)
  if (report.failures.length > 10) io.out(`  … and ${report.failures.length - 10} more failures (see: batchdesk query --batch ${name} --status failed)`)
  const stale = project.batch(name).batch.statusCounts().stale
  if (stale > 0 && !options.rerunStale) io.out(`  ${stale} results were made by an older version of the run class; recompute them with --rerun-stale`)
  return report
}

/** Opens a project to read it: normally, or read-only when another Batchdesk is writing to it. */
export async function openForReading(dir: string): Promise<Project> {
  return Project.open(dir).catch(async (error) => {
    if ((error as Error).name === 'ProjectInUseError') return Project.open(dir, { readOnly: true })
    throw error
  })
}

export async function status(dir: string, io: Output): Promise<number> {
  const project = await openForReading(dir)
  try {
    io.out(`Project '${project.manifest.name}' (${project.dir})`)
    const rows = project.status().map((s) => [
      s.batch,
      String(s.runs),
      String(s.counts.done + s.counts.cached),
      String(s.counts.pending + s.counts.running),
      String(s.counts.failed),
      String(s.counts.stale),
      String(s.counts.corrupt),
      s.loadError ? `run class does not load: ${s.loadError.split('\n')[0]}` : ''
    ])
    io.out(formatTable(['batch', 'runs', 'done', 'pending', 'failed', 'stale', 'corrupt', 'note'], rows))
  } finally {
    project.close()
  }
  return EXIT_OK
}

export async function query(
  dir: string,
  options: { batch: string; conditions: string[]; format: 'table' | 'json' | 'csv'; status?: string },
  io: Output
): Promise<number> {
  const conditions: Condition[] = options.conditions.map((text) => parseCondition(text))
  const project = await openForReading(dir)
  try {
    const { batch } = project.batch(options.batch)
    let indices = batch.selectIndices(conditions)
    if (options.status) indices = indices.filter((i) => batch.runStatus(i) === options.status)
    const names = batch.parameterNames
    const rows = indices.map((index) => {
      const run = batch.runs[index]
      const done = run.done
      const result = done ? run.result : undefined
      return { index, id: run.id, status: run.status, parameters: run.parameters, result, runtime: done ? run.runtime : undefined }
    })
    if (options.format === 'json') {
      io.out(JSON.stringify(rows, (_k, v) => (v && typeof v === 'object' && 'path' in v && v.constructor?.name === 'FunctionRef' ? v.name : v), 2))
      return EXIT_OK
    }
    const resultNames = [...new Set(rows.flatMap((r) => Object.keys(scalarFields(r.result))))]
    const header = ['index', 'id', 'status', ...names, ...resultNames, 'runtime']
    const cells = rows.map((r) => {
      const scalars = scalarFields(r.result)
      return [
        String(r.index),
        options.format === 'csv' ? r.id : r.id.slice(0, 10),
        r.status,
        ...names.map((n) => formatValue(r.parameters[n])),
        ...resultNames.map((n) => formatValue(scalars[n])),
        r.runtime === undefined ? '' : options.format === 'csv' ? String(r.runtime) : `${(r.runtime * 1000).toFixed(1)} ms`
      ]
    })
    if (options.format === 'csv') io.out(formatCsv(header, cells).trimEnd())
    else {
      io.out(formatTable(header, cells))
      io.out(`${rows.length} of ${batch.runs.length} runs match`)
    }
  } finally {
    project.close()
  }
  return EXIT_OK
}

export async function ids(dir: string, options: { batch: string; format: 'json' | 'ts' | 'py'; output?: string }, io: Output): Promise<number> {
  const project = await openForReading(dir)
  try {
    const { batch } = project.batch(options.batch)
    const list = batch.runs.map((run) => run.id)
    const body = JSON.stringify(list, null, 1)
    const text =
      options.format === 'ts' ? `export const ids = ${body}\n` : options.format === 'py' ? `ids = ${body}\n` : `${body}\n`
    if (options.output) {
      writeFileSync(options.output, text)
      io.out(`Wrote ${list.length} ids to ${options.output}`)
    } else io.out(text.trimEnd())
  } finally {
    project.close()
  }
  return EXIT_OK
}

/** Parses a positive whole number option, with a message naming the option. */
export function wholeNumber(name: string, text: string, max = 1_000_000): number {
  const value = Number(text)
  if (!Number.isInteger(value) || value < 1 || value > max) throw new BatchInputError(`${name} must be a whole number from 1 to ${max}, not '${text}'`)
  return value
}

/** Parses a positive number option. */
export function positiveNumber(name: string, text: string): number {
  const value = Number(text)
  if (!(value > 0) || !Number.isFinite(value)) throw new BatchInputError(`${name} must be a positive number, not '${text}'`)
  return value
}

function relative(dir: string): string {
  const rel = path.relative(process.cwd(), dir)
  return rel === '' ? '.' : rel.startsWith('..') ? dir : rel
}
