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

/** How much of a result file the index has taken in. */
export interface IndexedFileState {
  bytes: number
  mtimeMs: number
}

/** What `storedIds` maps each id to; one shared frozen object per (code hash, corrupt) pair. */
export interface StoredIdInfo {
  readonly codeHash: string
  readonly corrupt: boolean
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
  'batch, id, run_class, code_hash, runtime, started, ended, host, file, frame_offset, frame_length, corrupt, parameters, scalars, origin'
const UPDATE_ALL =
  'run_class = excluded.run_class, code_hash = excluded.code_hash, runtime = excluded.runtime, started = excluded.started, ' +
  'ended = excluded.ended, host = excluded.host, file = excluded.file, frame_offset = excluded.frame_offset, ' +
  'frame_length = excluded.frame_length, corrupt = excluded.corrupt, parameters = excluded.parameters, ' +
  'scalars = excluded.scalars, origin = excluded.origin'

/** True for SQLite errors that mean the database file itself is damaged or is not a database. */
export function isIndexDamaged(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB')
}

export class RunIndex {
  readonly #db: Database.Database
  readonly #insertWritten: Database.Statement
  readonly #insertScanned: Database.Statement
  readonly #setFile: Database.Statement
  readonly #hasFailures: Database.Statement
  readonly #deleteFailure: Database.Statement
  readonly #storedIds: Database.Statement
  readonly #has: Database.Statement
  readonly #row: Database.Statement

  /**
   * Opens (creating if needed) and migrates an index; `':memory:'` for a read-only session.
   * @throws the SQLite error when the file is damaged (see isIndexDamaged), IndexTooNewError for a newer schema.
   */
  constructor(file: string) {
    const db = new Database(file)
    try {
      if (file !== ':memory:') {
        db.pragma('journal_mode = WAL')
        // NORMAL in WAL mode may lose the last commits on power loss but never corrupts; the files are
        // the truth and reopening re-indexes whatever the index lost.
        db.pragma('synchronous = NORMAL')
        const check = db.pragma('quick_check', { simple: true })
        if (check !== 'ok') throw Object.assign(new Error(`quick_check: ${String(check)}`), { code: 'SQLITE_CORRUPT' })
      }
      migrate(db)
    } catch (error) {
      db.close()
      throw error
    }
    this.#db = db
    this.#insertWritten = db.prepare(
      `INSERT INTO runs (${RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (batch, id) DO UPDATE SET ${UPDATE_ALL}`
    )
    // When files are scanned, a run id can appear more than once (a re-run, a damaged copy): an intact
    // record beats a damaged one, and among intact ones the latest `ended` wins.
    this.#insertScanned = db.prepare(
      `INSERT INTO runs (${RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (batch, id) DO UPDATE SET ${UPDATE_ALL} ` +
        'WHERE runs.corrupt = 1 OR (excluded.corrupt = 0 AND excluded.ended >= runs.ended)'
    )
    this.#setFile = db.prepare(
      'INSERT INTO files (name, indexed_bytes, mtime_ms) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET indexed_bytes = excluded.indexed_bytes, mtime_ms = excluded.mtime_ms'
    )
    this.#hasFailures = db.prepare('SELECT 1 FROM failures WHERE batch = ? LIMIT 1').pluck()
    this.#deleteFailure = db.prepare('DELETE FROM failures WHERE batch = ? AND id = ?')
    this.#storedIds = db
      .prepare("SELECT code_hash, corrupt, group_concat(id, '') FROM runs WHERE batch = ? GROUP BY code_hash, corrupt")
      .raw()
    this.#has = db.prepare('SELECT 1 FROM runs WHERE batch = ? AND id = ?').pluck()
    this.#row = db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE batch = ? AND id = ?`)
  }

  /** Runs `work` in one transaction (rolled back if it throws). */
  transaction<T>(work: () => T): T {
    return this.#db.transaction(work)()
  }

  /** Records freshly written results (they replace any earlier record of the same run) and the files' new sizes. */
  addWritten(runs: IndexedRun[], files: { name: string; bytes: number; mtimeMs: number }[]): void {
    this.transaction(() => {
      const batchesWithFailures = new Set<string>()
      const checked = new Set<string>()
      for (const run of runs) {
        insert(this.#insertWritten, run)
        if (!checked.has(run.batch)) {
          checked.add(run.batch)
          if (this.#hasFailures.get(run.batch)) batchesWithFailures.add(run.batch)
        }
        if (batchesWithFailures.has(run.batch)) this.#deleteFailure.run(run.batch, run.id)
      }
      for (const file of files) this.#setFile.run(file.name, file.bytes, file.mtimeMs)
    })
  }

  /** Records a run found while scanning files (call inside a transaction for speed). */
  addScanned(run: IndexedRun): void {
    insert(this.#insertScanned, run)
  }

  setFileState(name: string, state: IndexedFileState): void {
    this.#setFile.run(name, state.bytes, state.mtimeMs)
  }

  fileStates(): Map<string, IndexedFileState> {
    const rows = this.#db.prepare('SELECT name, indexed_bytes, mtime_ms FROM files').raw().all() as [string, number, number][]
    return new Map(rows.map(([name, bytes, mtimeMs]) => [name, { bytes, mtimeMs }]))
  }

  /** Forgets a file and every run the index found in it. */
  forgetFile(name: string): void {
    this.#db.prepare('DELETE FROM runs WHERE file = ?').run(name)
    this.#db.prepare('DELETE FROM files WHERE name = ?').run(name)
  }

  /** Forgets every run and file (failures and code versions stay). */
  forgetAllRuns(): void {
    this.#db.exec('DELETE FROM runs; DELETE FROM files;')
  }

  storedIds(batch: string): Map<string, StoredIdInfo> {
    const out = new Map<string, StoredIdInfo>()
    for (const [codeHash, corrupt, ids] of this.#storedIds.all(batch) as [string, number, string][]) {
      const info: StoredIdInfo = Object.freeze({ codeHash, corrupt: corrupt === 1 })
      for (let at = 0; at < ids.length; at += 40) out.set(ids.slice(at, at + 40), info)
    }
    return out
  }

  has(batch: string, id: string): boolean {
    return this.#has.get(batch, id) !== undefined
  }

  run(batch: string, id: string): IndexedRun | undefined {
    const row = this.#row.get(batch, id) as RunRow | undefined
    return row && indexedRunOfRow(row)
  }

  runs(batch: string): IndexedRun[] {
    const rows = this.#db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE batch = ? ORDER BY started, id`).all(batch) as RunRow[]
    return rows.map(indexedRunOfRow)
  }

  /** Every run's identity and place on disk (for verify). */
  placements(): { batch: string; id: string; file: string; offset: number; corrupt: boolean }[] {
    const rows = this.#db.prepare('SELECT batch, id, file, frame_offset, corrupt FROM runs').raw().all() as [string, string, string, number, number][]
    return rows.map(([batch, id, file, offset, corrupt]) => ({ batch, id, file, offset, corrupt: corrupt === 1 }))
  }

  markCorrupt(batch: string, id: string): void {
    this.#db.prepare('UPDATE runs SET corrupt = 1 WHERE batch = ? AND id = ?').run(batch, id)
  }

  batches(): string[] {
    return this.#db.prepare('SELECT DISTINCT batch FROM runs ORDER BY batch').pluck().all() as string[]
  }

  recordFailures(batch: string, failures: FailureInfo[]): void {
    const statement = this.#db.prepare(
      'INSERT INTO failures (batch, id, kind, message, stack, log, at) VALUES (?, ?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT (batch, id) DO UPDATE SET kind = excluded.kind, message = excluded.message, stack = excluded.stack, log = excluded.log, at = excluded.at'
    )
    this.transaction(() => {
      for (const f of failures) statement.run(batch, f.id, f.kind, f.message, f.stack ?? null, f.log ?? null, Math.round(f.at))
    })
  }

  failures(batch: string): Map<string, FailureInfo> {
    const rows = this.#db.prepare('SELECT id, kind, message, stack, log, at FROM failures WHERE batch = ?').all(batch) as {
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
      for (const id of ids) this.#deleteFailure.run(batch, id)
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
    return this.#db.prepare('SELECT seen_at FROM code_versions WHERE batch = ? AND code_hash = ?').pluck().get(batch, codeHash) as
      | number
      | undefined
  }

  /** The schema as SQLite stores it (for the migration snapshot test). */
  schemaSql(): string {
    const rows = this.#db.prepare("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type DESC, name").pluck().all() as string[]
    return rows.map((sql) => sql.trim() + ';').join('\n') + '\n'
  }

  close(): void {
    this.#db.close()
  }
}

function insert(statement: Database.Statement, run: IndexedRun): void {
  statement.run(
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
    run.corrupt ? 1 : 0,
    run.parametersJson,
    run.scalarsJson,
    run.originJson
  )
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
