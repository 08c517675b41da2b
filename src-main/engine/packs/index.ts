/**
 * Result packs: share a project's results as one `.bdpack` file and import colleagues' packs (and batchpy
 * result folders) safely. Format: docs/packs.md. For the Electron main thread use the *InWorker variants,
 * which read and parse the pack in a worker thread.
 */
export { exportPack, type ExportPackOptions, type ExportPackReport } from './export'
export {
  importLegacyResults,
  importLegacyResultsInWorker,
  importPack,
  importPackInWorker,
  inspectPack,
  inspectPackInWorker,
  type ConflictPolicy,
  type ImportLegacyOptions,
  type ImportPackOptions,
  type InspectPackOptions,
  type PackImportReport
} from './import'
export type { ImportJournal, PackBatchSummary, PackInspection, PackTotals } from './inspect'
export type { RejectedRun } from './pack-source'
export { PackError, type PackErrorCode } from './errors'
export { DEFAULT_PACK_LIMITS, PACK_EXTENSION, PACK_FORMAT, type PackLimits } from './format'
