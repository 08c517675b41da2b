import { inspect } from 'node:util'
import { fromWire } from '../params/wire'
import type { Run, RunConstructor } from '../run'
import { encodeToJson, scalarFields, UnstorableValueError } from '../store/codec'
import type { RunFailureKind, RunOutcome, RunTask } from '../types'
import type { LogCapture } from './log-capture'
import { failureOutcome, formatSeconds, hostName } from './outcomes'
import { resolveFunction } from './resolve-function'
import type { EscapedErrors, ExitInterceptor } from './run-guards'

/** A run class ready to compute, with the module it came from. */
export interface LoadedRunClass {
  runClass: RunConstructor
  /** The module's exports, against which `{ $fn: name }` parameters resolve (none for inline classes). */
  exports?: Record<string, unknown>
  /** How the module is named in messages: its source file, else its bundle, else the class name. */
  label: string
}

/** The guards a computation runs under; the worker installs all of them, in-process only some. */
export interface ComputeContext {
  capture: LogCapture
  exits: ExitInterceptor
  /** Errors escaping an async run (uncaught in its callbacks); fail that run. */
  escapes?: EscapedErrors
  /** An async run still pending this long fails with kind 'timeout' (a synchronous one cannot be stopped here). */
  timeoutMs?: number
}

class RunTimedOut extends Error {}

/**
 * Computes one task: decodes its parameters, binds a fresh instance of the run class, calls run(), and
 * turns what happened into an outcome (never throws). The result is encoded here (`encodeToJson`), so a
 * result that cannot be stored fails with kind 'unstorable'.
 */
export async function computeTask(
  task: RunTask,
  loaded: LoadedRunClass,
  context: ComputeContext
): Promise<RunOutcome> {
  let params: Record<string, unknown>
  try {
    params = fromWire(task.params, (path) => resolveFunction(path, loaded.exports, loaded.label))
  } catch (error) {
    return failureOutcome(task, 'error', (error as Error).message)
  }
  const publicParams: Record<string, unknown> = {}
  for (const name of Object.keys(params)) if (!name.startsWith('_')) publicParams[name] = params[name]

  const { capture, exits } = context
  exits.reset()
  capture.begin()
  const started = Date.now()
  const t0 = performance.now()
  let value: unknown
  let thrown: { error: unknown } | undefined
  try {
    const run = new loaded.runClass()
    bindStandalone(run, publicParams, task.id)
    value = run.run(params)
    if (isThenable(value)) value = await settleAsync(value, context, t0)
  } catch (error) {
    thrown = { error }
  }
  const runtime = (performance.now() - t0) / 1000
  const ended = Date.now()
  const { log, logTruncated } = capture.end()
  const times = { started, ended, log, logTruncated }

  const exit = exits.called
  if (exit)
    return {
      ...failureOutcome(task, 'exited', `run() called process.exit(${formatCode(exit.code)})`, times),
      runtime
    }
  if (thrown) {
    const { error } = thrown
    if (error instanceof RunTimedOut)
      return { ...failureOutcome(task, 'timeout', error.message, times), runtime }
    const kind: RunFailureKind = 'error'
    const message =
      error instanceof Error
        ? error.message
        : `run() threw ${inspect(error, { depth: 2, breakLength: Infinity })}`
    const stack = error instanceof Error && typeof error.stack === 'string' ? userFrames(error.stack) : undefined
    return { ...failureOutcome(task, kind, message, { ...times, stack }), runtime }
  }
  let resultJson: string
  try {
    resultJson = encodeToJson(value)
  } catch (error) {
    // Anything else thrown while encoding comes from the result itself (a throwing getter, say).
    const message =
      error instanceof UnstorableValueError
        ? error.message
        : `the result cannot be stored: ${String((error as Error)?.message ?? error)}`
    return { ...failureOutcome(task, 'unstorable', message, times), runtime }
  }
  return {
    ok: true,
    batch: task.batch,
    id: task.id,
    runtime,
    started,
    ended,
    log,
    logTruncated,
    host: hostName(),
    resultJson,
    scalarsJson: JSON.stringify(scalarFields(value))
  }
}

function bindStandalone(run: Run, publicParams: Record<string, unknown>, id: string): void {
  if (typeof run.bindStandalone === 'function') run.bindStandalone(publicParams, id)
  else Object.defineProperty(run, 'parameters', { value: publicParams })
}

async function settleAsync(
  pending: PromiseLike<unknown>,
  context: ComputeContext,
  startedAt: number
): Promise<unknown> {
  const { escapes, timeoutMs } = context
  if (!escapes && timeoutMs === undefined) return await pending
  let timer: NodeJS.Timeout | undefined
  const racers: PromiseLike<unknown>[] = [pending]
  if (escapes) racers.push(escapes.arm())
  if (timeoutMs !== undefined) {
    racers.push(
      new Promise<never>((_, reject) => {
        const remaining = Math.max(0, startedAt + timeoutMs - performance.now())
        timer = setTimeout(
          () => reject(new RunTimedOut(`took longer than the ${formatSeconds(timeoutMs)} timeout`)),
          remaining
        )
      })
    )
  }
  try {
    return await Promise.race(racers)
  } finally {
    escapes?.disarm()
    if (timer) clearTimeout(timer)
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

function formatCode(code: unknown): string {
  return code === undefined ? '' : String(code)
}

/** A stack without the engine's own frames below the user's code: users need their lines, not ours. */
function userFrames(stack: string): string {
  const lines = stack.split('\n')
  const engineFrame = lines.findIndex((line, i) => i > 0 && /\bat\b.*([\\/]out[\\/]engine[\\/]|[\\/]engine[\\/]exec[\\/])/.test(line))
  return engineFrame > 0 ? lines.slice(0, engineFrame).join('\n') : stack
}
