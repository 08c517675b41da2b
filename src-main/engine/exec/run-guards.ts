/**
 * Guards around user code: process.exit() calls and errors that escape a run through callbacks.
 */

/** Thrown inside user code in place of exiting, so the process survives `process.exit()`. */
export class ProcessExitCalled extends Error {
  constructor(readonly code: unknown) {
    super(`process.exit(${code === undefined ? '' : String(code)}) was called`)
    this.name = 'ProcessExitCalled'
  }
}

/**
 * Replaces `process.exit` so user code cannot end the process: the call throws ProcessExitCalled and is
 * remembered, and the run that made it fails with kind 'exited'.
 */
export class ExitInterceptor {
  #original: typeof process.exit | undefined
  #calledWith: { code: unknown } | undefined

  install(): void {
    if (this.#original) return
    this.#original = process.exit
    process.exit = ((code?: unknown) => {
      this.#calledWith = { code }
      throw new ProcessExitCalled(code)
    }) as typeof process.exit
  }

  uninstall(): void {
    if (this.#original) process.exit = this.#original
    this.#original = undefined
  }

  /** The real `process.exit`, for the worker's own shutdown. */
  get originalExit(): typeof process.exit {
    return this.#original ?? process.exit
  }

  /** Forgets earlier calls; done before each run. */
  reset(): void {
    this.#calledWith = undefined
  }

  /** The call made since the last reset, if any. */
  get called(): { code: unknown } | undefined {
    return this.#calledWith
  }
}

/**
 * Collects errors that escape the active run (uncaught exceptions in its timers, unhandled rejections) so
 * that run fails instead of the process. The worker feeds it from `process.on('uncaughtException')`.
 */
export class EscapedErrors {
  #reject: ((error: unknown) => void) | undefined

  /** A promise that rejects with the next escaped error, until `disarm`. */
  arm(): Promise<never> {
    return new Promise<never>((_, reject) => {
      this.#reject = reject
    })
  }

  disarm(): void {
    this.#reject = undefined
  }

  /** Hands an escaped error to the active run; false when no run is armed to take it. */
  report(error: unknown): boolean {
    if (!this.#reject) return false
    const reject = this.#reject
    this.#reject = undefined
    reject(error)
    return true
  }
}
