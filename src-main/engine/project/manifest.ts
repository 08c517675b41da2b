import { z } from 'zod'

/** The manifest file at the root of every project folder. */
export const MANIFEST_FILE = 'batchdesk.json'
/** Format version written by this Batchdesk; older versions are migrated on load. */
export const MANIFEST_FORMAT = 1

const jsonValue: z.ZodType<unknown> = z.unknown()

const batchName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'use 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit')

const parameterName = z.string().regex(/^[A-Za-z_$][A-Za-z0-9_$]*$/, 'a parameter name is an identifier such as A or max_speed')

const singleDesign = z.object({
  kind: z.literal('run'),
  parameters: z.record(parameterName, jsonValue).default({}),
  label: z.string().max(200).optional()
})

const factorialDesign = z.object({
  kind: z.literal('factorial'),
  grid: z.record(parameterName, jsonValue),
  label: z.string().max(200).optional()
})

export const designSchema = z.discriminatedUnion('kind', [singleDesign, factorialDesign])

export const batchSchema = z.object({
  name: batchName,
  runClass: z
    .string()
    .min(1)
    .refine((p) => !p.includes('..') && !/^([/\\]|[A-Za-z]:)/.test(p), 'the run class file must be inside the project folder (a relative path)')
    .refine((p) => /\.(ts|js|mts|mjs)$/.test(p), 'the run class file must end in .ts or .js'),
  designs: z.array(designSchema).default([]),
  description: z.string().max(10_000).optional(),
  /**
   * Set for a batch made by importing results (a result pack or batchpy files): its runs are the stored
   * results, and its run class file is reference code that is never loaded or run.
   */
  imported: z
    .object({
      /** The pack file name or batchpy folder the results came from. */
      source: z.string().max(1000),
      author: z.string().max(200).optional(),
      importedAt: z.string().max(40)
    })
    .optional()
})

export const settingsSchema = z
  .object({
    processes: z.number().int().min(1).max(256).optional(),
    timeoutSeconds: z.number().positive().optional(),
    author: z.string().max(200).optional(),
    /** Send runs to `batchdesk worker` processes through this Redis (redis:// or rediss://) instead of computing them here. */
    redis: z
      .string()
      .max(2000)
      .regex(/^rediss?:\/\/./, 'a Redis URL such as redis://host:6379 (rediss:// for TLS)')
      .optional()
  })
  .default({})

export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  name: z.string().min(1).max(200),
  description: z.string().max(10_000).optional(),
  batches: z.array(batchSchema).default([]),
  settings: settingsSchema
})

export type Design = z.infer<typeof designSchema>
export type BatchManifest = z.infer<typeof batchSchema>
export type ImportedFrom = NonNullable<BatchManifest['imported']>
export type Manifest = z.infer<typeof manifestSchema>

/** Thrown when a manifest cannot be read; the message names the file, the line or key, and what was expected. */
export class ManifestError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ManifestError'
  }
}

/**
 * Parses manifest text. Migrates older formats; rejects newer ones with a clear message.
 * @param fileLabel how to name the file in errors.
 */
export function parseManifest(text: string, fileLabel: string): Manifest {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (error) {
    throw new ManifestError(`${fileLabel}${jsonErrorPlace(text, error)}: this is not valid JSON (${(error as Error).message})`)
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ManifestError(`${fileLabel}: expected a JSON object with "format", "name" and "batches"`)
  }
  const format = (raw as { format?: unknown }).format
  if (typeof format === 'number' && format > MANIFEST_FORMAT) {
    throw new ManifestError(`${fileLabel}: written by a newer Batchdesk (format ${format}; this one reads up to ${MANIFEST_FORMAT}). Update Batchdesk to open it`)
  }
  const parsed = manifestSchema.safeParse(migrate(raw as Record<string, unknown>))
  if (!parsed.success) {
    const lines = parsed.error.issues.slice(0, 5).map((issue) => `  ${formatPath(issue.path)}: ${issue.message}`)
    throw new ManifestError(`${fileLabel} has ${parsed.error.issues.length} problem${parsed.error.issues.length > 1 ? 's' : ''}:\n${lines.join('\n')}`)
  }
  const names = new Set<string>()
  for (const [i, batch] of parsed.data.batches.entries()) {
    if (names.has(batch.name)) throw new ManifestError(`${fileLabel}: batches[${i}].name: the batch name '${batch.name}' is used twice`)
    names.add(batch.name)
  }
  return parsed.data
}

/** Formats a manifest for writing: stable key order, two-space indent, trailing newline. */
export function formatManifest(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`
}

/** Ordered migrations from format N to N+1 (none yet: format 1 is the first). */
const migrations: ((raw: Record<string, unknown>) => Record<string, unknown>)[] = []

function migrate(raw: Record<string, unknown>): Record<string, unknown> {
  let current = raw
  let format = typeof current.format === 'number' ? current.format : MANIFEST_FORMAT
  while (format < MANIFEST_FORMAT && migrations[format - 1]) current = { ...migrations[format - 1](current), format: ++format }
  return current
}

function formatPath(path: PropertyKey[]): string {
  if (path.length === 0) return '(top level)'
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i > 0 ? '.' : ''}${String(part)}`)).join('')
}

function jsonErrorPlace(text: string, error: unknown): string {
  const match = /position (\d+)/.exec(String((error as Error).message))
  if (!match) return ''
  const position = Number(match[1])
  const before = text.slice(0, position).split('\n')
  return `:${before.length}:${before[before.length - 1].length + 1}`
}
