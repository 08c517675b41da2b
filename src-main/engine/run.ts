import { runId } from './params/canonical'

/** Where a run stands. `cached` is a stored result this engine did not compute itself; `stale` one made by older code. */
export type RunStatus = 'pending' | 'running' | 'done' | 'cached' | 'failed' | 'stale' | 'corrupt'

/** What a run bound to a batch asks of its batch; implemented by Batch. */
export interface RunHost {
  runId(index: number): string
  runParameters(index: number): Record<string, unknown>
  runStatus(index: number): RunStatus
  runResult(index: number): unknown
  loadRunResult(index: number): Promise<unknown>
  runRuntime(index: number): number | undefined
  runFilename(index: number): string | undefined
  runError(index: number): { kind: string; message: string; stack?: string } | undefined
  runLog(index: number): string | undefined
  clearRun(index: number): void
}

/**
 * A calculation. Subclass it and implement `run()`; its first parameter is a destructured object whose
 * defaults declare the parameters:
 *
 * ```ts
 * export default class ExampleRun extends Run {
 *   run({ A = 0, B = [1, 2, 3], operator = max }) { return { val: A * operator(B) } }
 * }
 * ```
 *
 * Runs are created by a Batch (`addRun`, `addFactorialRuns`), never with `new` by users.
 */
export class Run {
  #host: RunHost | undefined
  #index = -1
  #standalone: { parameters: Record<string, unknown>; id: string } | undefined

  /** Binds this instance to a batch; called by Batch. */
  bindToBatch(host: RunHost, index: number): this {
    this.#host = host
    this.#index = index
    return this
  }

  /** Binds this instance to parameters without a batch, as in a worker process. */
  bindStandalone(parameters: Record<string, unknown>, id = ''): this {
    this.#standalone = { parameters, id }
    return this
  }

  /** The calculation. Receives all parameters (defaults filled in, private `_` ones included). */
  run(_parameters: Record<string, any>): unknown {
    throw new Error(`${this.constructor.name} has no run() method: add run({ … }) to the class`)
  }

  /**
   * Makes the id from the public parameters: a 40-character SHA-1 of their canonical encoding
   * (docs/ids.md). Override to customise; equal ids share one stored result.
   */
  generateId(parameters: Record<string, unknown>): string {
    return runId(parameters)
  }

  /** The run's id (40 hex characters by default). */
  get id(): string {
    return this.#host ? this.#host.runId(this.#index) : (this.#standalone?.id ?? '')
  }

  /** The public parameters, defaults filled in (names starting with `_` are left out). */
  get parameters(): Record<string, unknown> {
    if (this.#host) return this.#host.runParameters(this.#index)
    return this.#standalone?.parameters ?? {}
  }

  /** Position in its batch's run list. */
  get index(): number {
    return this.#index
  }

  /** Where the run stands: pending, running, done, cached, failed, stale or corrupt. */
  get status(): RunStatus {
    return this.#host ? this.#host.runStatus(this.#index) : 'pending'
  }

  /** True when a result is stored (a stale result still counts: its id did not change). */
  get done(): boolean {
    const status = this.status
    return status === 'done' || status === 'cached' || status === 'stale'
  }

  /** The stored result, read from disk (and checked against its hash); undefined when not done. */
  get result(): unknown {
    return this.#host?.runResult(this.#index)
  }

  /** The stored result, read asynchronously. */
  load(): Promise<unknown> {
    return this.#host ? this.#host.loadRunResult(this.#index) : Promise.resolve(undefined)
  }

  /** Seconds the calculation took, when done. */
  get runtime(): number | undefined {
    return this.#host?.runRuntime(this.#index)
  }

  /** The file that holds the result, when stored. */
  get filename(): string | undefined {
    return this.#host?.runFilename(this.#index)
  }

  /** Why the last attempt failed, when it did. */
  get error(): { kind: string; message: string; stack?: string } | undefined {
    return this.#host?.runError(this.#index)
  }

  /** Console output of the computation (size-capped). */
  get log(): string | undefined {
    return this.#host?.runLog(this.#index)
  }

  /** Forgets the result held in memory (the stored file stays). */
  clear(): void {
    this.#host?.clearRun(this.#index)
  }
}

/** A stored result opened by id, without the run class that computed it. */
export class ResultRun extends Run {
  override run(): never {
    throw new Error('A ResultRun holds a stored result and cannot be computed again')
  }
}

/** A class that extends Run. */
export type RunConstructor = new () => Run

// Lets the parameter reader tell "this class forgot run()" from a real run() without guessing by name.
;(Run.prototype.run as unknown as Record<symbol, boolean>)[Symbol.for('batchdesk.placeholderRun')] = true
