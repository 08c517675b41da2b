/**
 * Batchdesk's engine as a library: the batchpy model in TypeScript. Plain Node, no Electron: the CLI, the
 * tests, browser mode and the Electron main process all use it.
 *
 * ```ts
 * import { Batch, loadRunClass } from 'batchdesk'
 * const ExampleRun = loadRunClass('example_run.ts')
 * const batch = new Batch('example')
 * batch.addFactorialRuns(ExampleRun, { A: [1, 2, 3], B: [[2, 5, 8]] })
 * await batch.execute()
 * ```
 */
import * as runApi from './run-api'

export * from './run-api'
export { Batch, BatchInputError } from './batch'
export type { BatchOptions, BatchProgress, ExecuteOptions, ExecuteReport } from './batch'
export { loadRunClass, describeRunModule, RunClassCompileError } from './compile'
export { RunClassError } from './params/read-parameters'
export { UnstorableValueError } from './store/codec'
export { ProjectInUseError, CorruptResultError, DiskFullError } from './store'
export type { Executor, RunClassInfo, ParameterSpec, RunOutcome, RunTask } from './types'
export { RedisExecutor, RedisUnavailableError, projectNamespace } from './distributed'
export type { RedisExecutorOptions } from './distributed'

// User modules import 'batchdesk'; the compiler maps that specifier to this object.
;(globalThis as Record<string, unknown>).__batchdesk ??= runApi
