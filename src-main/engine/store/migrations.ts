/**
 * Schema migrations of the run index, applied in order; `PRAGMA user_version` holds the last one applied.
 * Never edit a released migration: append a new one (and update test/engine/store/schema.snapshot.sql).
 */
import type Database from 'better-sqlite3'

export interface Migration {
  version: number
  description: string
  sql: string
}

// Layout chosen for write speed: run ids are random, and every random-keyed B-tree costs about one dirty
// page per inserted run at each commit. So the wide rows go into `runs` in append order (cheap), and the
// only random-keyed tree is the narrow `run_keys`, which also answers storedIds() in one pass.
export const migrations: readonly Migration[] = [
  {
    version: 1,
    description: 'runs, indexed files, failures and code versions',
    sql: `
      CREATE TABLE code_hashes (
        code_no INTEGER PRIMARY KEY,
        code_hash TEXT NOT NULL UNIQUE
      );
      CREATE TABLE runs (
        row INTEGER PRIMARY KEY,
        batch TEXT NOT NULL,
        id TEXT NOT NULL,
        run_class TEXT NOT NULL,
        code_hash TEXT NOT NULL,
        runtime REAL NOT NULL,
        started INTEGER NOT NULL,
        ended INTEGER NOT NULL,
        host TEXT NOT NULL,
        file TEXT NOT NULL,
        frame_offset INTEGER NOT NULL,
        frame_length INTEGER NOT NULL,
        parameters TEXT NOT NULL,
        scalars TEXT NOT NULL,
        origin TEXT
      );
      CREATE TABLE run_keys (
        batch TEXT NOT NULL,
        id TEXT NOT NULL,
        code_no INTEGER NOT NULL,
        corrupt INTEGER NOT NULL,
        row INTEGER NOT NULL,
        PRIMARY KEY (batch, id)
      ) WITHOUT ROWID;
      CREATE TABLE files (
        name TEXT PRIMARY KEY,
        indexed_bytes INTEGER NOT NULL,
        mtime_ms REAL NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE failures (
        batch TEXT NOT NULL,
        id TEXT NOT NULL,
        kind TEXT NOT NULL,
        message TEXT NOT NULL,
        stack TEXT,
        log TEXT,
        at INTEGER NOT NULL,
        PRIMARY KEY (batch, id)
      ) WITHOUT ROWID;
      CREATE TABLE code_versions (
        batch TEXT NOT NULL,
        code_hash TEXT NOT NULL,
        seen_at INTEGER NOT NULL,
        PRIMARY KEY (batch, code_hash)
      ) WITHOUT ROWID;
    `
  },
  {
    version: 2,
    description: 'ids of large designs, so reopening a million-run design does not hash every run again',
    sql: `
      CREATE TABLE design_ids (
        batch TEXT NOT NULL,
        digest TEXT NOT NULL,
        ids TEXT NOT NULL,
        used_at INTEGER NOT NULL,
        PRIMARY KEY (batch, digest)
      ) WITHOUT ROWID;
    `
  },
  {
    version: 3,
    description: 'find imported results of a batch without scanning every run',
    sql: `
      CREATE INDEX runs_imported ON runs (batch) WHERE origin IS NOT NULL;
    `
  }
]

/** The schema version this build writes. */
export const latestSchemaVersion = migrations[migrations.length - 1].version

/** The index was written by a newer Batchdesk; it is set aside and rebuilt rather than misread. */
export class IndexTooNewError extends Error {
  constructor(readonly version: number) {
    super(
      `the run index has schema version ${version}, newer than the ${latestSchemaVersion} this Batchdesk knows`
    )
    this.name = 'IndexTooNewError'
  }
}

/**
 * Brings `db` to the latest schema, one transaction per migration.
 * @throws IndexTooNewError when the database is ahead of this build.
 */
export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number
  if (current > latestSchemaVersion) throw new IndexTooNewError(current)
  for (const migration of migrations) {
    if (migration.version <= current) continue
    db.transaction(() => {
      db.exec(dedent(migration.sql))
      db.pragma(`user_version = ${migration.version}`)
    })()
  }
}

// SQLite keeps each CREATE statement's text as written; without the source indentation it reads well in
// the schema snapshot and in database tools.
function dedent(sql: string): string {
  const lines = sql.replace(/^\n+|\s+$/g, '').split('\n')
  const indent = Math.min(
    ...lines.filter((line) => line.trim() !== '').map((line) => line.length - line.trimStart().length)
  )
  return lines.map((line) => line.slice(indent)).join('\n')
}
