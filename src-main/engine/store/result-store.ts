/**
 * The result store of one result folder (`savePath`, a project's `_res/`): the files are the truth, the
 * SQLite run index at `.batchdesk/index.sqlite` is a cache rebuilt from them whenever in doubt.
 */
import * as path from 'node:path'
import { CorruptResultError, mapDiskFull, StoreFormatError, StoreUnavailableError } from './errors'
import { declaredFrameLength, identifyDamaged, readOneFrame, scanFrames } from './frame'
import { activeFileSystem, readFully, readFullySync, type StoreFileSystem } from './fs-seam'
import { IndexTooNewError } from './migrations'
import { acquireProjectLock, type ProjectLock } from './project-lock'
import { reconcile } from './reconcile'
import { parseRecordBody, RECORD_FORMAT, storedResultOfRecord, type IndexedRun } from './record'
import { classifyResultFiles } from './result-files'
import type { FailureInfo, NewResult, StoredResult, StoredRunMeta, VerifyReport } from './result-types'
import { ResultWriter, type ResultWriterOptions } from './result-writer'
import { isIndexDamaged, RunIndex, storedRunMetaOf } from './run-index'
import type { StoredIdInfo } from './stored-ids'

export interface AcquireStoreOptions extends ResultWriterOptions {
  /**
   * Open without the lock and without writing anything: an in-memory index is built by scanning the files
   * (about 3 s per 100,000 results), a snapshot of them as they are now. Default false.
   */
  readOnly?: boolean
  /** The file system to use; default the active one (see installFileSystem). */
  fileSystem?: StoreFileSystem
}

interface OpenStoreEntry {
  store: ResultStore
  refs: number
}

const openStores = new Map<string, OpenStoreEntry>()
const liveLockTokens = new Set<string>()
const heldLocks = new Set<ProjectLock>()
let exitHookInstalled = false

/**
 * Opens the result store of `savePath`, or shares the one already open in this process (ref-counted: every
 * acquire needs one `release()`). Creates `savePath` if missing, unless read-only. A writing store takes the
 * project lock, repairs what a crash left behind and brings the index up to date with the files.
 * Options apply when the store is first opened.
 * @throws ProjectInUseError when another live process holds the project's lock.
 * @throws DiskFullError when there is no space to create the index.
 */
export function acquireStore(savePath: string, options: AcquireStoreOptions = {}): ResultStore {
  const readOnly = options.readOnly === true
  const fileSystem = options.fileSystem ?? activeFileSystem()
  let folder = path.resolve(savePath)
  try {
    if (!readOnly) fileSystem.mkdirSync(folder)
    if (fileSystem.statSync(folder)) folder = fileSystem.realpathSync(folder)
    const key = `${readOnly ? 'read' : 'write'}:${folder}`
    const open = openStores.get(key)
    if (open) {
      open.refs++
      return open.store
    }
    const store = new ResultStore(folder, readOnly, fileSystem, options, key)
    openStores.set(key, { store, refs: 1 })
    return store
  } catch (error) {
    // Creating the folders and the lock needs space too.
    throw mapDiskFull(error, 'opening the result store', folder)
  }
}

function releaseLocksAtExit(): void {
  for (const lock of heldLocks) {
    try {
      lock.release()
    } catch {
      // the process is ending; a lock left behind is taken over as stale next time
    }
  }
}

export class ResultStore {
  /** Absolute, resolved path of the result folder. */
  readonly savePath: string
  readonly readOnly: boolean
  readonly #fileSystem: StoreFileSystem
  readonly #key: string
  #index: RunIndex
  readonly #lock: ProjectLock | undefined
  readonly #writer: ResultWriter | undefined
  #released = false

  /** Use acquireStore(), which shares one instance per folder. */
  constructor(
    savePath: string,
    readOnly: boolean,
    fileSystem: StoreFileSystem,
    options: ResultWriterOptions,
    key: string
  ) {
    this.savePath = savePath
    this.readOnly = readOnly
    this.#fileSystem = fileSystem
    this.#key = key
    if (readOnly) {
      this.#index = new RunIndex(':memory:')
      reconcile(fileSystem, savePath, this.#index, { mutate: false })
      return
    }
    const stateFolder = path.join(savePath, '.batchdesk')
    fileSystem.mkdirSync(stateFolder)
    this.#lock = acquireProjectLock(fileSystem, stateFolder, liveLockTokens)
    try {
      // A full integrity check reads the whole index, so it runs only after a session that did not end
      // cleanly; otherwise a damaged file still shows when SQLite opens or migrates it.
      this.#index = openIndexFile(
        fileSystem,
        path.join(stateFolder, 'index.sqlite'),
        this.#lock.tookOverStaleLock
      )
      try {
        const { lastSegmentSeq } = reconcile(fileSystem, savePath, this.#index, { mutate: true })
        this.#writer = new ResultWriter(
          fileSystem,
          savePath,
          lastSegmentSeq,
          (runs, files) => this.#index.addWritten(runs, files),
          options
        )
      } catch (error) {
        this.#index.close()
        throw error
      }
    } catch (error) {
      this.#lock.release()
      throw mapDiskFull(error, 'opening the result store', savePath)
    }
    liveLockTokens.add(this.#lock.token)
    heldLocks.add(this.#lock)
    if (!exitHookInstalled) {
      exitHookInstalled = true
      process.once('exit', releaseLocksAtExit)
    }
  }

  /**
   * Stores results durably. Resolves once their bytes are fsynced and the index has them; calls made while
   * an fsync is in flight are committed together (group commit). A later record of the same run replaces the
   * earlier one, and clears the run's recorded failure.
   * @throws TypeError for a malformed result (naming run and field); nothing of that call is stored.
   * @throws DiskFullError when the disk is full; nothing of the failed group counts as stored, and the
   *   next write after space is freed works.
   * @throws StoreUnavailableError when read-only or released.
   */
  write(results: NewResult[]): Promise<void> {
    if (this.#released) return Promise.reject(this.#unavailable())
    if (!this.#writer)
      return Promise.reject(
        new StoreUnavailableError(`The result store of ${this.savePath} is open read-only`)
      )
    return this.#writer.write(results)
  }

  /**
   * Every stored run id of `batch` with its code hash and whether it is corrupt. Fast: one query over the
   * narrow key table; iterating slices ids from one string, and a lookup table is built only on the first
   * get()/has(). Entries share one frozen info object per (code hash, corrupt) pair. A snapshot: later writes
   * do not show up in it.
   */
  storedIds(batch: string): ReadonlyMap<string, StoredIdInfo> {
    return this.#query((index) => index.storedIds(batch))
  }

  has(batch: string, id: string): boolean {
    return this.#query((index) => index.has(batch, id))
  }

  /**
   * Reads and verifies one stored result (synchronous).
   * @returns undefined when the run is not stored.
   * @throws CorruptResultError (naming the file) when the record fails its checksum or its file is gone; the
   *   run is then marked corrupt in the index.
   * @throws StoreFormatError for an intact record in an unknown format.
   */
  read(batch: string, id: string): StoredResult | undefined {
    const found = this.#verifiedBody(batch, id)
    if (!found) return undefined
    const record = this.#parseOwnRecord(found.body, found.file, found.run)
    return storedResultOfRecord(record, found.run, found.file)
  }

  /**
   * The checksum-verified bytes of a stored record's body (the JSON object inside its frame), to copy a
   * result unchanged, e.g. into a result pack. Skips parsing when the body starts with its own identity.
   * @returns undefined when the run is not stored.
   * @throws CorruptResultError and StoreFormatError as read() does.
   */
  readRecordBody(batch: string, id: string): Buffer | undefined {
    const found = this.#verifiedBody(batch, id)
    if (!found) return undefined
    const identity = `{"format":${RECORD_FORMAT},"batch":"${batch}","id":"${id}"`
    if (found.body.toString('latin1', 0, identity.length) !== identity)
      this.#parseOwnRecord(found.body, found.file, found.run)
    return found.body
  }

  #verifiedBody(batch: string, id: string): { body: Buffer; run: IndexedRun; file: string } | undefined {
    const index = this.#open()
    const run = this.#query((current) => current.run(batch, id))
    if (!run) return undefined
    const file = path.join(this.savePath, run.file)
    if (run.corrupt) throw new CorruptResultError(file, run.offset, batch, id, this.#whyCorrupt(file, run))
    let bytes: Buffer
    try {
      bytes = this.#readFrameBytes(file, run.offset, run.length)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      index.markCorrupt(batch, id)
      throw new CorruptResultError(file, run.offset, batch, id, 'the file is missing')
    }
    const frame = readOneFrame(bytes)
    if ('reason' in frame) {
      index.markCorrupt(batch, id)
      throw new CorruptResultError(file, run.offset, batch, id, frame.reason)
    }
    return { body: frame.body, run, file }
  }

  // A run found corrupt earlier: say why, from its bytes as they are now.
  #whyCorrupt(file: string, run: IndexedRun): string {
    try {
      const frame = readOneFrame(this.#readFrameBytes(file, run.offset, run.length))
      if ('reason' in frame) return frame.reason
      parseRecordBody(frame.body, file, run.offset)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'the file is missing'
      if (error instanceof StoreFormatError)
        return error.message.slice(`${file} at byte ${run.offset}: `.length)
    }
    return 'it failed its checksum earlier'
  }

  #parseOwnRecord(body: Buffer, file: string, run: IndexedRun): ReturnType<typeof parseRecordBody> {
    const record = parseRecordBody(body, file, run.offset)
    if (record.batch !== run.batch || record.id !== run.id) {
      this.#open().markCorrupt(run.batch, run.id)
      throw new CorruptResultError(
        file,
        run.offset,
        run.batch,
        run.id,
        `the record there belongs to run ${record.id} of batch "${record.batch}"`
      )
    }
    return record
  }

  // Reads the frame at `offset`; the header's own length wins over the index's (a .bdr may have been replaced).
  #readFrameBytes(file: string, offset: number, indexedLength: number): Buffer {
    const fd = this.#fileSystem.openSync(file, 'r')
    try {
      const bytes = readFullySync(this.#fileSystem, fd, indexedLength, offset)
      const declared = declaredFrameLength(bytes)
      return declared === undefined || declared === bytes.length
        ? bytes
        : readFullySync(this.#fileSystem, fd, declared, offset)
    } finally {
      this.#fileSystem.closeSync(fd)
    }
  }

  /** What the index knows about a run, without reading its record. */
  meta(batch: string, id: string): StoredRunMeta | undefined {
    const run = this.#query((index) => index.run(batch, id))
    return run && storedRunMetaOf(run, path.join(this.savePath, run.file))
  }

  /** Every stored run of `batch` from the index, ordered by start time. */
  listMeta(batch: string): StoredRunMeta[] {
    return this.#query((index) => index.runs(batch)).map((run) =>
      storedRunMetaOf(run, path.join(this.savePath, run.file))
    )
  }

  /** Metadata of a batch's imported runs (from packs or legacy folders), found through an index. */
  listImported(batch: string): StoredRunMeta[] {
    return this.#query((index) => index.importedRuns(batch)).map((run) =>
      storedRunMetaOf(run, path.join(this.savePath, run.file))
    )
  }

  /** Names of the batches with stored runs, sorted. */
  batches(): string[] {
    return this.#query((index) => index.batches())
  }

  /** Remembers why runs failed (replacing earlier failures of the same runs). Kept in the index only. */
  recordFailures(batch: string, failures: FailureInfo[]): void {
    this.#query((index) => index.recordFailures(batch, failures))
  }

  failures(batch: string): Map<string, FailureInfo> {
    return this.#query((index) => index.failures(batch))
  }

  clearFailures(batch: string, ids: string[]): void {
    this.#query((index) => index.clearFailures(batch, ids))
  }

  /** Remembers when a code version of a batch was first seen; an earlier `seenAt` replaces a later one. */
  noteCodeVersion(batch: string, codeHash: string, seenAt: number): void {
    this.#query((index) => index.noteCodeVersion(batch, codeHash, seenAt))
  }

  codeVersionSeenAt(batch: string, codeHash: string): number | undefined {
    return this.#query((index) => index.codeVersionSeenAt(batch, codeHash))
  }

  /** Cached ids of a large design (a cache like the rest of the index: callers spot-check them). */
  designIds(batch: string, digest: string): string | undefined {
    return this.#query((index) => index.designIds(batch, digest))
  }

  saveDesignIds(batch: string, digest: string, ids: string): void {
    if (!this.readOnly) this.#query((index) => index.saveDesignIds(batch, digest, ids))
  }

  /**
   * Re-reads every result file and checks every record; changes nothing. Bytes of a segment beyond what the
   * index covers (a write in progress) are not checked.
   */
  async verify(): Promise<VerifyReport> {
    const index = this.#open()
    const report: VerifyReport = { files: 0, validRecords: 0, corrupt: [], unreadable: [], missing: [] }
    const files = classifyResultFiles(
      this.#fileSystem.statSync(this.savePath) ? this.#fileSystem.readdirSync(this.savePath) : []
    )
    const indexedBytes = index.fileStates()
    const valid = new Set<string>()
    for (const { name, kind, batch, id } of [
      ...files.segments.map((segment) => ({ ...segment, kind: 'segment', id: undefined })),
      ...files.records.map((record) => ({ ...record, kind: 'record' }))
    ]) {
      const file = path.join(this.savePath, name)
      let bytes: Buffer
      try {
        bytes = await this.#readWholeFile(
          file,
          kind === 'segment' ? indexedBytes.get(name)?.bytes : undefined
        )
      } catch (error) {
        report.unreadable.push({ file, reason: (error as Error).message })
        continue
      }
      report.files++
      if (kind === 'record') {
        const frame = readOneFrame(bytes)
        if ('reason' in frame) {
          report.corrupt.push({ file, offset: 0, length: bytes.length, batch, id, reason: frame.reason })
        } else if (this.#checkRecord(frame.body, file, 0, report)) {
          valid.add(`${name}:0`)
        }
        continue
      }
      const scan = scanFrames(bytes, 0)
      for (const frame of scan.frames) {
        if (this.#checkRecord(frame.body, file, frame.offset, report)) valid.add(`${name}:${frame.offset}`)
      }
      for (const region of scan.damaged) {
        report.corrupt.push({
          file,
          offset: region.offset,
          length: region.length,
          ...identifyDamaged(region.bytes),
          reason: region.reason
        })
      }
      if (scan.end < bytes.length) {
        report.corrupt.push({
          file,
          offset: scan.end,
          length: bytes.length - scan.end,
          reason: 'a frame cut short at the end of the file (a write that never completed)'
        })
      }
    }
    for (const placement of index.placements()) {
      if (!placement.corrupt && !valid.has(`${placement.file}:${placement.offset}`)) {
        report.missing.push({
          batch: placement.batch,
          id: placement.id,
          file: path.join(this.savePath, placement.file)
        })
      }
    }
    return report
  }

  #checkRecord(body: Buffer, file: string, offset: number, report: VerifyReport): boolean {
    try {
      parseRecordBody(body, file, offset)
      report.validRecords++
      return true
    } catch (error) {
      if (!(error instanceof StoreFormatError)) throw error
      report.unreadable.push({ file, reason: error.message })
      return false
    }
  }

  async #readWholeFile(file: string, limit: number | undefined): Promise<Buffer> {
    const fd = await this.#fileSystem.open(file, 'r')
    try {
      const { size } = await this.#fileSystem.fstat(fd)
      return await readFully(this.#fileSystem, fd, limit === undefined ? size : Math.min(limit, size), 0)
    } finally {
      await this.#fileSystem.close(fd)
    }
  }

  /**
   * Forgets every run the index knows and indexes the result files again (failures and code versions stay).
   * @throws StoreUnavailableError while a write is in progress.
   */
  rebuildIndex(): void {
    const index = this.#open()
    if (this.#writer?.busy)
      throw new StoreUnavailableError(
        `Cannot rebuild the index of ${this.savePath} while results are being written; try again when the batch has stopped`
      )
    index.transaction(() => {
      index.forgetAllRuns()
      reconcile(this.#fileSystem, this.savePath, index, { mutate: !this.readOnly })
    })
  }

  /**
   * Gives back one acquire. The last release waits for writes in flight, then closes the index and removes
   * the lock; after it every method throws StoreUnavailableError.
   */
  release(): void {
    if (this.#released) return
    const entry = openStores.get(this.#key)
    if (entry && entry.store === this && --entry.refs > 0) return
    openStores.delete(this.#key)
    this.#released = true
    const finish = (): void => {
      if (this.#writer) this.#noteSegmentTimes()
      this.#index.close()
      if (this.#lock) {
        heldLocks.delete(this.#lock)
        liveLockTokens.delete(this.#lock.token)
        this.#lock.release()
      }
    }
    if (!this.#writer) return finish()
    if (!this.#writer.busy) {
      this.#writer.closeIdle()
      return finish()
    }
    void this.#writer.close().finally(finish)
  }

  // Segments written this session are indexed without their modification time; noting it at a clean close
  // lets the next open notice a segment changed behind the store's back (see reconcile).
  #noteSegmentTimes(): void {
    try {
      for (const [name, state] of this.#index.fileStates()) {
        if (state.mtimeMs !== 0 || !name.endsWith('.bdseg')) continue
        const stats = this.#fileSystem.statSync(path.join(this.savePath, name))
        if (stats?.size === state.bytes)
          this.#index.setFileState(name, { bytes: state.bytes, mtimeMs: stats.mtimeMs })
      }
    } catch {
      // only a hint for the next open: without it, a changed segment is found when its records are read
    }
  }

  #open(): RunIndex {
    if (this.#released) throw this.#unavailable()
    return this.#index
  }

  // An index damaged on disk may only show when a query reads the damaged page: then it is set aside and
  // rebuilt from the files, and the query runs again (failures and code versions are lost with it).
  #query<T>(work: (index: RunIndex) => T): T {
    const index = this.#open()
    try {
      return work(index)
    } catch (error) {
      if (!isIndexDamaged(error) || this.readOnly || this.#writer?.busy) throw error
      try {
        index.close()
      } catch {
        // it is being replaced anyway
      }
      const file = path.join(this.savePath, '.batchdesk', 'index.sqlite')
      moveAside(this.#fileSystem, file, 'broken')
      this.#index = new RunIndex(file)
      reconcile(this.#fileSystem, this.savePath, this.#index, { mutate: true })
      return work(this.#index)
    }
  }

  #unavailable(): StoreUnavailableError {
    return new StoreUnavailableError(`The result store of ${this.savePath} was released; acquire it again`)
  }
}

function openIndexFile(fileSystem: StoreFileSystem, file: string, checkIntegrity: boolean): RunIndex {
  try {
    return new RunIndex(file, { checkIntegrity })
  } catch (error) {
    if (!isIndexDamaged(error) && !(error instanceof IndexTooNewError)) throw error
    moveAside(fileSystem, file, error instanceof IndexTooNewError ? 'newer' : 'broken')
    return new RunIndex(file)
  }
}

// The index is only a cache: a damaged (or newer) one is kept for inspection, and a new one built from the files.
function moveAside(fileSystem: StoreFileSystem, file: string, why: 'broken' | 'newer'): void {
  const aside = `${file}.${why}-${new Date().toISOString().replace(/[:.]/g, '-')}`
  fileSystem.renameSync(file, aside)
  for (const suffix of ['-wal', '-shm']) {
    if (fileSystem.statSync(file + suffix)) fileSystem.renameSync(file + suffix, aside + suffix)
  }
}
