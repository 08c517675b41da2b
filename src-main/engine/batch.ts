import { createHash } from 'node:crypto'
import { availableParallelism, hostname } from 'node:os'
import path from 'node:path'
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { ResultRun, Run, type RunConstructor, type RunHost, type RunStatus } from './run'
import { RunTable } from './run-table'
import { idOfCanonical } from './params/canonical'
import { FunctionRef } from './params/function-ref'
import { readParametersFromClass } from './params/read-parameters'
import { toWire } from './params/wire'
import { normalizeAxis } from './design/factorial'
import { conditionsFromKwargs, type Condition } from './query/conditions'
import { runClassInfo } from './compile'
import { LocalPool } from './exec/pool'
import { InProcessExecutor } from './exec/in-process'
import { acquireStore, type ResultStore, type FailureInfo, type NewResult } from './store'
import { encodeParameterValue } from './store/codec'
import type { Executor, RunClassInfo, RunOutcome, RunTask } from './types'

/** Batch names become file names: letters, digits, `_`, `.` and `-`. */
const BATCH_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

/** Thrown for bad input to the library API; the message says what to change. */
export class BatchInputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'BatchInputError'
  }
}

export interface BatchOptions {
  /** Folder holding `_res/` (default: the current working directory). */
  path?: string
  /** Store results on disk (default true). With false, results live in memory only, e.g. for trying things out. */
  saveResult?: boolean
}

export interface ExecuteOptions {
  /** Only these runs (default: all runs of the batch). */
  runs?: readonly Run[]
  /** Worker processes (default: the number of CPU cores, at most the number of runs to compute). */
  processes?: number
  signal?: AbortSignal
  /** Per-run timeout in seconds. */
  timeout?: number
  /** Recompute results made by an older version of the run class. */
  rerunStale?: boolean
  /** Recompute results whose file failed its check. Default true. */
  recomputeCorrupt?: boolean
  onProgress?: (progress: BatchProgress) => void
  /** Where runs get computed (default: a local pool of worker processes, or this process for inline classes). */
  executor?: Executor
}

export interface BatchProgress {
  batch: string
  /** Runs with an outcome so far in this execute (computed + failed), out of `total` to compute. */
  done: number
  total: number
  computed: number
  failed: number
  /** Runs already stored before this execute (not part of total). */
  cached: number
  runsPerSecond: number
  /** Seconds left at the current rate; undefined until there is a rate. */
  etaSeconds: number | undefined
  elapsedSeconds: number
}

export interface ExecuteReport {
  batch: string
  /** Distinct runs considered (equal ids count once). */
  runs: number
  computed: number
  cached: number
  failed: number
  /** Runs left without an outcome (cancelled, or stopped by an error). */
  pending: number
  cancelled: boolean
  wallTime: number
  failures: { id: string; kind: string; message: string }[]
}

interface ClassEntry {
  info: RunClassInfo
  ctor: RunConstructor
  /** Custom id function when the class overrides generateId. */
  generateId?: (parameters: Record<string, unknown>) => string
  isResultRun: boolean
}

interface StoredState {
  codeHash: string
  corrupt: boolean
  /** Computed by this engine (as opposed to found on disk). */
  fresh: boolean
}

interface MemoryResult {
  result: unknown
  runtime: number
  log: string
}

const PROGRESS_INTERVAL_MS = 200
/** Designs at least this large keep their ids in the index. */
const DESIGN_CACHE_MIN_RUNS = 10_000

/**
 * A batch of runs: single runs and factorial designs of one or more run classes. Results are stored under
 * `<path>/_res/`; a run whose result is stored is never computed again.
 */
export class Batch implements RunHost {
  readonly name: string
  readonly savePath: string
  readonly saveResult: boolean
  /** The runs, in the order they were added. */
  readonly runs: Run[] = []

  readonly #table = new RunTable()
  readonly #classes: ClassEntry[] = []
  #store: ResultStore | undefined
  /** Results found on disk when the batch first looked (a compact map from the store; never copied). */
  #storedOnDisk: ReadonlyMap<string, { codeHash: string; corrupt: boolean }> | undefined
  /** Results this engine stored or found since, which take precedence over #storedOnDisk. */
  readonly #storedSince = new Map<string, StoredState>()
  #failures: Map<string, FailureInfo> | undefined
  readonly #running = new Set<string>()
  readonly #memory = new Map<string, MemoryResult>()
  /** Stores of other folders that ResultRuns were opened from, by run index. */
  readonly #foreign = new Map<number, ResultStore>()
  /** Cached `"name":<json>` pieces per column slot, for the stored parameters. */
  readonly #jsonPieces = new Map<string, string[]>()

  constructor(name: string, options: BatchOptions = {}) {
    if (typeof name !== 'string' || !BATCH_NAME.test(name)) {
      throw new BatchInputError(
        `The batch name ${JSON.stringify(name)} cannot be used: use 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit`
      )
    }
    this.name = name
    this.savePath = path.resolve(options.path ?? process.cwd(), '_res')
    this.saveResult = options.saveResult ?? true
  }

  /** Parameter names seen in this batch, in the order they first appeared. */
  get parameterNames(): string[] {
    return this.#table.names.filter((name) => !name.startsWith('_'))
  }

  // ---- adding runs -------------------------------------------------------------------------------------

  /**
   * Adds one run. Missing parameters take the run class's defaults.
   * @throws BatchInputError for unknown parameter names (the message lists the valid ones).
   */
  addRun(runClass: RunConstructor | RunClassInfo, parameters: Record<string, unknown> = {}): Run {
    const classIndex = this.#registerClass(runClass)
    const entry = this.#classes[classIndex]
    const full = this.#withDefaults(entry, checkObject(parameters, 'parameters'))
    for (const name of Object.keys(full)) full[name] = functionByName(entry.info, name, full[name])
    this.#table.reserve(1)
    const slots = Object.keys(full).map((name) => {
      const column = this.#table.column(name)
      return [column, column.intern(full[name])] as const
    })
    const index = this.#table.length
    for (const [column, slot] of slots) column.slots[index] = slot
    const id = entry.generateId ? entry.generateId(publicOf(full)) : this.#pieceId(index)
    this.#table.appendRow(classIndex, id)
    return this.#pushRun(entry, index)
  }

  /**
   * Adds the full factorial design of the given values: every combination, the last parameter varying
   * fastest (as batchpy and itertools.product). A single value (a string too) counts as a one-value list.
   * @throws BatchInputError for unknown names or an empty list of values.
   */
  addFactorialRuns(runClass: RunConstructor | RunClassInfo, grid: Record<string, unknown>): Run[] {
    const classIndex = this.#registerClass(runClass)
    const entry = this.#classes[classIndex]
    checkObject(grid, 'grid')
    const axisNames = Object.keys(grid)
    this.#checkNames(entry, axisNames)
    const axes = axisNames.map((name) => {
      const values = normalizeAxis(grid[name]).map((value) => functionByName(entry.info, name, value))
      if (values.length === 0) throw new BatchInputError(`The parameter '${name}' has no values: give at least one value`)
      return values
    })
    const total = axes.reduce((product, axis) => product * axis.length, 1)
    if (total > 50_000_000) throw new BatchInputError(`This design has ${total.toLocaleString('en')} runs; the limit is 50,000,000`)
    const fixed = this.#withDefaults(entry, {})
    for (const name of axisNames) delete fixed[name]

    this.#table.reserve(total)
    const axisColumns = axisNames.map((name) => this.#table.column(name))
    const axisSlots = axes.map((values, a) => Int32Array.from(values, (value) => axisColumns[a].intern(value)))
    const fixedEntries = Object.keys(fixed).map((name) => {
      const column = this.#table.column(name)
      return { column, slot: column.intern(fixed[name]) }
    })

    // The id's pieces in name order: either an axis (varies) or a fixed value (constant).
    const publicNames = [...axisNames, ...Object.keys(fixed)].filter((name) => !name.startsWith('_')).sort(compareNames)
    const pieceSources = publicNames.map((name) => {
      const a = axisNames.indexOf(name)
      if (a >= 0) return { axis: a, constant: '' }
      const { column, slot } = fixedEntries.find((f) => f.column.name === name)!
      return { axis: -1, constant: column.pieces[slot] }
    })

    const start = this.#table.length
    const counters = new Int32Array(axes.length)
    const added: Run[] = []
    // Hashing a million runs takes about a second: large designs keep their ids in the index.
    const digest =
      !entry.generateId && total >= DESIGN_CACHE_MIN_RUNS && this.saveResult
        ? designDigest(axisNames, axisSlots.map((slots, a) => Array.from(slots, (slot) => axisColumns[a].pieces[slot])), pieceSources)
        : undefined
    const cachedIds = digest ? this.#writableStore().designIds(this.name, digest) : undefined
    const useCache = cachedIds !== undefined && cachedIds.length === total * 40
    const computedIds: string[] | undefined = digest && !useCache ? [] : undefined
    for (let n = 0; n < total; n++) {
      const index = start + n
      for (let a = 0; a < axes.length; a++) axisColumns[a].slots[index] = axisSlots[a][counters[a]]
      for (const { column, slot } of fixedEntries) column.slots[index] = slot
      let id: string
      if (useCache) {
        id = cachedIds.slice(n * 40, n * 40 + 40)
      } else if (entry.generateId) {
        id = entry.generateId(publicOf(this.#table.parametersOf(index, false)))
      } else {
        let canonical = '{'
        for (let p = 0; p < pieceSources.length; p++) {
          const source = pieceSources[p]
          if (p > 0) canonical += ','
          canonical += source.axis >= 0 ? axisColumns[source.axis].pieces[axisSlots[source.axis][counters[source.axis]]] : source.constant
        }
        id = idOfCanonical(canonical + '}')
        computedIds?.push(id)
      }
      this.#table.appendRow(classIndex, id)
      added.push(this.#pushRun(entry, index))
      // Odometer: the last axis turns fastest.
      for (let a = axes.length - 1; a >= 0; a--) {
        if (++counters[a] < axes[a].length) break
        counters[a] = 0
      }
    }
    if (useCache && !this.#spotCheckIds(start, total)) {
      // The cache disagrees with a fresh hash: never trust it; recompute every id.
      for (let n = 0; n < total; n++) this.#table.ids[start + n] = this.#pieceId(start + n)
      this.#writableStore().saveDesignIds(this.name, digest!, this.#table.ids.slice(start, start + total).join(''))
    } else if (computedIds && digest) {
      this.#writableStore().saveDesignIds(this.name, digest, computedIds.join(''))
    }
    return added
  }

  /**
   * Adds stored results by id, without their run class: a colleague's results or results of code you no
   * longer have. Parameters, result and runtime come from the stored files.
   * @throws BatchInputError when an id has no stored result in this batch.
   */
  addResultRun(ids: string | readonly string[]): Run[] {
    const list = typeof ids === 'string' ? [ids] : [...ids]
    const store = this.#readableStore()
    return list.map((id) => {
      if (typeof id !== 'string' || !/^[0-9a-f]{40}$/i.test(id)) {
        throw new BatchInputError(`${JSON.stringify(id)} is not a run id: ids are 40 hexadecimal characters`)
      }
      const meta = store?.meta(this.name, id)
      if (!meta) throw new BatchInputError(`No stored result of batch '${this.name}' has the id ${id} (looked in ${this.savePath})`)
      return this.#addResultRow(id, meta.parameters)
    })
  }

  /**
   * Adds every stored result of this batch found in a `_res` folder (default: this batch's own).
   * Results in another folder are read from there, read-only.
   */
  addResultRunFolder(folder?: string): Run[] {
    const resolved = folder ? path.resolve(folder) : this.savePath
    if (resolved === this.savePath) {
      const store = this.#readableStore()
      return (store?.listMeta(this.name) ?? []).map((meta) => this.#addResultRow(meta.id, meta.parameters))
    }
    const foreign = acquireStore(resolved, { readOnly: true })
    return foreign.listMeta(this.name).map((meta) => {
      const run = this.#addResultRow(meta.id, meta.parameters)
      this.#foreign.set(run.index, foreign)
      this.#storedSince.set(meta.id, { codeHash: meta.codeHash, corrupt: meta.corrupt, fresh: false })
      return run
    })
  }

  /**
   * Adds the imported results of this batch (from result packs) that no run of the batch has yet, as
   * result runs: a colleague's runs appear beside yours even when your designs do not produce them.
   */
  addImportedResultRuns(): Run[] {
    const store = this.#readableStore()
    if (!store) return []
    const imported = store.listImported(this.name)
    // Most batches have no imported runs: only then is the set of a possibly huge design worth building.
    if (imported.length === 0) return []
    const present = new Set(this.#table.ids)
    return imported.filter((meta) => !present.has(meta.id)).map((meta) => this.#addResultRow(meta.id, meta.parameters))
  }

  #addResultRow(id: string, parameters: Record<string, unknown>): Run {
    const classIndex = this.#registerClass(ResultRun)
    this.#table.reserve(1)
    const index = this.#table.length
    for (const name of Object.keys(parameters)) {
      const column = this.#table.column(name)
      column.slots[index] = column.intern(parameters[name])
    }
    this.#table.appendRow(classIndex, id)
    return this.#pushRun(this.#classes[classIndex], index)
  }

  #pushRun(entry: ClassEntry, index: number): Run {
    const run = new entry.ctor().bindToBatch(this, index)
    this.runs.push(run)
    return run
  }

  #registerClass(runClass: RunConstructor | RunClassInfo): number {
    const existing = this.#classes.findIndex((entry) => entry.ctor === runClass || entry.info === runClass)
    if (existing >= 0) return existing
    let entry: ClassEntry
    if (typeof runClass === 'function') {
      if (!(runClass.prototype instanceof Run) && (runClass as unknown) !== Run) {
        throw new BatchInputError(`${runClass.name || 'This class'} does not extend Run: write "class ${runClass.name || 'MyRun'} extends Run"`)
      }
      const isResultRun = runClass === ResultRun
      const info = isResultRun ? resultRunInfo : (runClassInfo(runClass) ?? inlineClassInfo(runClass))
      const overrides = runClass.prototype.generateId !== Run.prototype.generateId
      const scratch = overrides ? new runClass() : undefined
      entry = { info, ctor: runClass, isResultRun, generateId: scratch ? (p) => String(scratch.generateId(p)) : undefined }
    } else {
      entry = { info: runClass, ctor: Run, isResultRun: false }
    }
    if (this.#classes.length >= 65535) throw new BatchInputError('A batch can hold at most 65,535 run classes')
    this.#classes.push(entry)
    if (this.saveResult && !entry.isResultRun && entry.info.codeHash) {
      this.#writableStore().noteCodeVersion(this.name, entry.info.codeHash, Date.now())
    }
    return this.#classes.length - 1
  }

  #checkNames(entry: ClassEntry, names: string[]): void {
    const declared = entry.info.parameters
    if (declared.length === 0) return
    const valid = new Set(declared.map((p) => p.name))
    const unknown = names.filter((name) => !valid.has(name))
    if (unknown.length > 0) {
      throw new BatchInputError(
        `${entry.info.name} has no parameter${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `'${n}'`).join(', ')}; ` +
          `its parameters are ${declared.map((p) => p.name).join(', ')}`
      )
    }
  }

  #withDefaults(entry: ClassEntry, parameters: Record<string, unknown>): Record<string, unknown> {
    this.#checkNames(entry, Object.keys(parameters))
    const full: Record<string, unknown> = {}
    for (const spec of entry.info.parameters) full[spec.name] = spec.default
    for (const name of Object.keys(parameters)) full[name] = parameters[name]
    return full
  }

  /** Recomputes a few ids of a design taken from the cache (first, last and some in between). */
  #spotCheckIds(start: number, total: number): boolean {
    const picks = new Set([0, total - 1])
    for (let k = 1; k <= 16; k++) picks.add(Math.floor((total * k) / 17))
    for (const n of picks) if (this.#pieceId(start + n) !== this.#table.ids[start + n]) return false
    return true
  }

  #pieceId(index: number): string {
    const names = this.#table.names.filter((name) => !name.startsWith('_') && this.#table.columns.get(name)!.slots[index] >= 0)
    names.sort(compareNames)
    const pieces = names.map((name) => {
      const column = this.#table.columns.get(name)!
      return column.pieces[column.slots[index]]
    })
    return idOfCanonical(`{${pieces.join(',')}}`)
  }

  // ---- querying ----------------------------------------------------------------------------------------

  /**
   * Runs whose parameters match, batchpy style: `getRunsWith({ A__ge: 3, B: [2, 5, 8], operator: 'max' })`.
   * Suffixes: `__eq` (default), `__ne`, `__ge`, `__le`, `__gt`, `__lt`, `__in`. Numbers compare with a
   * tolerance (numpy isclose), arrays and objects deeply, and a function matches its name.
   */
  getRunsWith(conditions: Record<string, unknown> | Condition[]): Run[] {
    const list = Array.isArray(conditions) ? conditions : conditionsFromKwargs(checkObject(conditions, 'conditions'))
    return this.#table.select(list).map((index) => this.runs[index])
  }

  /** Indices of matching runs (for the UI and the CLI, which page through them). */
  selectIndices(conditions: Condition[]): number[] {
    return this.#table.select(conditions)
  }

  /** Counts of runs by status. */
  statusCounts(): Record<RunStatus, number> {
    const counts: Record<RunStatus, number> = { pending: 0, running: 0, done: 0, cached: 0, failed: 0, stale: 0, corrupt: 0 }
    for (let i = 0; i < this.#table.length; i++) counts[this.runStatus(i)]++
    return counts
  }

  /** When the current code of a run's class was first seen, for "stale since". */
  staleSince(index: number): number | undefined {
    if (this.runStatus(index) !== 'stale') return undefined
    const entry = this.#classes[this.#table.classIndexOf(index)]
    return this.#store?.codeVersionSeenAt(this.name, entry.info.codeHash)
  }

  /** The run class behind a run. */
  runClassOf(index: number): RunClassInfo {
    return this.#classes[this.#table.classIndexOf(index)].info
  }

  // ---- RunHost: what a Run asks of its batch -------------------------------------------------------------

  runId(index: number): string {
    return this.#table.ids[index]
  }

  runParameters(index: number): Record<string, unknown> {
    return this.#table.parametersOf(index, false)
  }

  runStatus(index: number): RunStatus {
    const id = this.#table.ids[index]
    if (this.#running.size > 0 && this.#running.has(id)) return 'running'
    const stored = this.#storedState(id)
    if (stored) {
      if (stored.corrupt) return 'corrupt'
      const entry = this.#classes[this.#table.classIndexOf(index)]
      if (!entry.isResultRun && stored.codeHash !== entry.info.codeHash) return 'stale'
      return (stored as StoredState).fresh === true ? 'done' : 'cached'
    }
    const failures = this.#failureMap()
    if (failures.size > 0 && failures.has(id)) return 'failed'
    return 'pending'
  }

  runResult(index: number): unknown {
    const id = this.#table.ids[index]
    const memory = this.#memory.get(id)
    if (memory) return memory.result
    const store = this.#foreign.get(index) ?? this.#readableStore()
    return store?.read(this.name, id)?.result
  }

  async loadRunResult(index: number): Promise<unknown> {
    return this.runResult(index)
  }

  runRuntime(index: number): number | undefined {
    const id = this.#table.ids[index]
    const memory = this.#memory.get(id)
    if (memory) return memory.runtime
    const store = this.#foreign.get(index) ?? this.#readableStore()
    return store?.meta(this.name, id)?.runtime
  }

  runFilename(index: number): string | undefined {
    const id = this.#table.ids[index]
    const store = this.#foreign.get(index) ?? this.#readableStore()
    const meta = store?.meta(this.name, id)
    return meta ? path.resolve(store!.savePath, meta.file) : undefined
  }

  runError(index: number): { kind: string; message: string; stack?: string } | undefined {
    const failure = this.#failureMap().get(this.#table.ids[index])
    return failure && { kind: failure.kind, message: failure.message, stack: failure.stack }
  }

  runLog(index: number): string | undefined {
    const id = this.#table.ids[index]
    const memory = this.#memory.get(id)
    if (memory) return memory.log
    const failure = this.#failureMap().get(id)
    if (failure) return failure.log
    const store = this.#foreign.get(index) ?? this.#readableStore()
    return store?.read(this.name, id)?.log
  }

  clearRun(_index: number): void {
    // Results are read from disk on demand and not kept in memory, so there is nothing to free.
  }

  // ---- computing ---------------------------------------------------------------------------------------

  /**
   * Computes every run that has no stored result (and failed runs again), in parallel worker processes
   * for run classes loaded with `loadRunClass`, in this process for classes defined inline.
   * Resolves to a report; a run that fails does not stop the others. Cancelling with `signal` leaves the
   * unfinished runs pending.
   * @throws BatchInputError for bad options; DiskFullError (after pausing) when results cannot be written.
   */
  async execute(options: ExecuteOptions = {}): Promise<ExecuteReport> {
    const startedAt = performance.now()
    const processes = options.processes
    if (processes !== undefined && (!Number.isInteger(processes) || processes < 1 || processes > 256)) {
      throw new BatchInputError(`processes must be a whole number from 1 to 256, not ${processes}`)
    }
    const timeoutMs = options.timeout === undefined ? undefined : options.timeout * 1000
    if (timeoutMs !== undefined && !(timeoutMs > 0)) throw new BatchInputError('timeout must be a positive number of seconds')

    const selected = options.runs ? options.runs.map((run) => run.index) : rangeOf(this.#table.length)
    const seen = new Set<string>()
    const byId = new Map<string, number>()
    const localTasks: RunTask[] = []
    const inlineTasks: RunTask[] = []
    let cached = 0
    for (const index of selected) {
      const id = this.#table.ids[index]
      if (seen.has(id)) continue
      seen.add(id)
      const status = this.runStatus(index)
      const entry = this.#classes[this.#table.classIndexOf(index)]
      const recompute =
        status === 'pending' ||
        status === 'failed' ||
        (status === 'stale' && options.rerunStale === true) ||
        (status === 'corrupt' && options.recomputeCorrupt !== false)
      if (!recompute || entry.isResultRun) {
        if (status !== 'pending' && status !== 'failed') cached++
        continue
      }
      byId.set(id, index)
      const task: RunTask = {
        batch: this.name,
        id,
        runClass: entry.info.ref ?? { codeHash: entry.info.codeHash, bundleFile: '', exportName: 'default' },
        params: toWire(this.#table.parametersOf(index, true)) as Record<string, unknown>
      }
      ;(entry.info.ref ? localTasks : inlineTasks).push(task)
    }

    const total = localTasks.length + inlineTasks.length
    if (inlineTasks.length > 0 && processes !== undefined && processes > 1 && !options.executor) {
      const names = [...new Set(inlineTasks.map((t) => this.#classes[this.#table.classIndexOf(byId.get(t.id)!)].info.name))]
      throw new BatchInputError(
        `${names.join(', ')} ${names.length > 1 ? 'are' : 'is'} defined inline in this script, so ${names.length > 1 ? 'they run' : 'it runs'} in this process; ` +
          `processes > 1 needs the class in its own module file, loaded with loadRunClass(file)`
      )
    }

    const report: ExecuteReport = {
      batch: this.name,
      runs: seen.size,
      computed: 0,
      cached,
      failed: 0,
      pending: 0,
      cancelled: false,
      wallTime: 0,
      failures: []
    }
    const stopper = new AbortController()
    const onAbort = () => stopper.abort()
    options.signal?.addEventListener('abort', onAbort)
    let storageError: unknown
    let lastProgress = 0
    const progress = (final: boolean) => {
      if (!options.onProgress) return
      const now = performance.now()
      if (!final && now - lastProgress < PROGRESS_INTERVAL_MS) return
      lastProgress = now
      const elapsedSeconds = (now - startedAt) / 1000
      const done = report.computed + report.failed
      const runsPerSecond = elapsedSeconds > 0 ? done / elapsedSeconds : 0
      options.onProgress({
        batch: this.name,
        done,
        total,
        computed: report.computed,
        failed: report.failed,
        cached,
        runsPerSecond,
        etaSeconds: runsPerSecond > 0 ? (total - done) / runsPerSecond : undefined,
        elapsedSeconds
      })
    }

    const onOutcomes = async (outcomes: RunOutcome[]) => {
      if (storageError) return
      try {
        await this.#storeOutcomes(outcomes, byId)
      } catch (error) {
        storageError = error
        stopper.abort()
        return
      }
      for (const outcome of outcomes) {
        this.#running.delete(outcome.id)
        if (outcome.ok) report.computed++
        else {
          report.failed++
          report.failures.push({ id: outcome.id, kind: outcome.error.kind, message: outcome.error.message })
        }
      }
      progress(false)
    }
    const onStarted = (ids: string[]) => {
      for (const id of ids) this.#running.add(id)
    }

    progress(true)
    try {
      if (total > 0) {
        if (options.executor) {
          await options.executor.execute([...localTasks, ...inlineTasks], { signal: stopper.signal, timeoutMs, onOutcomes, onStarted })
        } else {
          if (localTasks.length > 0) {
            const pool = new LocalPool({ processes: Math.min(processes ?? availableParallelism(), localTasks.length) })
            try {
              await pool.execute(localTasks, { signal: stopper.signal, timeoutMs, onOutcomes, onStarted })
            } finally {
              await pool.close()
            }
          }
          if (inlineTasks.length > 0 && !stopper.signal.aborted) {
            const inline = new InProcessExecutor(this.#inlineClasses(), { functions: this.#inlineFunctions() })
            try {
              await inline.execute(inlineTasks, { signal: stopper.signal, timeoutMs, onOutcomes, onStarted })
            } finally {
              await inline.close()
            }
          }
        }
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort)
      this.#running.clear()
    }
    report.pending = total - report.computed - report.failed
    report.cancelled = options.signal?.aborted === true
    report.wallTime = (performance.now() - startedAt) / 1000
    progress(true)
    if (storageError) throw storageError
    return report
  }

  #inlineClasses(): Map<string, RunConstructor> {
    const map = new Map<string, RunConstructor>()
    for (const entry of this.#classes) if (!entry.info.ref && !entry.isResultRun) map.set(entry.info.codeHash, entry.ctor)
    return map
  }

  /** Functions used as parameter values, by name: inline classes resolve `{ $fn }` against these. */
  #inlineFunctions(): Map<string, Record<string, unknown>> {
    const byName: Record<string, unknown> = {}
    for (const column of this.#table.columns.values()) {
      for (const value of column.values) if (typeof value === 'function' && value.name) byName[value.name] = value
    }
    const map = new Map<string, Record<string, unknown>>()
    for (const entry of this.#classes) if (!entry.info.ref && !entry.isResultRun) map.set(entry.info.codeHash, byName)
    return map
  }

  async #storeOutcomes(outcomes: RunOutcome[], byId: Map<string, number>): Promise<void> {
    const successes = outcomes.filter((o) => o.ok)
    const failures = outcomes.filter((o) => !o.ok)
    if (this.saveResult) {
      const store = this.#writableStore()
      if (successes.length > 0) {
        await store.write(
          successes.map((outcome): NewResult => {
            const index = byId.get(outcome.id)!
            const info = this.#classes[this.#table.classIndexOf(index)].info
            return {
              batch: this.name,
              id: outcome.id,
              runClass: info.name,
              codeHash: info.codeHash,
              parametersJson: this.#parametersJson(index),
              runtime: outcome.runtime,
              started: outcome.started,
              ended: outcome.ended,
              host: outcome.host || hostname(),
              log: outcome.log,
              logTruncated: outcome.logTruncated,
              resultJson: outcome.resultJson,
              scalarsJson: outcome.scalarsJson
            }
          })
        )
        const previouslyFailed = successes.filter((o) => this.#failureMap().has(o.id)).map((o) => o.id)
        if (previouslyFailed.length > 0) store.clearFailures(this.name, previouslyFailed)
      }
      if (failures.length > 0) {
        store.recordFailures(
          this.name,
          failures.map((o) => ({ id: o.id, kind: o.error.kind, message: o.error.message, stack: o.error.stack, log: o.log, at: o.ended }))
        )
      }
    } else {
      for (const outcome of successes) {
        this.#memory.set(outcome.id, { result: JSON.parse(outcome.resultJson), runtime: outcome.runtime, log: outcome.log })
      }
    }
    const stored = this.#storedSince
    const failureMap = this.#failureMap()
    for (const outcome of successes) {
      const index = byId.get(outcome.id)!
      stored.set(outcome.id, { codeHash: this.#classes[this.#table.classIndexOf(index)].info.codeHash, corrupt: false, fresh: true })
      failureMap.delete(outcome.id)
    }
    for (const outcome of failures) {
      if (!outcome.ok) {
        failureMap.set(outcome.id, { id: outcome.id, kind: outcome.error.kind, message: outcome.error.message, stack: outcome.error.stack, log: outcome.log, at: outcome.ended })
      }
    }
  }

  /** JSON of a run's public parameters, from pieces encoded once per distinct value. */
  #parametersJson(index: number): string {
    const parts: string[] = []
    for (const name of this.#table.names) {
      if (name.startsWith('_')) continue
      const column = this.#table.columns.get(name)!
      const slot = column.slots[index]
      if (slot < 0) continue
      let pieces = this.#jsonPieces.get(name)
      if (!pieces) this.#jsonPieces.set(name, (pieces = []))
      parts.push((pieces[slot] ??= `${JSON.stringify(name)}:${JSON.stringify(encodeParameterValue(column.values[slot], `parameters.${name}`))}`))
    }
    return `{${parts.join(',')}}`
  }

  // ---- ids and storage ---------------------------------------------------------------------------------

  /**
   * Writes the ids of all runs, in run order, and returns the path written. Default
   * `<savePath>/<name>_ids.json` (a JSON array); a `.ts` file gets `export const ids = [...]`, a `.py` file
   * `ids = [...]`, so other scripts can import them.
   */
  saveIds(filename?: string): string {
    const target = path.resolve(this.savePath, filename ?? `${this.name}_ids.json`)
    const ids = this.#table.ids.slice(0, this.#table.length)
    const list = JSON.stringify(ids, null, 1)
    const extension = path.extname(target).toLowerCase()
    const text =
      extension === '.ts' || extension === '.js' || extension === '.mjs'
        ? `// Run ids of batch '${this.name}', written by Batchdesk.\nexport const ids = ${list}\n`
        : extension === '.py'
          ? `# Run ids of batch '${this.name}', written by Batchdesk.\nids = ${list}\n`
          : `${list}\n`
    writeFileAtomicSync(target, text)
    return target
  }

  /** Releases the project's result store (and its lock) when no other batch in this process uses it. */
  close(): void {
    this.#store?.release()
    this.#store = undefined
    for (const store of new Set(this.#foreign.values())) store.release()
    this.#foreign.clear()
  }

  #writableStore(): ResultStore {
    this.#store ??= acquireStore(this.savePath)
    return this.#store
  }

  /** The store to read from: this batch's own when results are saved, otherwise read-only if the folder exists. */
  #readableStore(): ResultStore | undefined {
    if (this.saveResult) return this.#writableStore()
    if (!this.#store && existsSync(this.savePath)) this.#store = acquireStore(this.savePath, { readOnly: true })
    return this.#store
  }

  #storedState(id: string): { codeHash: string; corrupt: boolean; fresh?: boolean } | undefined {
    if (this.#storedSince.size > 0) {
      const since = this.#storedSince.get(id)
      if (since) return since
    }
    if (!this.#storedOnDisk) this.#storedOnDisk = this.#readableStore()?.storedIds(this.name) ?? new Map()
    return this.#storedOnDisk.get(id)
  }

  #failureMap(): Map<string, FailureInfo> {
    this.#failures ??= this.#readableStore()?.failures(this.name) ?? new Map()
    return this.#failures
  }
}

const resultRunInfo: RunClassInfo = { name: 'ResultRun', parameters: [], codeHash: '', functionExports: [] }

/** Info for a class defined inline in a script: parameters from its source, code hash of its source. */
function inlineClassInfo(cls: RunConstructor): RunClassInfo {
  const source = Function.prototype.toString.call(cls)
  return {
    name: cls.name || 'AnonymousRun',
    parameters: readParametersFromClass(cls),
    codeHash: createHash('sha256').update(source).digest('hex'),
    functionExports: []
  }
}

/**
 * A string naming a function the run class module exports, given for a function-valued parameter, means
 * that function (as in the manifest): `operator: 'min'` is the module's `min`.
 */
function functionByName(info: RunClassInfo, name: string, value: unknown): unknown {
  if (typeof value !== 'string' || !info.functionExports.includes(value)) return value
  return info.parameters.find((p) => p.name === name)?.kind === 'function' ? new FunctionRef(value) : value
}

/** Digest of everything that decides a design's ids and their order. */
function designDigest(axisNames: string[], axisPieces: string[][], pieceSources: { axis: number; constant: string }[]): string {
  return createHash('sha256').update(JSON.stringify({ v: 1, axisNames, axisPieces, pieceSources })).digest('hex')
}

function checkObject(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BatchInputError(`${what} must be an object such as { A: 1 }, not ${Array.isArray(value) ? 'an array' : String(value)}`)
  }
  return value as Record<string, unknown>
}

function publicOf(parameters: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const name of Object.keys(parameters)) if (!name.startsWith('_')) out[name] = parameters[name]
  return out
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function rangeOf(length: number): number[] {
  return Array.from({ length }, (_, i) => i)
}

function writeFileAtomicSync(target: string, text: string): void {
  mkdirSync(path.dirname(target), { recursive: true })
  const temp = `${target}.${process.pid}.tmp`
  writeFileSync(temp, text)
  renameSync(temp, target)
}
