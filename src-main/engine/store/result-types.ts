/** Data the result store takes and gives; see docs/result-format.md for how records look on disk. */

/** Where an imported result came from (a result pack); absent for results computed here. */
export interface ResultOrigin {
  pack?: string
  author?: string
  importedAt?: string
}

/** One computed result to store. The JSON strings arrive already encoded (`encodeToJson`), usually by a worker. */
export interface NewResult {
  batch: string
  /** 40 lowercase hex characters (SHA-1 of the canonical parameters). */
  id: string
  runClass: string
  codeHash: string
  /** `encodeToJson(parameters)`: a JSON object. */
  parametersJson: string
  /** Seconds spent in run(). */
  runtime: number
  /** Epoch milliseconds (stored with millisecond precision). */
  started: number
  ended: number
  host: string
  log: string
  logTruncated: boolean
  /** `encodeToJson(result)`. */
  resultJson: string
  /** JSON object of the result's top-level scalar fields (`scalarFields`), for the index and the run table. */
  scalarsJson: string
  origin?: ResultOrigin
}

/** What the index knows about a stored run, without reading its record. */
export interface StoredRunMeta {
  batch: string
  id: string
  runClass: string
  codeHash: string
  runtime: number
  started: number
  ended: number
  host: string
  /** True when the record failed its checksum (or could not be read); run it again to replace it. */
  corrupt: boolean
  /** Absolute path of the file holding the record (a segment `.bdseg` or a `.bdr`). */
  file: string
  scalars: Record<string, unknown>
  origin?: ResultOrigin
  /** Decoded parameters. */
  parameters: Record<string, unknown>
}

/** A stored run with its decoded result, read from disk and checksum-verified. */
export interface StoredResult extends StoredRunMeta {
  result: unknown
  log: string
  logTruncated: boolean
}

/** Why a run failed, kept in the index so the UI can show it after a restart. */
export interface FailureInfo {
  id: string
  kind: string
  message: string
  stack?: string
  log?: string
  /** Epoch milliseconds. */
  at: number
}

/** A record that failed its checksum or framing. `batch`/`id` are given when they could still be read. */
export interface CorruptRecordReport {
  file: string
  offset: number
  length: number
  batch?: string
  id?: string
  reason: string
}

/** What `ResultStore.verify()` found; it changes nothing. */
export interface VerifyReport {
  /** Result files read (segments and `.bdr` files). */
  files: number
  /** Records whose checksum and format were fine. */
  validRecords: number
  corrupt: CorruptRecordReport[]
  /** Files that could not be opened or read, or hold records in an unknown format. */
  unreadable: { file: string; reason: string }[]
  /** Index rows whose record is not where the index says (file gone or changed): rebuild the index. */
  missing: { batch: string; id: string; file: string }[]
}
