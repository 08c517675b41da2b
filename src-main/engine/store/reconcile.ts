/**
 * Brings the run index in line with the result files (the truth): indexes what the index has not seen,
 * cuts off frames torn by a crash, forgets files that vanished.
 */
import * as path from 'node:path'
import { identifyDamaged, readOneFrame, scanFrames } from './frame'
import { readFullySync, type StoreFileSystem } from './fs-seam'
import { corruptIndexedRun, indexedRunOfRecord, isBatchName, isRunId, parseRecordBody } from './record'
import { classifyResultFiles, type RecordFile, type SegmentFile } from './result-files'
import type { RunIndex } from './run-index'

export interface ReconcileOptions {
  /** False for read-only sessions: nothing on disk is touched (torn tails are only skipped). */
  mutate: boolean
}

export interface ReconcileOutcome {
  /** The highest segment sequence number on disk per batch (new segments continue after it). */
  lastSegmentSeq: Map<string, number>
  /** Intact records that could not be indexed (another format version, bad JSON): file, offset, reason. */
  unreadable: { file: string; offset: number; reason: string }[]
}

/**
 * Reconciles `index` with the files in `savePath`, in one transaction.
 * Incremental: a segment is scanned only past the bytes already indexed; if any indexed file vanished,
 * shrank or was modified in place, the whole index is rebuilt, because a record it hid (an older copy of a
 * run) may matter again.
 */
export function reconcile(
  fileSystem: StoreFileSystem,
  savePath: string,
  index: RunIndex,
  options: ReconcileOptions
): ReconcileOutcome {
  const names = fileSystem.statSync(savePath) ? fileSystem.readdirSync(savePath) : []
  const files = classifyResultFiles(names)
  const outcome: ReconcileOutcome = { lastSegmentSeq: new Map(), unreadable: [] }
  if (options.mutate) {
    for (const temp of files.temps) fileSystem.unlinkSync(path.join(savePath, temp))
  }
  index.transaction(() => {
    let states = index.fileStates()
    const sizes = new Map<string, { size: number; mtimeMs: number }>()
    for (const file of [...files.segments, ...files.records]) {
      const stats = fileSystem.statSync(path.join(savePath, file.name))
      if (stats?.isFile) sizes.set(file.name, { size: stats.size, mtimeMs: stats.mtimeMs })
    }
    // A segment of an earlier session never changes again: one that did (same size, another modification
    // time, recorded at the last clean close) was written by something else, and its records are read again.
    const lostSomething = [...states].some(([name, state]) => {
      const now = sizes.get(name)
      if (now === undefined) return true
      if (!name.endsWith('.bdseg')) return false
      return (
        now.size < state.bytes ||
        (now.size === state.bytes && state.mtimeMs !== 0 && now.mtimeMs !== state.mtimeMs)
      )
    })
    if (lostSomething) {
      index.forgetAllRuns()
      states = new Map()
    }
    for (const segment of files.segments) {
      outcome.lastSegmentSeq.set(
        segment.batch,
        Math.max(outcome.lastSegmentSeq.get(segment.batch) ?? 0, segment.seq)
      )
      const now = sizes.get(segment.name)
      if (now)
        reconcileSegment(
          fileSystem,
          savePath,
          index,
          segment,
          states.get(segment.name)?.bytes ?? 0,
          now,
          options,
          outcome
        )
    }
    for (const record of files.records) {
      const now = sizes.get(record.name)
      const state = states.get(record.name)
      if (now && (state?.bytes !== now.size || state.mtimeMs !== now.mtimeMs)) {
        reconcileRecordFile(fileSystem, savePath, index, record, now, outcome)
      }
    }
  })
  return outcome
}

function reconcileSegment(
  fileSystem: StoreFileSystem,
  savePath: string,
  index: RunIndex,
  segment: SegmentFile,
  indexedBytes: number,
  now: { size: number; mtimeMs: number },
  options: ReconcileOptions,
  outcome: ReconcileOutcome
): void {
  const file = path.join(savePath, segment.name)
  if (now.size === 0 && options.mutate) {
    fileSystem.unlinkSync(file)
    index.forgetFile(segment.name)
    return
  }
  if (now.size === indexedBytes) return
  const fd = fileSystem.openSync(file, options.mutate ? 'r+' : 'r')
  try {
    const scan = scanFrames(
      readFullySync(fileSystem, fd, now.size - indexedBytes, indexedBytes),
      indexedBytes
    )
    for (const frame of scan.frames) {
      try {
        index.addScanned(
          indexedRunOfRecord(
            parseRecordBody(frame.body, file, frame.offset),
            segment.name,
            frame.offset,
            frame.length
          )
        )
      } catch (error) {
        outcome.unreadable.push({ file, offset: frame.offset, reason: (error as Error).message })
        // An intact record that cannot be read (another format version) is no result either.
        const identity = identityOfUnreadable(frame.body)
        if (identity)
          index.addScanned(
            corruptIndexedRun(identity.batch, identity.id, segment.name, frame.offset, frame.length)
          )
      }
    }
    for (const region of scan.damaged) {
      const identity = identifyDamaged(region.bytes)
      if (identity)
        index.addScanned(
          corruptIndexedRun(identity.batch, identity.id, segment.name, region.offset, region.length)
        )
    }
    // Bytes after the last complete frame were never acknowledged (the write or its fsync did not finish).
    if (scan.end < now.size && options.mutate) {
      fileSystem.ftruncateSync(fd, scan.end)
      fileSystem.fsyncSync(fd)
    }
    index.setFileState(segment.name, { bytes: scan.end, mtimeMs: now.mtimeMs })
  } finally {
    fileSystem.closeSync(fd)
  }
}

function reconcileRecordFile(
  fileSystem: StoreFileSystem,
  savePath: string,
  index: RunIndex,
  record: RecordFile,
  now: { size: number; mtimeMs: number },
  outcome: ReconcileOutcome
): void {
  const file = path.join(savePath, record.name)
  const fd = fileSystem.openSync(file, 'r')
  let bytes: Buffer
  try {
    bytes = readFullySync(fileSystem, fd, now.size, 0)
  } finally {
    fileSystem.closeSync(fd)
  }
  index.forgetFile(record.name, record)
  const frame = readOneFrame(bytes)
  if ('reason' in frame) {
    index.addScanned(corruptIndexedRun(record.batch, record.id, record.name, 0, now.size))
  } else {
    try {
      index.addScanned(indexedRunOfRecord(parseRecordBody(frame.body, file, 0), record.name, 0, now.size))
    } catch (error) {
      outcome.unreadable.push({ file, offset: 0, reason: (error as Error).message })
      index.addScanned(corruptIndexedRun(record.batch, record.id, record.name, 0, now.size))
    }
  }
  index.setFileState(record.name, { bytes: now.size, mtimeMs: now.mtimeMs })
}

/** Batch and id of an intact record that could not be parsed as this format, when they are legible. */
function identityOfUnreadable(body: Buffer): { batch: string; id: string } | undefined {
  try {
    const record = JSON.parse(body.toString('utf8')) as { batch?: unknown; id?: unknown }
    if (
      typeof record.batch === 'string' &&
      isBatchName(record.batch) &&
      typeof record.id === 'string' &&
      isRunId(record.id)
    )
      return { batch: record.batch, id: record.id }
  } catch {
    // not JSON: nothing legible
  }
  return undefined
}
