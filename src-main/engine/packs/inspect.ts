/**
 * What importing a pack would do to a project, worked out before anything is written: per batch, how many
 * runs are new, already stored with the same result, or conflicting (stored with a different result), and
 * which runs the pack holds but cannot be trusted (rejected, with reasons).
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { Project } from '../project/project'
import { encodeToJson } from '../store/codec'
import type { ResultStore, StoredIdInfo } from '../store'
import type { PackScan, RejectedRun, ScannedRun } from './pack-source'
import { sha256Hex } from './verify-record'

/** Where a verified run of a pack stands against a project. */
export type RunPlacement = 'new' | 'present' | 'conflicting'

export interface PackBatchSummary {
  name: string
  /** Runs manifest.json lists for the batch (verified or not). */
  listed: number
  /** Verified runs not stored in the project yet. */
  new: number
  /** Verified runs stored in the project with the same result. */
  present: number
  /** Verified runs stored in the project with a different (or damaged) result: never overwritten. */
  conflicting: number
  rejected: number
  /** Whether the project has a batch of this name; importing adds the ones it lacks. */
  inProject: boolean
}

export interface PackTotals {
  listed: number
  new: number
  present: number
  conflicting: number
  rejected: number
}

/** The report of inspectPack; importPack returns it extended with what was written. */
export interface PackInspection {
  /** The pack file (or batchpy folder) read. */
  file: string
  /** Pack format version (0 for batchpy folders). */
  format: number
  /** What wrote the pack: `batchdesk` and its version, or `batchpy`. */
  app: { name: string; version: string }
  createdAt: string
  author: string | null
  /** Name of the project the pack was exported from. */
  project: string | null
  batches: PackBatchSummary[]
  totals: PackTotals
  conflicts: { batch: string; id: string; reason: string }[]
  rejected: RejectedRun[]
  /** Reference source files the pack holds (copied for new batches, never run). */
  code: { batch: string; file: string; bytes: number }[]
  codeRejected: { batch: string; file: string; reason: string }[]
  /** Set when an earlier import into this project did not finish; importing that pack again completes it. */
  interruptedImport: ImportJournal | null
}

/** Written to the project before an import writes anything, removed once the import is complete. */
export interface ImportJournal {
  source: string
  startedAt: string
  pid: number
}

/** The journal file of unfinished imports, in the project folder. */
export const IMPORT_JOURNAL = '.batchdesk-import.json'

/** The journal left by an import that did not finish, if any. */
export function readImportJournal(project: Project): ImportJournal | null {
  const file = path.join(project.dir, IMPORT_JOURNAL)
  if (!existsSync(file)) return null
  try {
    const journal = JSON.parse(readFileSync(file, 'utf8')) as ImportJournal
    return typeof journal.source === 'string'
      ? { source: journal.source, startedAt: String(journal.startedAt), pid: Number(journal.pid) }
      : null
  } catch {
    return { source: '(unreadable journal)', startedAt: '', pid: 0 }
  }
}

/** Decides new / present / conflicting for runs against one store, reading each colliding result once. */
export class RunClassifier {
  readonly #store: ResultStore | undefined
  readonly #stored = new Map<string, ReadonlyMap<string, StoredIdInfo>>()
  readonly #decided = new Map<string, { placement: RunPlacement; reason?: string }>()

  /** `store` undefined: the project has stored nothing yet, so every run is new. */
  constructor(store: ResultStore | undefined) {
    this.#store = store
  }

  /** Where `run` stands if stored in batch `batch` (its own, or a keep-both batch). */
  classify(batch: string, run: ScannedRun): { placement: RunPlacement; reason?: string } {
    const key = `${batch}/${run.id}/${run.resultSha256}`
    let decided = this.#decided.get(key)
    if (!decided) this.#decided.set(key, (decided = this.#decide(batch, run)))
    return decided
  }

  #decide(batch: string, run: ScannedRun): { placement: RunPlacement; reason?: string } {
    if (!this.#store) return { placement: 'new' }
    let ids = this.#stored.get(batch)
    if (!ids) this.#stored.set(batch, (ids = this.#store.storedIds(batch)))
    const info = ids.get(run.id)
    if (!info) return { placement: 'new' }
    if (info.corrupt)
      return {
        placement: 'conflicting',
        reason: 'the result stored here is damaged (run it again to replace it)'
      }
    let sha: string
    try {
      const stored = this.#store.read(batch, run.id)
      if (!stored) return { placement: 'new' }
      sha = sha256Hex(encodeToJson(stored.result))
    } catch (error) {
      return {
        placement: 'conflicting',
        reason: `the result stored here cannot be read (${(error as Error).message})`
      }
    }
    return sha === run.resultSha256
      ? { placement: 'present' }
      : { placement: 'conflicting', reason: 'a different result is stored here' }
  }
}

/** The inspection of a scanned pack against a project (nothing is written). */
export function inspectScan(scan: PackScan, project: Project, classifier: RunClassifier): PackInspection {
  const inProject = new Set(project.manifest.batches.map((batch) => batch.name))
  const summaries = new Map<string, PackBatchSummary>()
  for (const batch of scan.batches) {
    summaries.set(batch.name, {
      name: batch.name,
      listed: batch.listedRuns,
      new: 0,
      present: 0,
      conflicting: 0,
      rejected: 0,
      inProject: inProject.has(batch.name)
    })
  }
  const conflicts: PackInspection['conflicts'] = []
  for (const run of scan.runs) {
    const summary = summaries.get(run.batch)!
    const { placement, reason } = classifier.classify(run.batch, run)
    summary[placement]++
    if (placement === 'conflicting') conflicts.push({ batch: run.batch, id: run.id, reason: reason! })
  }
  for (const run of scan.rejected) {
    const summary = summaries.get(run.batch)
    if (summary) summary.rejected++
  }
  const batches = [...summaries.values()]
  const totals: PackTotals = { listed: 0, new: 0, present: 0, conflicting: 0, rejected: scan.rejected.length }
  for (const batch of batches) {
    totals.listed += batch.listed
    totals.new += batch.new
    totals.present += batch.present
    totals.conflicting += batch.conflicting
  }
  return {
    file: scan.file,
    format: scan.format,
    app: scan.app,
    createdAt: scan.createdAt,
    author: scan.author,
    project: scan.project,
    batches,
    totals,
    conflicts,
    rejected: scan.rejected,
    code: scan.code.map((code) => ({ batch: code.batch, file: code.file, bytes: code.content.length })),
    codeRejected: scan.codeRejected,
    interruptedImport: readImportJournal(project)
  }
}
