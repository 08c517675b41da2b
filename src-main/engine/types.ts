/**
 * Types shared by the engine's modules (params, design, query, store, exec, compile).
 * Kept free of implementation so every module can depend on it without cycles.
 */

/** A parameter read from a run class: from `run({ A = 0 })` defaults or from `static parameters`. */
export interface ParameterSpec {
  name: string
  /** The default value (a FunctionRef for identifier defaults such as `max` or `Math.max`). */
  default: unknown
  /** Kind inferred from the default, shown in the UI and used by the grid builder. */
  kind: 'number' | 'string' | 'boolean' | 'array' | 'object' | 'function' | 'null' | 'unknown'
  /** Names starting with `_` are passed to run() but are not part of the id or of `parameters`. */
  isPrivate: boolean
  unit?: string
  description?: string
}

/** How a worker process loads a compiled run class module. */
export interface RunClassRef {
  /** Content hash of the compiled module; also the cache key in workers. */
  codeHash: string
  /** Absolute path of the compiled CommonJS bundle (esbuild output) a worker can `require`. */
  bundleFile: string
  /** Export holding the class: 'default' for `export default class …`. */
  exportName: string
  /** The module's source file: error messages name it, and the module's `__dirname`/`import.meta.url` point at it. */
  sourceFile?: string
}

/** Everything the engine knows about a run class, whether evaluated here or only described statically. */
export interface RunClassInfo {
  name: string
  parameters: ParameterSpec[]
  /** sha256 hex of the run class source (module bundle), used for staleness. */
  codeHash: string
  /** Present when the class came from a module file: workers can load it. */
  ref?: RunClassRef
  /** Names of functions the module exports; function-valued parameters resolve against them. */
  functionExports: string[]
  /** The module file it was loaded from, if any. */
  sourceFile?: string
}

/** One run to compute, as sent to an executor. Parameters are wire-safe (functions as `{ $fn: name }`). */
export interface RunTask {
  batch: string
  id: string
  runClass: RunClassRef
  /** All parameters including private ones, encoded with `toWire` (functions become `{ $fn: 'name' }`). */
  params: Record<string, unknown>
}

export type RunFailureKind =
  | 'error' // run() threw or rejected
  | 'timeout' // exceeded the per-run timeout
  | 'cancelled' // the batch was cancelled while it ran
  | 'crashed' // the worker process died (signal, native crash)
  | 'out-of-memory'
  | 'exited' // user code called process.exit
  | 'unstorable' // the result cannot be stored (function, cycle, BigInt)
  | 'load' // the run class module failed to load in the worker

interface OutcomeBase {
  batch: string
  id: string
  /** Seconds spent in run(). */
  runtime: number
  /** Epoch milliseconds. */
  started: number
  ended: number
  /** Captured console output of this run, size-capped. */
  log: string
  logTruncated: boolean
  /** Hostname of the machine that computed it. */
  host: string
}

export interface RunSuccess extends OutcomeBase {
  ok: true
  /** The result encoded with `encodeResult` then JSON.stringify'd (done in the worker to spare the main process). */
  resultJson: string
  /** JSON object of the result's top-level scalar fields (numbers, strings, booleans), for the index. */
  scalarsJson: string
}

export interface RunFailure extends OutcomeBase {
  ok: false
  error: { kind: RunFailureKind; message: string; stack?: string }
}

export type RunOutcome = RunSuccess | RunFailure

export interface ExecuteTasksOptions {
  signal?: AbortSignal
  /** Per-run timeout in milliseconds; a run still going 1 s past it is stopped and its worker replaced. */
  timeoutMs?: number
  /** Called with outcomes in groups; the executor awaits it (back-pressure for durable storage). */
  onOutcomes(outcomes: RunOutcome[]): void | Promise<void>
  /** Called with ids as workers start them (for 'running' status). Optional, may be batched. */
  onStarted?(ids: string[]): void
}

/** One small interface for every way runs get computed: local worker pool, in-process, distributed. */
export interface Executor {
  /** Computes every task once; resolves when all have an outcome or the signal aborted. */
  execute(tasks: RunTask[], options: ExecuteTasksOptions): Promise<void>
  close(): Promise<void>
}
