/**
 * The result pack format (docs/packs.md): a zip holding `manifest.json`, record bodies grouped in
 * `results/<batch>/<nnnnnn>.jsonl` entries, and the run classes' source under `code/<batch>/<file>`.
 * Everything a reader trusts about entry names and manifest fields is defined here.
 */
import { z } from 'zod'

/** Written in `format` by this Batchdesk; a pack with a higher number is refused with a clear message. */
export const PACK_FORMAT = 1
/** `kind` of every pack manifest, so another JSON file is not mistaken for one. */
export const PACK_KIND = 'batchdesk-pack'
export const MANIFEST_ENTRY = 'manifest.json'
/** File name extension of packs. */
export const PACK_EXTENSION = '.bdpack'

/** A result group entry is closed once adding the next record would pass this size (uncompressed). */
export const GROUP_TARGET_BYTES = 1024 * 1024

const BATCH = '[A-Za-z0-9][A-Za-z0-9_.-]{0,63}'
const RESULT_ENTRY = new RegExp(`^results/(${BATCH})/([0-9]{6})\\.jsonl$`)
const CODE_ENTRY = new RegExp(`^code/(${BATCH})/([A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\\.(?:ts|js|mts|mjs))$`)
const CODE_FILE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\.(?:ts|js|mts|mjs)$/
const BATCH_NAME = new RegExp(`^${BATCH}$`)

/** Caps that keep a hostile pack from exhausting memory, disk or time. All sizes are uncompressed bytes. */
export interface PackLimits {
  /** Entries in the zip's central directory. */
  maxEntries: number
  /** One entry, uncompressed. */
  maxEntryBytes: number
  /** All entries together, uncompressed. */
  maxTotalBytes: number
  /** Uncompressed / compressed size of one entry larger than `ratioFloorBytes` (zip bombs). */
  maxCompressionRatio: number
  /** Entries up to this size are not ratio-checked: small text compresses very well and cannot hurt. */
  ratioFloorBytes: number
  maxManifestBytes: number
  /** Nesting of objects and arrays in manifest.json. */
  maxManifestDepth: number
  /** Nesting of objects and arrays in one record (parameters and result). */
  maxRecordDepth: number
  /** One reference source file under code/. */
  maxCodeFileBytes: number
}

export const DEFAULT_PACK_LIMITS: Readonly<PackLimits> = Object.freeze({
  maxEntries: 100_000,
  maxEntryBytes: 1024 * 1024 * 1024,
  maxTotalBytes: 32 * 1024 * 1024 * 1024,
  maxCompressionRatio: 200,
  ratioFloorBytes: 1024 * 1024,
  maxManifestBytes: 256 * 1024 * 1024,
  maxManifestDepth: 64,
  maxRecordDepth: 256,
  maxCodeFileBytes: 4 * 1024 * 1024
})

/** The caps to use: the defaults with any given overrides. */
export function packLimits(overrides: Partial<PackLimits> = {}): PackLimits {
  return { ...DEFAULT_PACK_LIMITS, ...overrides }
}

/** What an entry name is, or undefined when the name is not one a pack may hold. */
export type EntryKind =
  { kind: 'manifest' } | { kind: 'results'; batch: string } | { kind: 'code'; batch: string; file: string }

/** Classifies an entry name against the strict patterns; anything else (traversal, absolute, odd) is undefined. */
export function classifyEntryName(name: string): EntryKind | undefined {
  if (name === MANIFEST_ENTRY) return { kind: 'manifest' }
  let match = RESULT_ENTRY.exec(name)
  if (match) return { kind: 'results', batch: match[1] }
  match = CODE_ENTRY.exec(name)
  if (match) return { kind: 'code', batch: match[1], file: match[2] }
  return undefined
}

/** `results/<batch>/<nnnnnn>.jsonl` */
export function resultEntryName(batch: string, seq: number): string {
  return `results/${batch}/${String(seq).padStart(6, '0')}.jsonl`
}

/** `code/<batch>/<file>` */
export function codeEntryName(batch: string, file: string): string {
  return `code/${batch}/${file}`
}

/** True for a file name that may be used for a reference source file (no folders, a known extension). */
export function isCodeFileName(name: string): boolean {
  return CODE_FILE.test(name)
}

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 is 64 lowercase hex digits')
const batchName = z.string().regex(BATCH_NAME, 'a batch name is 1 to 64 letters, digits, "_", "." or "-"')
const byteCount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)

const codeFileSchema = z.strictObject({
  entry: z.string().max(200),
  file: z.string().regex(CODE_FILE, 'a source file name without folders, ending in .ts or .js'),
  bytes: byteCount,
  sha256: sha256Hex
})

const packBatchSchema = z.strictObject({
  name: batchName,
  /** Name of the run class that made most of the batch's runs (informational). */
  runClass: z.string().max(200),
  code: z.array(codeFileSchema).max(16)
})

const packRunSchema = z.strictObject({
  batch: batchName,
  id: z.string().regex(/^[0-9a-f]{40}$/, 'a run id is 40 lowercase hex digits'),
  runClass: z.string().max(200),
  codeHash: z.string().max(200),
  runtime: z.number(),
  /** Encoded parameters (store/codec.ts encodeParameterValue): plain JSON. */
  parameters: z.record(z.string(), z.unknown()),
  /** sha256 of the record body bytes `entry[offset, offset + length)`. */
  sha256: sha256Hex,
  entry: z.string().max(200),
  offset: byteCount,
  length: byteCount
})

export const packManifestSchema = z.strictObject({
  kind: z.literal(PACK_KIND),
  format: z.literal(PACK_FORMAT),
  app: z.strictObject({ name: z.string().max(100), version: z.string().max(100) }),
  createdAt: z.iso.datetime(),
  author: z.string().max(200).nullable(),
  project: z.string().max(200).nullable(),
  batches: z.array(packBatchSchema).max(10_000),
  runs: z.array(packRunSchema)
})

export type PackManifest = z.infer<typeof packManifestSchema>
export type PackRun = z.infer<typeof packRunSchema>
export type PackCodeFile = z.infer<typeof codeFileSchema>
