import { readParametersFromClass } from '../params/read-parameters'
import type { RunConstructor } from '../run'
import type { RunClassInfo } from '../types'
import { setRunClassInfo, setRunClassModuleExports, runClassInfo } from './class-registry'
import { compileRunModuleSync, type CompileOptions } from './compile-module'
import { exportedFunctionNames, pickRunClass } from './pick-run-class'
import { requireBundle } from './require-bundle'

/**
 * Loads a run class from its module file, the way a batch script does:
 * `const ExampleRun = loadRunClass('example_run.ts')`. The module is compiled (esbuild, cached by content)
 * and evaluated in this process; the class is the default export, or the only exported subclass of Run.
 * The class carries its RunClassInfo (see `runClassInfo`), with which worker processes load it again.
 * @throws RunClassCompileError when the module does not compile; RunClassError when it exports no usable
 *   run class or its parameters cannot be read; whatever the module throws while it loads.
 */
export function loadRunClass(file: string, options: CompileOptions = {}): RunConstructor {
  const compiled = compileRunModuleSync(file, options)
  const exports = loadBundle(compiled.bundleFile, compiled.file)
  const { runClass, exportName } = pickRunClass(exports, compiled.file)
  if (!runClassInfo(runClass)) {
    const info: RunClassInfo = {
      name: runClass.name,
      parameters: readParametersFromClass(runClass),
      codeHash: compiled.codeHash,
      ref: {
        codeHash: compiled.codeHash,
        bundleFile: compiled.bundleFile,
        exportName,
        sourceFile: compiled.file
      },
      functionExports: exportedFunctionNames(exports),
      sourceFile: compiled.file
    }
    setRunClassInfo(runClass, info)
    setRunClassModuleExports(runClass, exports)
  }
  return runClass
}

/**
 * The exports of a run class module (compiled and evaluated in this process, as `loadRunClass` does): for
 * using its functions as parameter values, `{ operator: mod.max }`.
 * @throws RunClassCompileError when the module does not compile; whatever it throws while it loads.
 */
export function loadRunModuleExports(file: string, options: CompileOptions = {}): Record<string, unknown> {
  const compiled = compileRunModuleSync(file, options)
  return loadBundle(compiled.bundleFile, compiled.file)
}

function loadBundle(bundleFile: string, sourceFile: string): Record<string, unknown> {
  // Stack traces from user code should name the .ts line, not the bundle's.
  process.setSourceMapsEnabled(true)
  return requireBundle(bundleFile, sourceFile)
}
