import { RunClassError } from '../params/read-parameters'
import type { Run as RunClass, RunConstructor } from '../run'
import { runBaseClass } from './require-bundle'

type RunBase = typeof RunClass

/** A run class found among a module's exports. */
export interface PickedRunClass {
  runClass: RunConstructor
  exportName: string
}

/**
 * Finds the run class in a module's exports: `exportName` when given, else the default export, else the
 * only exported subclass of Run.
 * @param fileLabel how the module is named in error messages.
 * @throws RunClassError when that export is not a class extending Run with its own run() method, or when
 *   there is no default export and not exactly one exported Run subclass.
 */
export function pickRunClass(
  exports: Record<string, unknown>,
  fileLabel: string,
  exportName?: string
): PickedRunClass {
  const Run: RunBase = runBaseClass()
  if (exportName === undefined) {
    if (exports.default !== undefined) exportName = 'default'
    else {
      const candidates = Object.keys(exports).filter((name) => isRunSubclass(exports[name], Run))
      if (candidates.length !== 1) {
        throw new RunClassError(
          candidates.length === 0
            ? `${fileLabel}: no run class found: export default a class that extends Run and has a run() method`
            : `${fileLabel}: several run classes are exported (${candidates.join(', ')}) and none is the default export: mark one \`export default\``
        )
      }
      exportName = candidates[0]
    }
  }
  const candidate = exports[exportName]
  const what = exportName === 'default' ? 'the default export' : `the export '${exportName}'`
  if (!isRunSubclass(candidate, Run)) {
    throw new RunClassError(`${fileLabel}: ${what} must be a class that extends Run and has a run() method`)
  }
  return { runClass: candidate as RunConstructor, exportName }
}

function isRunSubclass(value: unknown, Run: RunBase): boolean {
  if (typeof value !== 'function' || !(value.prototype instanceof Run)) return false
  const run = (value.prototype as { run?: unknown }).run
  return typeof run === 'function' && run !== Run.prototype.run
}

/** Names of the functions a module exports (not classes), which function-valued parameters may name. */
export function exportedFunctionNames(exports: Record<string, unknown>): string[] {
  return Object.keys(exports).filter((name) => {
    const value = exports[name]
    return (
      name !== 'default' &&
      typeof value === 'function' &&
      !/^class[\s{]/.test(Function.prototype.toString.call(value))
    )
  })
}
