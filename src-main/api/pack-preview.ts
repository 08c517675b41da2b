import path from 'node:path'
import type { PackPreview, PackTargetInfo, ResultOriginInfo } from '../../src-preload/contract'
import type { PackInspection } from '../engine/packs'
import type { ImportedFrom } from '../engine/project/manifest'
import type { ResultOrigin } from '../engine/store'
import { ApiFailure } from './errors'

/** Conflicting and rejected runs listed at most in a preview; the totals count all of them. */
export const MAX_LISTED_RUNS = 500

/** The engine's inspection as the renderer sees it: capped lists, the target it was compared with. */
export function packPreview(
  inspection: PackInspection,
  kind: 'pack' | 'legacy',
  target: PackTargetInfo
): PackPreview {
  return {
    file: inspection.file,
    fileName: path.basename(inspection.file),
    kind,
    format: inspection.format,
    app: inspection.app,
    createdAt: inspection.createdAt,
    author: inspection.author,
    project: inspection.project,
    batches: inspection.batches.map((batch) => ({
      name: batch.name,
      listed: batch.listed,
      new: batch.new,
      present: batch.present,
      conflicting: batch.conflicting,
      rejected: batch.rejected,
      inProject: batch.inProject
    })),
    totals: { ...inspection.totals },
    conflicts: inspection.conflicts.slice(0, MAX_LISTED_RUNS),
    rejected: inspection.rejected.slice(0, MAX_LISTED_RUNS).map((run) => ({ ...run })),
    code: inspection.code.map((code) => ({ ...code })),
    codeRejected: inspection.codeRejected.map((code) => ({ ...code })),
    interruptedImport: inspection.interruptedImport
      ? { source: inspection.interruptedImport.source, startedAt: inspection.interruptedImport.startedAt }
      : null,
    target
  }
}

/**
 * A PackError as the envelope's error: a pack that changed since it was inspected clashes with the state
 * (CONFLICT); every other refusal is about the input (INVALID_ARGUMENT). Other errors pass through.
 */
export function packFailure(error: unknown): unknown {
  if (!(error instanceof Error) || error.name !== 'PackError') return error
  const code = (error as Error & { code?: string }).code
  return new ApiFailure(code === 'CHANGED' ? 'CONFLICT' : 'INVALID_ARGUMENT', error.message)
}

/** A stored result's origin (or a batch's `imported` entry) for the run table and details. */
export function originInfo(
  origin: (ResultOrigin & { packCreatedAt?: unknown }) | ImportedFrom | undefined
): ResultOriginInfo | undefined {
  if (!origin) return undefined
  const source = 'source' in origin ? origin.source : origin.pack
  if (typeof source !== 'string') return undefined
  const info: ResultOriginInfo = {
    source,
    author: typeof origin.author === 'string' && origin.author !== '' ? origin.author : null,
    importedAt: typeof origin.importedAt === 'string' ? origin.importedAt : ''
  }
  if ('packCreatedAt' in origin && typeof origin.packCreatedAt === 'string')
    info.packCreatedAt = origin.packCreatedAt
  return info
}
