/**
 * Record bodies: the JSON object inside a frame. Written by string concatenation so the already encoded
 * parameters and result are never parsed or stringified again on the hot path.
 */
import { decodeResult, MAX_SCALAR_STRING } from './codec'
import { StoreFormatError } from './errors'
import type { NewResult, ResultOrigin, StoredResult } from './result-types'

export const RECORD_FORMAT = 1
const BATCH_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
const RUN_ID = /^[0-9a-f]{40}$/

/** The index's view of a record: everything but the log and the result itself. */
export interface IndexedRun {
  batch: string
  id: string
  runClass: string
  codeHash: string
  runtime: number
  started: number
  ended: number
  host: string
  /** File name inside the result folder. */
  file: string
  offset: number
  length: number
  corrupt: boolean
  parametersJson: string
  scalarsJson: string
  originJson: string | null
}

/** True for names the store accepts as batch names (the same rule the batch layer enforces). */
export function isBatchName(name: string): boolean {
  return BATCH_NAME.test(name)
}

/** True for 40-character lowercase hex run ids. */
export function isRunId(id: string): boolean {
  return RUN_ID.test(id)
}

function invalid(result: NewResult, field: string, expected: string): never {
  const who = typeof result.id === 'string' ? `run ${result.id}` : 'a run'
  throw new TypeError(
    `Cannot store ${who} of batch ${JSON.stringify(result.batch)}: ${field} must be ${expected}`
  )
}

/**
 * Checks a result's fields cheaply (no JSON parsing) and rounds the times to whole milliseconds.
 * @throws TypeError naming the run and the field that is wrong.
 */
export function validateNewResult(result: NewResult): void {
  if (typeof result.batch !== 'string' || !BATCH_NAME.test(result.batch))
    invalid(result, 'batch', 'a batch name (letters, digits, _ . -, up to 64)')
  if (typeof result.id !== 'string' || !RUN_ID.test(result.id))
    invalid(result, 'id', '40 lowercase hex characters')
  if (typeof result.runClass !== 'string') invalid(result, 'runClass', 'a string')
  if (typeof result.codeHash !== 'string') invalid(result, 'codeHash', 'a string')
  if (typeof result.host !== 'string') invalid(result, 'host', 'a string')
  if (typeof result.log !== 'string') invalid(result, 'log', 'a string')
  if (typeof result.runtime !== 'number' || !Number.isFinite(result.runtime))
    invalid(result, 'runtime', 'a finite number of seconds')
  if (!Number.isFinite(result.started)) invalid(result, 'started', 'epoch milliseconds')
  if (!Number.isFinite(result.ended)) invalid(result, 'ended', 'epoch milliseconds')
  if (typeof result.parametersJson !== 'string' || result.parametersJson[0] !== '{')
    invalid(result, 'parametersJson', 'a JSON object')
  if (typeof result.scalarsJson !== 'string' || result.scalarsJson[0] !== '{')
    invalid(result, 'scalarsJson', 'a JSON object')
  if (typeof result.resultJson !== 'string' || result.resultJson.length === 0)
    invalid(result, 'resultJson', 'JSON text')
}

/** The record body for `result` (see docs/result-format.md); call validateNewResult first. */
export function recordBody(result: NewResult): string {
  return (
    '{"format":1,"batch":"' +
    result.batch +
    '","id":"' +
    result.id +
    '","runClass":' +
    JSON.stringify(result.runClass) +
    ',"codeHash":' +
    JSON.stringify(result.codeHash) +
    ',"parameters":' +
    result.parametersJson +
    ',"runtime":' +
    result.runtime +
    ',"started":"' +
    new Date(Math.round(result.started)).toISOString() +
    '","ended":"' +
    new Date(Math.round(result.ended)).toISOString() +
    '","host":' +
    JSON.stringify(result.host) +
    ',"log":' +
    JSON.stringify(result.log) +
    ',"logTruncated":' +
    (result.logTruncated === true) +
    ',"origin":' +
    (result.origin ? JSON.stringify(result.origin) : 'null') +
    ',"result":' +
    result.resultJson +
    '}'
  )
}

/** The index row for a result being written to `file` at `offset`. */
export function indexedRunOfNewResult(
  result: NewResult,
  file: string,
  offset: number,
  length: number
): IndexedRun {
  return {
    batch: result.batch,
    id: result.id,
    runClass: result.runClass,
    codeHash: result.codeHash,
    runtime: result.runtime,
    started: Math.round(result.started),
    ended: Math.round(result.ended),
    host: result.host,
    file,
    offset,
    length,
    corrupt: false,
    parametersJson: result.parametersJson,
    scalarsJson: result.scalarsJson,
    originJson: result.origin ? JSON.stringify(result.origin) : null
  }
}

/** An index row for a damaged record: only its identity and place are known. */
export function corruptIndexedRun(
  batch: string,
  id: string,
  file: string,
  offset: number,
  length: number
): IndexedRun {
  return {
    batch,
    id,
    runClass: '',
    codeHash: '',
    runtime: 0,
    started: 0,
    ended: 0,
    host: '',
    file,
    offset,
    length,
    corrupt: true,
    parametersJson: '{}',
    scalarsJson: '{}',
    originJson: null
  }
}

interface ParsedRecord {
  format: number
  batch: string
  id: string
  runClass: string
  codeHash: string
  parameters: Record<string, unknown>
  runtime: number
  started: string
  ended: string
  host: string
  log: string
  logTruncated: boolean
  origin: ResultOrigin | null
  result: unknown
}

/**
 * Parses and checks a record body.
 * @throws StoreFormatError (naming file and offset) for invalid JSON, another format version or missing fields.
 */
export function parseRecordBody(body: Buffer, file: string, offset: number): ParsedRecord {
  let record: ParsedRecord
  try {
    record = JSON.parse(body.toString('utf8'))
  } catch (error) {
    throw new StoreFormatError(file, offset, `the record is not valid JSON (${(error as Error).message})`)
  }
  if (record === null || typeof record !== 'object')
    throw new StoreFormatError(file, offset, 'the record is not a JSON object')
  if (record.format !== RECORD_FORMAT) {
    throw new StoreFormatError(
      file,
      offset,
      `record format ${JSON.stringify(record.format)} is not supported (expected ${RECORD_FORMAT}; written by a newer Batchdesk?)`
    )
  }
  const problem =
    (typeof record.batch !== 'string' || !BATCH_NAME.test(record.batch) ? 'batch' : undefined) ??
    (typeof record.id !== 'string' || !RUN_ID.test(record.id) ? 'id' : undefined) ??
    (typeof record.runClass !== 'string' ? 'runClass' : undefined) ??
    (typeof record.codeHash !== 'string' ? 'codeHash' : undefined) ??
    (record.parameters === null || typeof record.parameters !== 'object' || Array.isArray(record.parameters)
      ? 'parameters'
      : undefined) ??
    (typeof record.runtime !== 'number' ? 'runtime' : undefined) ??
    (Number.isNaN(Date.parse(record.started)) ? 'started' : undefined) ??
    (Number.isNaN(Date.parse(record.ended)) ? 'ended' : undefined) ??
    (typeof record.host !== 'string' ? 'host' : undefined) ??
    (typeof record.log !== 'string' ? 'log' : undefined) ??
    (!('result' in record) ? 'result' : undefined)
  if (problem)
    throw new StoreFormatError(file, offset, `the record's "${problem}" field is missing or invalid`)
  return record
}

/** The index row for a parsed record (used when indexing files that are already on disk). */
export function indexedRunOfRecord(
  record: ParsedRecord,
  file: string,
  offset: number,
  length: number
): IndexedRun {
  return {
    batch: record.batch,
    id: record.id,
    runClass: record.runClass,
    codeHash: record.codeHash,
    runtime: record.runtime,
    started: Date.parse(record.started),
    ended: Date.parse(record.ended),
    host: record.host,
    file,
    offset,
    length,
    corrupt: false,
    parametersJson: JSON.stringify(record.parameters),
    scalarsJson: JSON.stringify(scalarsOfEncodedResult(record.result)),
    originJson: record.origin ? JSON.stringify(record.origin) : null
  }
}

/** Decodes a parsed record into what `ResultStore.read` returns. */
export function storedResultOfRecord(
  record: ParsedRecord,
  row: IndexedRun,
  absoluteFile: string
): StoredResult {
  const stored: StoredResult = {
    batch: record.batch,
    id: record.id,
    runClass: record.runClass,
    codeHash: record.codeHash,
    runtime: record.runtime,
    started: Date.parse(record.started),
    ended: Date.parse(record.ended),
    host: record.host,
    corrupt: false,
    file: absoluteFile,
    scalars: JSON.parse(row.scalarsJson),
    parameters: decodeResult(record.parameters) as Record<string, unknown>,
    result: decodeResult(record.result),
    log: record.log,
    logTruncated: record.logTruncated === true
  }
  if (record.origin) stored.origin = record.origin
  return stored
}

/**
 * The same fields `scalarFields(result)` gives for the original value, computed from its encoded form
 * without decoding large values (tagged values are objects, except `-0`, which the encoder tags).
 */
export function scalarsOfEncodedResult(encoded: unknown): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {}
  if (encoded === null || typeof encoded !== 'object' || Array.isArray(encoded)) return out
  let fields = encoded as Record<string, unknown>
  const tag = fields.$bd
  if (tag === 'object') fields = fields.value as Record<string, unknown>
  else if (tag !== undefined) return out
  for (const key of Object.keys(fields)) {
    const value = fields[key]
    if (
      (typeof value === 'number' && Number.isFinite(value)) ||
      (typeof value === 'string' && value.length <= MAX_SCALAR_STRING) ||
      typeof value === 'boolean'
    )
      out[key] = value
    else if (value !== null && typeof value === 'object' && (value as Record<string, unknown>).$bd === '-0')
      out[key] = -0
  }
  return out
}
