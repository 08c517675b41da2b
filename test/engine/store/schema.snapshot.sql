CREATE TABLE code_hashes (
  code_no INTEGER PRIMARY KEY,
  code_hash TEXT NOT NULL UNIQUE
);
CREATE TABLE code_versions (
  batch TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  seen_at INTEGER NOT NULL,
  PRIMARY KEY (batch, code_hash)
) WITHOUT ROWID;
CREATE TABLE design_ids (
  batch TEXT NOT NULL,
  digest TEXT NOT NULL,
  ids TEXT NOT NULL,
  used_at INTEGER NOT NULL,
  PRIMARY KEY (batch, digest)
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
CREATE TABLE files (
  name TEXT PRIMARY KEY,
  indexed_bytes INTEGER NOT NULL,
  mtime_ms REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE run_keys (
  batch TEXT NOT NULL,
  id TEXT NOT NULL,
  code_no INTEGER NOT NULL,
  corrupt INTEGER NOT NULL,
  row INTEGER NOT NULL,
  PRIMARY KEY (batch, id)
) WITHOUT ROWID;
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
CREATE INDEX runs_imported ON runs (batch) WHERE origin IS NOT NULL;
