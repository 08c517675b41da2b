/**
 * Checks one record body taken from a pack against what manifest.json says about it: its bytes hash to the
 * listed sha256, it is a well-formed record of that batch and id, and the id is recomputed from the
 * parameters with Batchdesk's canonical encoding. Nothing a pack says is believed without this.
 */
import { createHash } from 'node:crypto'
import { z } from 'zod'
import { runId } from '../params/canonical'
import { decodeResult } from '../store/codec'
import { RECORD_FORMAT, scalarsOfEncodedResult } from '../store/record'
import type { NewResult } from '../store/result-types'
import { RunRejection } from './errors'
import type { PackLimits, PackRun } from './format'
import { parseUntrustedJson, UnsafeJsonError } from './safe-json'

/** A record that passed every check, ready to become a NewResult (the origin is added by the importer). */
export interface VerifiedRecord extends Omit<NewResult, 'origin'> {
  /** sha256 of the record body, as listed in manifest.json. */
  sha256: string
  /** sha256 of `resultJson`: what "the same content" means when the run is already stored. */
  resultSha256: string
  /** The id batchpy gave the run (legacy imports only). */
  legacyId?: string
}

const recordSchema = z.strictObject({
  format: z.literal(RECORD_FORMAT),
  batch: z.string(),
  id: z.string(),
  runClass: z.string().max(200),
  codeHash: z.string().max(200),
  parameters: z.record(z.string(), z.unknown()),
  runtime: z.number().min(0),
  started: z.iso.datetime(),
  ended: z.iso.datetime(),
  host: z.string().max(1000),
  log: z.string(),
  logTruncated: z.boolean(),
  origin: z.record(z.string(), z.unknown()).nullable(),
  result: z.unknown()
})

/** sha256 hex of bytes or a string (UTF-8). */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex')
}

/**
 * Verifies one record body.
 * @throws RunRejection with the reason, written to follow "run <id> of batch <batch> was rejected: ".
 */
export function verifyRecord(run: PackRun, body: Buffer, limits: PackLimits): VerifiedRecord {
  const sha256 = sha256Hex(body)
  if (sha256 !== run.sha256)
    throw new RunRejection(
      'its content does not match the sha256 in manifest.json (the pack was altered or damaged)'
    )
  let parsed: unknown
  try {
    parsed = parseUntrustedJson(body, limits.maxRecordDepth)
  } catch (error) {
    if (error instanceof UnsafeJsonError) throw new RunRejection(`its record ${error.message}`)
    throw error
  }
  const checked = recordSchema.safeParse(parsed)
  if (!checked.success) {
    const issue = checked.error.issues[0]
    throw new RunRejection(
      `its record is malformed: ${issue.path.join('.') || '(top level)'}: ${issue.message}`
    )
  }
  const raw = parsed as Record<string, unknown>
  if (!Object.hasOwn(raw, 'result')) throw new RunRejection('its record has no "result"')
  const record = checked.data
  if (record.batch !== run.batch || record.id !== run.id) {
    throw new RunRejection(
      `the record at its place belongs to run ${String(record.id).slice(0, 40)} of batch ${JSON.stringify(String(record.batch).slice(0, 64))}`
    )
  }
  const recomputed = idOfEncodedParameters(raw.parameters, 'its parameters')
  if (recomputed !== run.id) {
    throw new RunRejection(
      `its id does not match its parameters (they give ${recomputed}); ids made by a custom generateId cannot be verified and are not imported`
    )
  }
  if (idOfEncodedParameters(run.parameters, 'the parameters manifest.json lists') !== run.id) {
    throw new RunRejection('the parameters manifest.json lists for it do not give its id')
  }
  try {
    decodeResult(raw.result)
  } catch (error) {
    throw new RunRejection(`its result cannot be read (${(error as Error).message})`)
  }
  const resultJson = JSON.stringify(raw.result)
  return {
    batch: record.batch,
    id: record.id,
    runClass: record.runClass,
    codeHash: record.codeHash,
    parametersJson: JSON.stringify(raw.parameters),
    runtime: record.runtime,
    started: Date.parse(record.started),
    ended: Date.parse(record.ended),
    host: record.host,
    log: record.log,
    logTruncated: record.logTruncated,
    resultJson,
    scalarsJson: JSON.stringify(scalarsOfEncodedResult(raw.result)),
    sha256,
    resultSha256: sha256Hex(resultJson)
  }
}

function idOfEncodedParameters(encoded: unknown, what: string): string {
  let decoded: unknown
  try {
    decoded = decodeResult(encoded)
  } catch (error) {
    throw new RunRejection(`${what} cannot be read (${(error as Error).message})`)
  }
  if (
    decoded === null ||
    typeof decoded !== 'object' ||
    Object.getPrototypeOf(decoded) !== Object.prototype
  ) {
    throw new RunRejection(`${what} are not an object of named values`)
  }
  try {
    return runId(decoded as Record<string, unknown>)
  } catch (error) {
    throw new RunRejection(`${what} have no canonical encoding (${(error as Error).message})`)
  }
}
