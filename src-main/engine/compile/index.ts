/**
 * Run class modules: compiling them (esbuild, cached by content hash), loading them in this process, and
 * describing them without running them.
 */
export {
  compileRunModule,
  compileRunModuleSync,
  defaultModuleCacheDir,
  RunClassCompileError
} from './compile-module'
export type { CompiledModule, CompileDiagnostic, CompileOptions } from './compile-module'
export { loadRunClass, loadRunModuleExports } from './load-run-class'
export { describeRunModule } from './describe-run-module'
export { runClassInfo, setRunClassInfo, runClassModuleExports } from './class-registry'
