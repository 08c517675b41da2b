/**
 * The run index: an SQLite cache of what the result files hold, so listings and "is it done?" never read
 * the files. Everything in `runs` and `files` can be rebuilt from the result folder; failures and code
 * versions live only here.
 */
import Database from 'better-sqlite3'
import { decodeResult } from './codec'
import { migrate } from './migrations'
import type { IndexedRun } from './record'
import type { FailureInfo, StoredRunMeta } from './result-types'
import { StoredIds, type StoredIdInfo } from './stored-ids'

/** How much of a result file the index has taken in. */
export interface IndexedFileState {
  bytes: number
  mtimeMs: number
}

interface RunRow {
  batch: string
  id: string
  run_class: string
  code_hash: string
  runtime: number
  started: number
  ended: number
  host: string
  file: string
  frame_offset: number
  frame_length: number
  corrupt: number
  parameters: string
  scalars: string
  origin: string | null
}

const RUN_COLUMNS =
  'r.batch, r.id, r.run_class, r.code_hash, r.runtime, r.started, r.ended, r.host, r.file, r.frame_offset, r.frame_length, k.corrupt, r.parameters, r.scalars, r.origin'
const FROM_KEYS_AND_RUNS = 'FROM run_keys k JOIN runs r ON r.row = k.row'
// storedIds() encodes each run's (code number, corrupt) pair as one character; past this many code versions
// the characters would reach the UTF-16 surrogate range, and a grouped query is used instead.
const MAX_CHAR_CODED_VERSIONS = 27_000

/** True for SQLite errors that mean the database file itself is damaged or is not a database. */
export function isIndexDamaged(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB')
}

export class RunIndex {
  readonly #db: Database.Database
  readonly #codeNumbers = new Map<string, number>()
  readonly #codeHashes: string[] = []
  readonly #statements: ReturnType<typeof prepareStatements>
  #nextRow: number

  /**
   * Opens (creating if needed) and migrates an index; `':memory:'` for a read-only session.
   * @param options.checkIntegrity run `PRAGMA quick_check` (reads the whole file: about 1 s for a million runs).
   * @throws the SQLite error when the file is damaged (see isIndexDamaged), IndexTooNewError for a newer schema.
   */
  constructor(file: string, options: { checkIntegrity?: boolean } = {}) {
    // In Electron the main process points this at a better-sqlite3 build for Electron's ABI (see
    // src-main/native-binding.ts); Node, the CLI and the tests use the default build.
    const nativeBinding = process.env.BATCHDESK_SQLITE_BINDING
    const db = new Database(file, nativeBinding ? { nativeBinding } : undefined)
    try {
      if (file !== ':memory:') {
        db.pragma('journal_mode = WAL')
        // NORMAL in WAL mode may lose the last commits on power loss but never corrupts; the files are
        // the truth and reopening re-indexes whatever the index lost.
        db.pragma('synchronous = NORMAL')
        // Checkpoint every ~40 MB of WAL rather than every 4 MB: a page changed by many commits is then
        // copied back once. The cache keeps a large index's hot pages in memory (grows only as used).
        db.pragma('wal_autocheckpoint = 10000')
        db.pragma('journal_size_limit = 67108864')
        db.pragma('cache_size = -65536')
        if (options.checkIntegrity) {
          const check = db.pragma('quick_check', { simple: true })
          if (check !== 'ok')
            throw Object.assign(new Error(`quick_check: ${String(check)}`), { code: 'SQLITE_CORRUPT' })
        }
      }
      migrate(db)
    } catch (error) {
      db.close()
      throw error
    }
    this.#db = db
    this.#statements = prepareStatements(db)
    this.#nextRow = 1
    this.#loadCachedState()
  }

  // Code numbers and the next row number are cached here; after a rollback they are read again.
  #loadCachedState(): void {
    this.#nextRow = ((this.#db.prepare('SELECT max(row) FROM runs').pluck().get() as number | null) ?? 0) + 1
    this.#codeNumbers.clear()
    this.#codeHashes.length = 0
    for (const [codeNo, codeHash] of this.#db
      .prepare('SELECT code_no, code_hash FROM code_hashes')
      .raw()
      .all() as [number, string][]) {
      this.#codeNumbers.set(codeHash, codeNo)
      this.#codeHashes[codeNo] = codeHash
    }
  }

  /** Runs `work` in one transaction (rolled back if it throws; a savepoint when nested). */
  transaction<T>(work: () => T): T {
    try {
      return this.#db.transaction(work)()
    } catch (error) {
      try {
        this.#loadCachedState()
      } catch {
        // the original error says more
      }
      throw error
    }
  }

  /**
   * Records freshly written results (each replaces any earlier record of the same run and clears the run's
   * failure) and the files' new sizes, in one transaction.
   */
  addWritten(runs: IndexedRun[], files: { name: string; bytes: number; mtimeMs: number }[]): void {
    this.transaction(() => {
      const { findRow, hasFailures, deleteFailure, setFile } = this.#statements
      let failuresOf: string | undefined
      let batchHasFailures = false
      for (const run of runs) {
        if (!this.#insertIfNew(run)) this.#put(run, findRow.get(run.batch, run.id) as number)
        if (run.batch !== failuresOf) {
          failuresOf = run.batch
          batchHasFailures = hasFailures.get(run.batch) !== undefined
        }
        if (batchHasFailures) deleteFailure.run(run.batch, run.id)
      }
      for (const file of files) setFile.run(file.name, file.bytes, file.mtimeMs)
    })
  }

  /**
   * Records a run found while scanning files (call inside a transaction). A run id can appear more than once
   * (a re-run, a damaged copy): an intact record beats a damaged one, and among intact ones the latest
   * `ended` wins, so the outcome does not depend on the order files are scanned in.
   */
  addScanned(run: IndexedRun): void {
    if (this.#insertIfNew(run)) return
    const existing = this.#statements.findRowCorruptEnded.get(run.batch, run.id) as
      [number, number, number] | undefined
    if (existing) {
      const [, corrupt, ended] = existing
      if (corrupt === 0 && (run.corrupt || run.ended < ended)) return
    }
    this.#put(run, existing?.[0])
  }

  // The common case, a run not indexed yet, costs one seek: the key is inserted unless present, with the row
  // number its `runs` row will get.
  #insertIfNew(run: IndexedRun): boolean {
    const row = this.#nextRow
    if (
      this.#statements.insertKeyIfNew.run(
        run.batch,
        run.id,
        this.#codeNumber(run.codeHash),
        run.corrupt ? 1 : 0,
        row
      ).changes === 0
    )
      return false
    this.#nextRow++
    this.#statements.insertRun.run(row, ...runValues(run))
    return true
  }

  #put(run: IndexedRun, row: number | undefined): void {
    if (row === undefined) {
      if (!this.#insertIfNew(run)) throw new Error(`internal: run ${run.id} appeared while indexing it`)
      return
    }
    this.#statements.updateRun.run(...runValues(run), row)
    this.#statements.updateKey.run(this.#codeNumber(run.codeHash), run.corrupt ? 1 : 0, run.batch, run.id)
  }

  #codeNumber(codeHash: string): number {
    let codeNo = this.#codeNumbers.get(codeHash)
    if (codeNo === undefined) {
      codeNo = this.#statements.insertCodeHash.run(codeHash).lastInsertRowid as number
      this.#codeNumbers.set(codeHash, codeNo)
      this.#codeHashes[codeNo] = codeHash
    }
    return codeNo
  }

  setFileState(name: string, state: IndexedFileState): void {
    this.#statements.setFile.run(name, state.bytes, state.mtimeMs)
  }

  fileStates(): Map<string, IndexedFileState> {
    const rows = this.#db.prepare('SELECT name, indexed_bytes, mtime_ms FROM files').raw().all() as [
      string,
      number,
      number
    ][]
    return new Map(rows.map(([name, bytes, mtimeMs]) => [name, { bytes, mtimeMs }]))
  }

  /** Forgets a file; with `run`, also that run if the index has it in this file (a `.bdr` holds one run). */
  forgetFile(name: string, run?: { batch: string; id: string }): void {
    if (run) {
      const row = this.#db
        .prepare('SELECT row FROM run_keys WHERE batch = ? AND id = ?')
        .pluck()
        .get(run.batch, run.id) as number | undefined
      if (
        row !== undefined &&
        this.#db.prepare('SELECT file FROM runs WHERE row = ?').pluck().get(row) === name
      ) {
        this.#db.prepare('DELETE FROM runs WHERE row = ?').run(row)
        this.#db.prepare('DELETE FROM run_keys WHERE batch = ? AND id = ?').run(run.batch, run.id)
      }
    }
    this.#db.prepare('DELETE FROM files WHERE name = ?').run(name)
  }

  /** Forgets every run and file (failures and code versions stay). */
  forgetAllRuns(): void {
    this.#db.exec('DELETE FROM run_keys; DELETE FROM runs; DELETE FROM files;')
    this.#nextRow = 1
  }

  storedIds(batch: string): ReadonlyMap<string, StoredIdInfo> {
    const infos = new Map<number, StoredIdInfo>()
    const infoOf = (code: number): StoredIdInfo => {
      let info = infos.get(code)
      if (!info)
        infos.set(
          code,
          (info = Object.freeze({ codeHash: this.#codeHashes[code >> 1], corrupt: (code & 1) === 1 }))
        )
      return info
    }
    if (this.#codeHashes.length > MAX_CHAR_CODED_VERSIONS) {
      const out = new Map<string, StoredIdInfo>()
      for (const [code, ids] of this.#statements.storedIdsGrouped.all(batch) as [number, string][]) {
        const info = infoOf(code)
        for (let at = 0; at < ids.length; at += 40) out.set(ids.slice(at, at + 40), info)
      }
      return out
    }
    const [ids, codes] = this.#statements.storedIds.get(batch) as [string | null, string | null]
    return new StoredIds(ids ?? '', codes ?? '', (char) => infoOf(char - 48))
  }

  has(batch: string, id: string): boolean {
    return this.#statements.findRow.get(batch, id) !== undefined
  }

  run(batch: string, id: string): IndexedRun | undefined {
    const row = this.#statements.run.get(batch, id) as RunRow | undefined
    return row && indexedRunOfRow(row)
  }

  runs(batch: string): IndexedRun[] {
    const rows = this.#db
      .prepare(`SELECT ${RUN_COLUMNS} ${FROM_KEYS_AND_RUNS} WHERE k.batch = ? ORDER BY r.started, r.id`)
      .all(batch) as RunRow[]
    return rows.map(indexedRunOfRow)
  }

  /** Runs of a batch that came from a result pack or a legacy import (they carry an origin). */
  importedRuns(batch: string): IndexedRun[] {
    const rows = this.#db
      .prepare(`SELECT ${RUN_COLUMNS} FROM runs r INDEXED BY runs_imported JOIN run_keys k ON k.row = r.row WHERE r.batch = ? AND r.origin IS NOT NULL`)
      .all(batch) as RunRow[]
    return rows.map(indexedRunOfRow)
  }

  /** Every run's identity and place on disk (for verify). */
  placements(): { batch: string; id: string; file: string; offset: number; corrupt: boolean }[] {
    const rows = this.#db
      .prepare(`SELECT k.batch, k.id, r.file, r.frame_offset, k.corrupt ${FROM_KEYS_AND_RUNS}`)
      .raw()
      .all() as [string, string, string, number, number][]
    return rows.map(([batch, id, file, offset, corrupt]) => ({
      batch,
      id,
      file,
      offset,
      corrupt: corrupt === 1
    }))
  }

  markCorrupt(batch: string, id: string): void {
    this.#db.prepare('UPDATE run_keys SET corrupt = 1 WHERE batch = ? AND id = ?').run(batch, id)
  }

  /** Names of batches with stored runs; one index seek per batch, not a scan of every run. */
  batches(): string[] {
    return this.#db
      .prepare(
        'WITH RECURSIVE b(name) AS (SELECT min(batch) FROM run_keys UNION ALL SELECT (SELECT min(batch) FROM run_keys WHERE batch > b.name) FROM b WHERE b.name IS NOT NULL) ' +
          'SELECT name FROM b WHERE name IS NOT NULL'
      )
      .pluck()
      .all() as string[]
  }

  recordFailures(batch: string, failures: FailureInfo[]): void {
    const statement = this.#db.prepare(
      'INSERT INTO failures (batch, id, kind, message, stack, log, at) VALUES (?, ?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT (batch, id) DO UPDATE SET kind = excluded.kind, message = excluded.message, stack = excluded.stack, log = excluded.log, at = excluded.at'
    )
    this.transaction(() => {
      for (const f of failures)
        statement.run(batch, f.id, f.kind, f.message, f.stack ?? null, f.log ?? null, Math.round(f.at))
    })
  }

  failures(batch: string): Map<string, FailureInfo> {
    const rows = this.#db
      .prepare('SELECT id, kind, message, stack, log, at FROM failures WHERE batch = ?')
      .all(batch) as {
      id: string
      kind: string
      message: string
      stack: string | null
      log: string | null
      at: number
    }[]
    const out = new Map<string, FailureInfo>()
    for (const row of rows) {
      const info: FailureInfo = { id: row.id, kind: row.kind, message: row.message, at: row.at }
      if (row.stack !== null) info.stack = row.stack
      if (row.log !== null) info.log = row.log
      out.set(row.id, info)
    }
    return out
  }

  clearFailures(batch: string, ids: string[]): void {
    this.transaction(() => {
      for (const id of ids) this.#statements.deleteFailure.run(batch, id)
    })
  }

  /** Remembers when a code version of a batch was first seen (an earlier time replaces a later one). */
  noteCodeVersion(batch: string, codeHash: string, seenAt: number): void {
    this.#db
      .prepare(
        'INSERT INTO code_versions (batch, code_hash, seen_at) VALUES (?, ?, ?) ON CONFLICT (batch, code_hash) DO UPDATE SET seen_at = min(seen_at, excluded.seen_at)'
      )
      .run(batch, codeHash, Math.round(seenAt))
  }

  codeVersionSeenAt(batch: string, codeHash: string): number | undefined {
    return this.#db
      .prepare('SELECT seen_at FROM code_versions WHERE batch = ? AND code_hash = ?')
      .pluck()
      .get(batch, codeHash) as number | undefined
  }

  /** Cached ids of a design (40 characters each, concatenated), by the digest of everything that makes them. */
  designIds(batch: string, digest: string): string | undefined {
    // Read-only on purpose: touching the row would rewrite its tens of megabytes.
    return this.#db.prepare('SELECT ids FROM design_ids WHERE batch = ? AND digest = ?').pluck().get(batch, digest) as string | undefined
  }

  /** Caches a design's ids; keeps the 8 most recently saved designs of a batch (used_at is a save counter). */
  saveDesignIds(batch: string, digest: string, ids: string): void {
    this.transaction(() => {
      this.#db
        .prepare(
          'INSERT INTO design_ids (batch, digest, ids, used_at) VALUES (?, ?, ?, (SELECT coalesce(max(used_at), 0) + 1 FROM design_ids)) ' +
            'ON CONFLICT (batch, digest) DO UPDATE SET ids = excluded.ids, used_at = excluded.used_at'
        )
        .run(batch, digest, ids)
      this.#db
        .prepare('DELETE FROM design_ids WHERE batch = ? AND digest NOT IN (SELECT digest FROM design_ids WHERE batch = ? ORDER BY used_at DESC LIMIT 8)')
        .run(batch, batch)
    })
  }

  /** The schema as SQLite stores it (for the migration snapshot test). */
  schemaSql(): string {
    const rows = this.#db
      .prepare('SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type DESC, name')
      .pluck()
      .all() as string[]
    return rows.map((sql) => sql.trim() + ';').join('\n') + '\n'
  }

  close(): void {
    this.#db.close()
  }
}

function prepareStatements(db: Database.Database) {
  return {
    findRow: db.prepare('SELECT row FROM run_keys WHERE batch = ? AND id = ?').pluck(),
    findRowCorruptEnded: db
      .prepare(`SELECT k.row, k.corrupt, r.ended ${FROM_KEYS_AND_RUNS} WHERE k.batch = ? AND k.id = ?`)
      .raw(),
    run: db.prepare(`SELECT ${RUN_COLUMNS} ${FROM_KEYS_AND_RUNS} WHERE k.batch = ? AND k.id = ?`),
    insertRun: db.prepare(
      'INSERT INTO runs (row, batch, id, run_class, code_hash, runtime, started, ended, host, file, frame_offset, frame_length, parameters, scalars, origin) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'
    ),
    updateRun: db.prepare(
      'UPDATE runs SET batch = ?, id = ?, run_class = ?, code_hash = ?, runtime = ?, started = ?, ended = ?, host = ?, file = ?, ' +
        'frame_offset = ?, frame_length = ?, parameters = ?, scalars = ?, origin = ? WHERE row = ?'
    ),
    insertKeyIfNew: db.prepare(
      'INSERT INTO run_keys (batch, id, code_no, corrupt, row) VALUES (?, ?, ?, ?, ?) ON CONFLICT (batch, id) DO NOTHING'
    ),
    updateKey: db.prepare('UPDATE run_keys SET code_no = ?, corrupt = ? WHERE batch = ? AND id = ?'),
    insertCodeHash: db.prepare('INSERT INTO code_hashes (code_hash) VALUES (?)'),
    setFile: db.prepare(
      'INSERT INTO files (name, indexed_bytes, mtime_ms) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET indexed_bytes = excluded.indexed_bytes, mtime_ms = excluded.mtime_ms'
    ),
    hasFailures: db.prepare('SELECT 1 FROM failures WHERE batch = ? LIMIT 1').pluck(),
    deleteFailure: db.prepare('DELETE FROM failures WHERE batch = ? AND id = ?'),
    storedIds: db
      .prepare(
        "SELECT group_concat(id, ''), group_concat(char(48 + code_no * 2 + corrupt), '') FROM run_keys WHERE batch = ?"
      )
      .raw(),
    storedIdsGrouped: db
      .prepare(
        "SELECT code_no * 2 + corrupt, group_concat(id, '') FROM run_keys WHERE batch = ? GROUP BY code_no, corrupt"
      )
      .raw()
  }
}

function runValues(run: IndexedRun): unknown[] {
  return [
    run.batch,
    run.id,
    run.runClass,
    run.codeHash,
    run.runtime,
    run.started,
    run.ended,
    run.host,
    run.file,
    run.offset,
    run.length,
    run.parametersJson,
    run.scalarsJson,
    run.originJson
  ]
}

function indexedRunOfRow(row: RunRow): IndexedRun {
  return {
    batch: row.batch,
    id: row.id,
    runClass: row.run_class,
    codeHash: row.code_hash,
    runtime: row.runtime,
    started: row.started,
    ended: row.ended,
    host: row.host,
    file: row.file,
    offset: row.frame_offset,
    length: row.frame_length,
    corrupt: row.corrupt === 1,
    parametersJson: row.parameters,
    scalarsJson: row.scalars,
    originJson: row.origin
  }
}

/** The public view of an index row; `file` becomes absolute. */
export function storedRunMetaOf(run: IndexedRun, absoluteFile: string): StoredRunMeta {
  const meta: StoredRunMeta = {
    batch: run.batch,
    id: run.id,
    runClass: run.runClass,
    codeHash: run.codeHash,
    runtime: run.runtime,
    started: run.started,
    ended: run.ended,
    host: run.host,
    corrupt: run.corrupt,
    file: absoluteFile,
    scalars: JSON.parse(run.scalarsJson),
    parameters: decodeResult(JSON.parse(run.parametersJson)) as Record<string, unknown>
  }
  if (run.originJson !== null) meta.origin = JSON.parse(run.originJson)
  return meta
}
