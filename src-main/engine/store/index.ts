/** The result store: durable result files plus a rebuildable SQLite run index. See docs/result-format.md. */
export { acquireStore, ResultStore, type AcquireStoreOptions } from './result-store'
export type { StoredIdInfo, StoredIds } from './stored-ids'
export type {
  CorruptRecordReport,
  FailureInfo,
  NewResult,
  ResultOrigin,
  StoredResult,
  StoredRunMeta,
  VerifyReport
} from './result-types'
export {
  CorruptResultError,
  DiskFullError,
  ProjectInUseError,
  StoreFormatError,
  StoreUnavailableError
} from './errors'
export { installFileSystem, nodeFileSystem, type StoreFileSystem } from './fs-seam'
