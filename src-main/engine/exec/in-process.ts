import { runClassModuleExports } from '../compile/class-registry'
import type { RunConstructor } from '../run'
import type { ExecuteTasksOptions, Executor, RunOutcome, RunTask } from '../types'
import { computeTask, type ComputeContext, type LoadedRunClass } from './compute-task'
import { LogCapture } from './log-capture'
import { RunModuleCache, RunModuleLoadError } from './module-cache'
import { failureOutcome } from './outcomes'
import { ExitInterceptor } from './run-guards'

export interface InProcessExecutorOptions {
  /**
   * Functions that `{ $fn: name }` parameters may name, per code hash (for classes defined inline, whose
   * functions live in the calling script). Classes loaded with `loadRunClass` resolve against their module.
   */
  functions?: Map<string, Record<string, unknown>>
}

/** Outcomes handed to `onOutcomes` at most this many at a time, or every ~20 ms, whichever comes first. */
const GROUP_SIZE = 64
const GROUP_MS = 20

/**
 * Computes tasks one after the other in this process: for run classes defined inline in a script (no module
 * file for a worker to load), keyed by code hash. Tasks whose class is not in the map but has a compiled
 * module (`runClass.bundleFile`) are loaded from it.
 *
 * Same outcomes as the worker pool, with these limits: console output is captured while a run is active,
 * so other code of this process printing at the same time lands in the run's log; a synchronous run cannot
 * be stopped, so `timeoutMs` only fails async runs that are still pending at the deadline (their work goes
 * on in the background); errors escaping a run through callbacks are not caught (they reach this process's
 * own handlers); a crash takes this process down. Between groups it yields to the event loop, and it checks
 * `signal` between runs.
 */
export class InProcessExecutor implements Executor {
  readonly #classes: Map<string, RunConstructor>
  readonly #functions: Map<string, Record<string, unknown>>
  readonly #modules = new RunModuleCache()

  constructor(classes: Map<string, RunConstructor>, options: InProcessExecutorOptions = {}) {
    this.#classes = classes
    this.#functions = options.functions ?? new Map()
  }

  /**
   * Computes every task in order, passing outcomes to `onOutcomes` in groups (awaited).
   * @throws whatever `onOutcomes` throws.
   */
  async execute(tasks: RunTask[], options: ExecuteTasksOptions): Promise<void> {
    const capture = new LogCapture()
    const exits = new ExitInterceptor()
    const context: ComputeContext = { capture, exits, timeoutMs: options.timeoutMs }
    let group: RunOutcome[] = []
    let groupStarted = performance.now()
    capture.install()
    exits.install()
    try {
      for (const task of tasks) {
        if (options.signal?.aborted) break
        options.onStarted?.([task.id])
        group.push(await this.#compute(task, context))
        if (group.length >= GROUP_SIZE || performance.now() - groupStarted > GROUP_MS) {
          const ready = group
          group = []
          await deliver(ready, options, capture, exits)
          await new Promise<void>((resolve) => setImmediate(resolve))
          groupStarted = performance.now()
        }
      }
      if (group.length > 0) await deliver(group, options, capture, exits)
    } finally {
      capture.uninstall()
      exits.uninstall()
    }
  }

  async close(): Promise<void> {}

  async #compute(task: RunTask, context: ComputeContext): Promise<RunOutcome> {
    let loaded: LoadedRunClass
    try {
      loaded = this.#load(task)
    } catch (error) {
      if (error instanceof RunModuleLoadError)
        return failureOutcome(task, 'load', error.message, { stack: error.causeStack })
      throw error
    }
    return computeTask(task, loaded, context)
  }

  #load(task: RunTask): LoadedRunClass {
    const runClass = this.#classes.get(task.runClass.codeHash)
    if (!runClass) return this.#modules.load(task.runClass)
    return {
      runClass,
      exports: this.#functions.get(task.runClass.codeHash) ?? runClassModuleExports(runClass),
      label: task.runClass.sourceFile ?? `the script that defines ${runClass.name}`
    }
  }
}

/** Hands outcomes over with the host's own console and exit back in place (the consumer may log or exit). */
async function deliver(
  outcomes: RunOutcome[],
  options: ExecuteTasksOptions,
  capture: LogCapture,
  exits: ExitInterceptor
): Promise<void> {
  capture.uninstall()
  exits.uninstall()
  try {
    await options.onOutcomes(outcomes)
  } finally {
    capture.install()
    exits.install()
  }
}
