/**
 * Durable writing of results with group commit: calls that arrive while an fsync is in flight are queued
 * and written together with one fsync afterwards. A call resolves only once its bytes are fsynced and the
 * index has taken them in.
 */
import { randomBytes } from 'node:crypto'
import * as path from 'node:path'
import { mapDiskFull, StoreUnavailableError } from './errors'
import { encodeFrame, type EncodedFrame } from './frame'
import { writeFully, type StoreFileSystem } from './fs-seam'
import { indexedRunOfNewResult, recordBody, validateNewResult, type IndexedRun } from './record'
import { recordFileName, segmentFileName } from './result-files'
import type { NewResult } from './result-types'

export interface ResultWriterOptions {
  /** A segment that reached this size is closed and the next one started. Default 64 MiB. */
  segmentLimitBytes?: number
  /** Records whose body is larger get a `.bdr` file of their own. Default 1 MiB. */
  largeRecordBytes?: number
}

/** Called with each group once its bytes are durable; must index them (it throws if it cannot). */
export type CommitToIndex = (
  runs: IndexedRun[],
  files: { name: string; bytes: number; mtimeMs: number }[]
) => void

interface PendingWrite {
  results: NewResult[]
  frames: EncodedFrame[]
  resolve(): void
  reject(error: unknown): void
}

interface OpenSegment {
  name: string
  fd: number
  /** Bytes durable and indexed: the next frame goes here. */
  size: number
}

export class ResultWriter {
  readonly #fileSystem: StoreFileSystem
  readonly #savePath: string
  readonly #lastSegmentSeq: Map<string, number>
  readonly #segments = new Map<string, OpenSegment>()
  readonly #commitToIndex: CommitToIndex
  readonly #segmentLimitBytes: number
  readonly #largeRecordBytes: number
  #queue: PendingWrite[] = []
  #flushing: Promise<void> | undefined
  #closed = false

  /** `lastSegmentSeq`: highest segment number on disk per batch; each batch's first write starts a new segment after it. */
  constructor(
    fileSystem: StoreFileSystem,
    savePath: string,
    lastSegmentSeq: Map<string, number>,
    commitToIndex: CommitToIndex,
    options: ResultWriterOptions = {}
  ) {
    this.#fileSystem = fileSystem
    this.#savePath = savePath
    this.#lastSegmentSeq = new Map(lastSegmentSeq)
    this.#commitToIndex = commitToIndex
    this.#segmentLimitBytes = options.segmentLimitBytes ?? 64 * 1024 * 1024
    this.#largeRecordBytes = options.largeRecordBytes ?? 1024 * 1024
  }

  /** True while a group is being written or calls are waiting for one. */
  get busy(): boolean {
    return this.#flushing !== undefined
  }

  /**
   * Stores `results` durably. Validation and framing (checksum) happen right away, in the caller's tick.
   * @throws TypeError (synchronously rejected) for a malformed result, naming the run and field.
   * @throws DiskFullError when the disk is full; nothing of the group counts as stored.
   */
  write(results: NewResult[]): Promise<void> {
    if (this.#closed)
      return Promise.reject(new StoreUnavailableError(`The result store of ${this.#savePath} is closed`))
    const frames: EncodedFrame[] = new Array(results.length)
    try {
      for (let i = 0; i < results.length; i++) {
        validateNewResult(results[i])
        frames[i] = encodeFrame(recordBody(results[i]))
      }
    } catch (error) {
      return Promise.reject(error)
    }
    if (results.length === 0) return Promise.resolve()
    return new Promise((resolve, reject) => {
      this.#queue.push({ results, frames, resolve, reject })
      // A microtask lets calls made in the same tick share the first group too.
      if (!this.#flushing) this.#flushing = Promise.resolve().then(() => this.#drain())
    })
  }

  /** Waits for queued writes, then closes the open segments. Later writes reject. */
  async close(): Promise<void> {
    this.#closed = true
    await this.#flushing
    const segments = [...this.#segments.values()]
    this.#segments.clear()
    await Promise.all(segments.map((segment) => this.#fileSystem.close(segment.fd).catch(() => undefined)))
  }

  /** Closes the open segments right away; only when not busy (a synchronous release). */
  closeIdle(): void {
    if (this.#flushing) throw new Error('internal: closeIdle() while writing')
    this.#closed = true
    for (const segment of this.#segments.values()) {
      try {
        this.#fileSystem.closeSync(segment.fd)
      } catch {
        // closing a file we only appended to and fsynced cannot lose data
      }
    }
    this.#segments.clear()
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const group = this.#queue
      this.#queue = []
      try {
        await this.#commitGroup(group)
        for (const pending of group) pending.resolve()
      } catch (error) {
        const count = group.reduce((sum, pending) => sum + pending.results.length, 0)
        const mapped = mapDiskFull(error, `storing ${count} result${count === 1 ? '' : 's'}`, this.#savePath)
        for (const pending of group) pending.reject(mapped)
      }
    }
    this.#flushing = undefined
  }

  async #commitGroup(group: PendingWrite[]): Promise<void> {
    const small = new Map<string, { results: NewResult[]; frames: EncodedFrame[] }>()
    const large: { result: NewResult; frame: EncodedFrame }[] = []
    for (const pending of group) {
      for (let i = 0; i < pending.results.length; i++) {
        const result = pending.results[i]
        const frame = pending.frames[i]
        if (frame.bodyBytes > this.#largeRecordBytes) {
          large.push({ result, frame })
          continue
        }
        let forBatch = small.get(result.batch)
        if (!forBatch) small.set(result.batch, (forBatch = { results: [], frames: [] }))
        forBatch.results.push(result)
        forBatch.frames.push(frame)
      }
    }

    const appended: { batch: string; segment: OpenSegment; end: number }[] = []
    const runs: IndexedRun[] = []
    const files: { name: string; bytes: number; mtimeMs: number }[] = []
    let directoryChanged = large.length > 0
    try {
      for (const batch of small.keys()) {
        const { segment, created } = await this.#segmentFor(batch)
        directoryChanged ||= created
        appended.push({ batch, segment, end: segment.size })
      }
      const writes: Promise<void>[] = []
      for (const append of appended) {
        const { segment } = append
        const { results, frames } = small.get(append.batch)!
        let text = ''
        let offset = segment.size
        for (let i = 0; i < frames.length; i++) {
          text += frames[i].text
          runs.push(indexedRunOfNewResult(results[i], segment.name, offset, frames[i].bytes))
          offset += frames[i].bytes
        }
        append.end = offset
        files.push({ name: segment.name, bytes: offset, mtimeMs: 0 })
        writes.push(this.#appendDurably(segment, Buffer.from(text, 'utf8')))
      }
      for (const { result, frame } of large) {
        const name = recordFileName(result.batch, result.id)
        writes.push(
          this.#writeRecordFileAtomically(name, Buffer.from(frame.text, 'utf8')).then((mtimeMs) => {
            runs.push(indexedRunOfNewResult(result, name, 0, frame.bytes))
            files.push({ name, bytes: frame.bytes, mtimeMs })
          })
        )
      }
      await settleAll(writes)
      if (directoryChanged) await this.#fileSystem.fsyncDirectory(this.#savePath)
      this.#commitToIndex(runs, files)
    } catch (error) {
      await Promise.all(appended.map(({ segment }) => this.#abandon(segment)))
      throw error
    }
    for (const { segment, end } of appended) segment.size = end
  }

  async #appendDurably(segment: OpenSegment, bytes: Buffer): Promise<void> {
    await writeFully(this.#fileSystem, segment.fd, bytes, segment.size)
    await this.#fileSystem.fsync(segment.fd)
  }

  async #segmentFor(batch: string): Promise<{ segment: OpenSegment; created: boolean }> {
    const current = this.#segments.get(batch)
    if (current && current.size < this.#segmentLimitBytes) return { segment: current, created: false }
    if (current) {
      this.#segments.delete(batch)
      await this.#fileSystem.close(current.fd).catch(() => undefined)
    }
    for (;;) {
      const seq = (this.#lastSegmentSeq.get(batch) ?? 0) + 1
      this.#lastSegmentSeq.set(batch, seq)
      const name = segmentFileName(batch, seq)
      try {
        const fd = await this.#fileSystem.open(path.join(this.#savePath, name), 'wx')
        const segment: OpenSegment = { name, fd, size: 0 }
        this.#segments.set(batch, segment)
        return { segment, created: true }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }
    }
  }

  // After a failed group the segment's tail is unknown (a partial frame, or bytes whose fsync failed): cut it
  // back to what was acknowledged and never append to that file again this session. If the cut fails too,
  // the next open finds the torn tail and cuts it then.
  async #abandon(segment: OpenSegment): Promise<void> {
    const batch = [...this.#segments].find(([, open]) => open === segment)?.[0]
    if (batch !== undefined) this.#segments.delete(batch)
    try {
      await this.#fileSystem.ftruncate(segment.fd, segment.size)
      await this.#fileSystem.fsync(segment.fd)
    } catch {
      // see above
    }
    await this.#fileSystem.close(segment.fd).catch(() => undefined)
  }

  /** Temp file in the same folder, all bytes, fsync, rename. The caller fsyncs the folder. Resolves with the mtime. */
  async #writeRecordFileAtomically(name: string, bytes: Buffer): Promise<number> {
    const temp = path.join(this.#savePath, `.${name}.${randomBytes(6).toString('hex')}.tmp`)
    let mtimeMs: number
    try {
      const fd = await this.#fileSystem.open(temp, 'wx')
      try {
        await writeFully(this.#fileSystem, fd, bytes, 0)
        await this.#fileSystem.fsync(fd)
        mtimeMs = (await this.#fileSystem.fstat(fd)).mtimeMs
      } finally {
        await this.#fileSystem.close(fd)
      }
      await this.#fileSystem.rename(temp, path.join(this.#savePath, name))
    } catch (error) {
      await this.#fileSystem.unlink(temp).catch(() => undefined)
      throw error
    }
    return mtimeMs
  }
}

/** Like Promise.all, but waits for every promise before rejecting, so no write is still running during cleanup. */
async function settleAll(promises: Promise<void>[]): Promise<void> {
  const outcomes = await Promise.allSettled(promises)
  const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected')
  if (failed) throw failed.reason
}
