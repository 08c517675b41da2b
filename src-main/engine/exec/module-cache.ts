import { pickRunClass } from '../compile/pick-run-class'
import { requireBundle } from '../compile/require-bundle'
import type { RunClassRef } from '../types'
import type { LoadedRunClass } from './compute-task'

/** Why a run class module could not be loaded: every task that needs it fails with kind 'load'. */
export class RunModuleLoadError extends Error {
  constructor(
    message: string,
    readonly causeStack?: string
  ) {
    super(message)
    this.name = 'RunModuleLoadError'
  }
}

/**
 * Loads run classes from compiled bundles, once per code hash and source file (a bundle is evaluated a
 * single time per process; a failed load is remembered and not retried).
 */
export class RunModuleCache {
  readonly #entries = new Map<string, LoadedRunClass | RunModuleLoadError>()

  /**
   * The run class a task refers to.
   * @throws RunModuleLoadError naming the module when the bundle is missing, throws while loading, or has
   *   no usable run class under `ref.exportName`.
   */
  load(ref: RunClassRef): LoadedRunClass {
    const key = `${ref.codeHash}\u0000${ref.sourceFile ?? ''}\u0000${ref.exportName}`
    let entry = this.#entries.get(key)
    if (!entry) {
      entry = loadRef(ref)
      this.#entries.set(key, entry)
    }
    if (entry instanceof RunModuleLoadError) throw entry
    return entry
  }
}

function loadRef(ref: RunClassRef): LoadedRunClass | RunModuleLoadError {
  const label = ref.sourceFile ?? ref.bundleFile
  if (!ref.bundleFile)
    return new RunModuleLoadError(
      `run class ${ref.codeHash.slice(0, 12)} has no compiled module to load (was it defined inline?)`
    )
  try {
    const exports = requireBundle(ref.bundleFile, ref.sourceFile)
    const { runClass } = pickRunClass(exports, label, ref.exportName)
    return { runClass, exports, label }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    return new RunModuleLoadError(
      `cannot load the run class from ${label}: ${message}`,
      (error as Error)?.stack
    )
  }
}
