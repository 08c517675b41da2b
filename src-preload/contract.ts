/**
 * The contract between the renderer and the engine host (Electron main or the browser-mode server): every
 * call with its input schema and output type, every pushed event, and the error envelope.
 *
 * Environment-neutral on purpose (no Node, no DOM): the renderer, the preload, `src-main/ipc.ts` and
 * `src-main/server/` all import it. Channel names are derived from the keys (`'projects.open'`), never
 * typed by hand at call sites.
 *
 * Every call answers `{ ok: true, value }` or `{ ok: false, error: { code, message } }`; the message is
 * written for the user (what is wrong, what to do). Inputs are parsed with the schema below on the
 * receiving side, after a check that rejects prototype-polluting keys anywhere in the input.
 */
import { z } from 'zod'

// ---- envelope -------------------------------------------------------------------------------------------

export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'CONFLICT',
  'IO',
  'IN_USE',
  'CANCELLED',
  'INTERNAL'
] as const
/**
 * - INVALID_ARGUMENT: the input is malformed or names something impossible; fix the input.
 * - NOT_FOUND: the folder, batch, run or file does not exist.
 * - CONFLICT: the operation clashes with the current state (a batch is already running, a name is taken).
 * - IO: reading or writing files failed (disk full, permissions, lost connection).
 * - IN_USE: another Batchdesk holds the project's lock; open it read-only or close the other one.
 * - CANCELLED: the user cancelled; not a failure.
 * - INTERNAL: a bug; the message says what happened.
 */
export type ErrorCode = (typeof ERROR_CODES)[number]

export interface ApiError {
  code: ErrorCode
  message: string
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError }

// ---- shared value types ---------------------------------------------------------------------------------

export const RUN_STATUSES = ['pending', 'running', 'done', 'cached', 'failed', 'stale', 'corrupt'] as const
/** `cached`: stored before this session; `stale`: made by an older version of the run class. */
export type RunStatus = (typeof RUN_STATUSES)[number]
export type StatusCounts = Record<RunStatus, number>

/** A parameter or result value ready to show: numbers, strings and booleans as they are, anything else as text. */
export type DisplayValue = string | number | boolean | null

export interface ExampleInfo {
  id: string
  name: string
  description: string
}

export interface RecentProject {
  dir: string
  name: string
  /** Epoch milliseconds. */
  openedAt: number
}

export interface DesignSummary {
  kind: 'run' | 'factorial'
  label?: string
  /** Runs this design adds (a factorial design's product of axis lengths). */
  runs: number
  /** A factorial design's axes as saved, so the grid can load a copy (left out above 64 KB of JSON). */
  grid?: Record<string, unknown>
}

export type BatchState = 'idle' | 'running' | 'pausing' | 'paused' | 'cancelling'

export interface BatchSummary {
  name: string
  /** Run class file, relative to the project folder. */
  runClassFile: string
  runClassName: string | null
  /** Why the run class does not load (compile error with file:line:col), or null. */
  loadError: string | null
  parameterNames: string[]
  runs: number
  counts: StatusCounts
  designs: DesignSummary[]
  state: BatchState
  /** Set for a batch that holds imported results only (its code is kept for reference, never run). */
  imported?: ResultOriginInfo
}

/** Where imported results came from: the pack (or batchpy folder) name, its author, and when. */
export interface ResultOriginInfo {
  source: string
  author: string | null
  /** ISO date of the import. */
  importedAt: string
  /** ISO date the pack was made, when known. */
  packCreatedAt?: string
}

export interface ProjectSummary {
  dir: string
  name: string
  description: string
  readOnly: boolean
  batches: BatchSummary[]
  /** The Redis its runs are sent to (password hidden), or null: computed on this computer. */
  computeOn: string | null
}

/** Where a project's runs are computed: `redis` null means on this computer. */
export interface ComputeTarget {
  redis: string | null
}

/** `batchdesk worker` processes pulling from a Redis right now. */
export interface WorkerCensus {
  processes: number
  machines: number
}

export interface FolderEntry {
  name: string
  path: string
  isProject: boolean
}

export interface ParameterSummary {
  name: string
  /** JSON-safe default; a function default is `{ $fn: 'name' }`. */
  default: unknown
  /** The default as the editor would write it (`max`, `[1, 2, 3]`). */
  defaultText: string
  kind: 'number' | 'string' | 'boolean' | 'array' | 'object' | 'function' | 'null' | 'unknown'
  isPrivate: boolean
  unit?: string
  description?: string
}

export interface RunClassSummary {
  name: string
  parameters: ParameterSummary[]
  functionExports: string[]
  codeHash: string
}

/** A compile problem, 1-based line and column, in the run class file. */
export interface Diagnostic {
  file: string
  line: number
  column: number
  message: string
  severity: 'error' | 'warning'
}

export interface RunClassSource {
  batch: string
  /** Relative to the project folder. */
  file: string
  source: string
  info: RunClassSummary | null
  loadError: string | null
  diagnostics: Diagnostic[]
}

export interface RunError {
  kind: string
  message: string
  stack?: string
}

export interface TryOnceResult {
  ok: boolean
  /** The result, summarised (large arrays shortened), when ok. */
  result?: unknown
  runtime: number
  log: string
  error?: RunError
}

export interface DesignPreview {
  /** Runs the design describes (equal parameters counted once). */
  total: number
  alreadyStored: number
  new: number
  /** From the runtimes stored so far; null without any. */
  estimatedSeconds: number | null
}

export interface BatchProgress {
  batch: string
  state: BatchState
  /** Runs with an outcome in this execution, out of `total` to compute. */
  done: number
  total: number
  computed: number
  failed: number
  /** Runs already stored when the execution started (not part of total). */
  cached: number
  runsPerSecond: number
  etaSeconds: number | null
  elapsedSeconds: number
}

export interface RunRow {
  index: number
  id: string
  status: RunStatus
  parameters: Record<string, DisplayValue>
  /** Scalar result fields (numbers, strings, booleans); empty when not done. */
  results: Record<string, DisplayValue>
  /** Seconds, when stored. */
  runtime: number | null
  /** Set when the stored result was imported from a result pack. */
  origin?: ResultOriginInfo
}

export interface RunPage {
  /** Runs matching the conditions and status filter. */
  total: number
  columns: { parameters: string[]; results: string[] }
  rows: RunRow[]
}

export interface RunDetails {
  index: number
  id: string
  status: RunStatus
  runClass: string
  parameters: Record<string, DisplayValue>
  /** The full result, summarised: arrays longer than 1000 items are cut, with a note. */
  result: unknown
  runtime: number | null
  log: string | null
  error: RunError | null
  /** Absolute path of the stored result file. */
  filename: string | null
  /** Epoch ms since which the run class code differs from the code that made this result. */
  staleSince: number | null
  /** Set when the stored result was imported from a result pack. */
  origin?: ResultOriginInfo
}

/** A column for charts: numbers (null for missing/non-numeric) or strings. */
export interface ColumnData {
  field: FieldRef
  type: 'number' | 'string'
  values: (number | string | null)[]
}

export interface ArraySeries {
  index: number
  id: string
  /** Null when the run has no such array field (not done, or another shape). */
  values: number[] | null
}

/** One batch of a pack compared with the project it would be imported into. */
export interface PackBatchPreview {
  name: string
  /** Runs the pack lists for this batch (verified or not). */
  listed: number
  /** Verified runs the project does not have yet: these are imported. */
  new: number
  /** Verified runs the project already has with the same result: skipped. */
  present: number
  /** Verified runs the project has with a different result: never written over yours. */
  conflicting: number
  /** Runs that failed a check (listed in `rejected` with the reason): never imported. */
  rejected: number
  /** Whether the project has a batch of this name; importing adds the ones it lacks. */
  inProject: boolean
}

/** A run of a pack that is not imported as it is, and why. */
export interface PackRunNote {
  batch: string
  id: string
  reason: string
}

/** What a pack (or a batchpy result folder) holds and what importing it would do; nothing is written. */
export interface PackPreview {
  /** The absolute path read. */
  file: string
  /** The file or folder name, for titles. */
  fileName: string
  kind: 'pack' | 'legacy'
  format: number
  /** What wrote it: `batchdesk` and its version, or `batchpy`. */
  app: { name: string; version: string }
  /** ISO date the pack was made. */
  createdAt: string
  author: string | null
  /** The project it was exported from. */
  project: string | null
  batches: PackBatchPreview[]
  totals: { listed: number; new: number; present: number; conflicting: number; rejected: number }
  /** The first 500 conflicting runs (`totals.conflicting` counts all). */
  conflicts: PackRunNote[]
  /** The first 500 rejected runs (`totals.rejected` counts all). */
  rejected: PackRunNote[]
  /** Reference source of the run classes, viewable with `packs.code` (never run). */
  code: { batch: string; file: string; bytes: number }[]
  codeRejected: { batch: string; file: string; reason: string }[]
  /** Set when an earlier import into the project did not finish; importing that pack again completes it. */
  interruptedImport: { source: string; startedAt: string } | null
  /** The project the pack was compared with. */
  target: PackTargetInfo
}

/** Where an import goes: the open project, another project folder, or a new project. */
export interface PackTargetInfo {
  dir: string
  name: string
  /** True when importing creates this project. */
  create: boolean
}

/** What an import wrote. */
export interface PackImportSummary {
  preview: PackPreview
  /** Runs written. */
  imported: number
  /** Batches added to the project. */
  addedBatches: string[]
  /** With keep-both: where each batch's conflicting runs went. */
  keptBoth: { batch: string; into: string; runs: number }[]
  /** The project imported into (now the open project). */
  project: ProjectSummary
}

export interface PackExportSummary {
  /** The absolute path written. */
  file: string
  runs: number
  bytes: number
  batches: { name: string; runs: number }[]
  /** Stored runs left out because their record is damaged. */
  skipped: number
}

/** A folder or pack file listed by `packs.browse`. */
export interface PackBrowseEntry {
  name: string
  path: string
  kind: 'folder' | 'pack'
  /** Size in bytes (packs only). */
  bytes: number | null
  /** Epoch milliseconds of the last change (packs only). */
  modifiedAt: number | null
}

export interface Settings {
  theme: 'system' | 'light' | 'dark'
  author: string
  /** Worker processes for new executions; null: one per CPU core. */
  processes: number | null
}

export type OpenProjectResult =
  { kind: 'opened'; project: ProjectSummary } | { kind: 'notAProject'; dir: string }

// ---- input building blocks ------------------------------------------------------------------------------

/** Keys that would let input write to Object.prototype when merged into an object. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])
const MAX_DEPTH = 32

/**
 * Why a value cannot be accepted as input, or undefined when it can: a forbidden key anywhere, nesting
 * deeper than 32, or something that is not plain data.
 */
export function findUnsafeInput(value: unknown, depth = 0): string | undefined {
  if (value === null || typeof value !== 'object') return undefined
  if (depth >= MAX_DEPTH) return `input nests deeper than ${MAX_DEPTH} levels`
  const proto = Object.getPrototypeOf(value)
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null)
    return 'input must be plain data (objects, arrays, strings, numbers)'
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) return `the key "${key}" is not allowed in input`
    const problem = findUnsafeInput((value as Record<string, unknown>)[key], depth + 1)
    if (problem) return problem
  }
  return undefined
}

const text = (max: number) => z.string().max(max, `at most ${max} characters`)
const dirPath = z.string().min(1, 'give a folder').max(4096, 'at most 4096 characters')
const redisUrl = text(2000).regex(
  /^rediss?:\/\/./,
  'a Redis URL such as redis://host:6379 (rediss:// for TLS, redis://:password@host:6379 with a password)'
)
const batchName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
    'a batch name is 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit'
  )
const parameterName = z
  .string()
  .regex(/^[A-Za-z_$][A-Za-z0-9_$]{0,127}$/, 'a parameter name is an identifier such as A or max_speed')
/** Run class source: generous, but bounded. */
const source = text(1_000_000)
/** Any JSON value (checked for forbidden keys and depth before parsing). */
const jsonValue = z.unknown()
const conditions = z.array(text(1000)).max(50, 'at most 50 conditions')
const runIndex = z.number().int().min(0).max(100_000_000)

const designSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('run'),
    parameters: z.record(parameterName, jsonValue).default({}),
    label: text(200).optional()
  }),
  z.strictObject({
    kind: z.literal('factorial'),
    grid: z.record(parameterName, jsonValue),
    label: text(200).optional()
  })
])
/** A design as stored in the manifest; grids take lists or `{ $range | $linspace | $logspace: [a, b, n] }`. */
export type DesignInput = z.infer<typeof designSchema>

const fieldRef = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('parameter'), name: parameterName }),
  z.strictObject({ kind: z.literal('result'), name: text(200) }),
  z.strictObject({ kind: z.literal('runtime') }),
  z.strictObject({ kind: z.literal('status') }),
  z.strictObject({ kind: z.literal('index') })
])
/** A column for charts and tables: a parameter, a top-level result field, the runtime, the status or the index. */
export type FieldRef = z.infer<typeof fieldRef>

const none = z.strictObject({}).optional()

/** Largest file a pack upload may carry (browser-mode drag and drop). */
export const MAX_UPLOAD_BYTES = 2 * 1024 * 1024 * 1024
/** Bytes per upload chunk: one WebSocket message stays well under its 8 MiB cap once in base64. */
export const UPLOAD_CHUNK_BYTES = 4 * 1024 * 1024
/**
 * A full path (relative paths would resolve against wherever the host was started, which the user
 * cannot see). Accepts `/x`, `C:\x`, `C:/x` and `\\server\x`.
 */
const absoluteFile = z
  .string()
  .min(1, 'give the full path')
  .max(4096, 'at most 4096 characters')
  .refine((value) => !value.includes('\0'), 'a path cannot contain a NUL character')
  .refine(
    (value) => /^(\/|[A-Za-z]:[\\/]|\\\\)/.test(value),
    'give the full path, starting with / (or a drive letter on Windows)'
  )
/** Where an import goes when it is not the open project: an existing project folder, or a new one. */
const packTarget = z
  .strictObject({ dir: absoluteFile, create: z.boolean(), name: text(200).min(1).optional() })
  .optional()
const conflictPolicy = z.enum(['keep-mine', 'keep-both']).default('keep-mine')
const uploadId = z.string().regex(/^[0-9a-f]{32}$/, 'an upload id is 32 hex digits')

// ---- calls ----------------------------------------------------------------------------------------------

/** A call: its input schema, and its output type carried as a phantom (never a value at run time). */
export interface CallSpec<I extends z.ZodType, O> {
  input: I
  output?: O
}

function call<O>() {
  return <I extends z.ZodType>(input: I): CallSpec<I, O> => ({ input })
}

export const contract = {
  projects: {
    /** The bundled example projects. */
    listExamples: call<ExampleInfo[]>()(none),
    /** Recently opened projects, newest first (folders that no longer exist are left out). */
    recent: call<RecentProject[]>()(none),
    /** Creates a project in an empty or new folder, empty or from an example, and opens it. CONFLICT when it holds one. */
    create: call<ProjectSummary>()(
      z.strictObject({
        dir: dirPath,
        example: z
          .string()
          .regex(/^[a-z0-9-]{1,64}$/)
          .optional(),
        name: text(200).min(1).optional()
      })
    ),
    /** Opens a project folder; `notAProject` when it has no batchdesk.json (offer createHere). IN_USE when locked. */
    open: call<OpenProjectResult>()(z.strictObject({ dir: dirPath, readOnly: z.boolean().optional() })),
    /** The open project, or null. */
    current: call<ProjectSummary | null>()(none),
    close: call<null>()(none),
    /** Writes the manifest. */
    save: call<ProjectSummary>()(none),
    /** Creates an empty project in an existing folder that is not one yet, and opens it. */
    createHere: call<ProjectSummary>()(z.strictObject({ dir: dirPath, name: text(200).min(1).optional() })),
    /** Sub-folders of a folder (default: the home folder), for the browser-mode folder picker. */
    browse: call<{
      dir: string
      parent: string | null
      home: string
      isProject: boolean
      entries: FolderEntry[]
    }>()(z.strictObject({ dir: dirPath.optional() }).optional()),
    /** Native folder dialog (Electron); `supported: false` in browser mode (use browse). */
    pickFolder: call<{ supported: boolean; dir: string | null }>()(
      z.strictObject({ title: text(200).optional() }).optional()
    ),
    /** Re-reads stored results of a batch (or all) and checks their hashes. */
    verify: call<{ checked: number; corrupt: number; problems: string[] }>()(
      z.strictObject({ batch: batchName.optional() }).optional()
    ),
    /** Where the open project's runs are computed (the Redis URL with its password, for editing). */
    computeTarget: call<ComputeTarget>()(none),
    /** Computes the project's runs here (null) or on workers through a Redis; written to batchdesk.json. */
    setComputeTarget: call<ProjectSummary>()(z.strictObject({ redis: redisUrl.nullable() })),
    /** Connects to a Redis and counts the workers pulling from it; IO with what to do when it cannot. */
    checkRedis: call<WorkerCensus>()(z.strictObject({ redis: redisUrl }))
  },
  runClasses: {
    get: call<RunClassSource>()(z.strictObject({ batch: batchName })),
    /** Compiles source without saving it: diagnostics and the parameters it declares. */
    check: call<{ diagnostics: Diagnostic[]; info: RunClassSummary | null }>()(
      z.strictObject({ batch: batchName, source })
    ),
    /** Writes the run class file, reloads the batch; `staleResults`: stored results now made by older code. */
    save: call<{
      info: RunClassSummary | null
      loadError: string | null
      diagnostics: Diagnostic[]
      staleResults: number
      batch: BatchSummary
    }>()(z.strictObject({ batch: batchName, source })),
    /** Runs ONE run in a worker process (defaults overridden by `parameters`); stores nothing. */
    tryOnce: call<TryOnceResult>()(
      z.strictObject({
        batch: batchName,
        source: source.optional(),
        parameters: z.record(parameterName, jsonValue).default({})
      })
    ),
    /** The Run API declarations (`declare module 'batchdesk'`) for the editor. */
    typings: call<{ file: string; text: string }>()(none)
  },
  batches: {
    /** Adds a batch; writes a template run class when the file does not exist. */
    create: call<BatchSummary>()(
      z.strictObject({
        name: batchName,
        runClassFile: z
          .string()
          .regex(
            /^[A-Za-z0-9_][A-Za-z0-9_./-]{0,200}\.(ts|js|mts|mjs)$/,
            'a relative .ts or .js file name inside the project'
          )
      })
    ),
    previewDesign: call<DesignPreview>()(z.strictObject({ batch: batchName, design: designSchema })),
    /** Adds a design (saved to the manifest); with `run: true` also starts computing. */
    addDesign: call<{ added: number; batch: BatchSummary; started: boolean }>()(
      z.strictObject({ batch: batchName, design: designSchema, run: z.boolean().optional() })
    ),
    /** Replaces design `index` (to extend or change it); the batch's runs follow, stored results stay. */
    replaceDesign: call<{ added: number; batch: BatchSummary; started: boolean }>()(
      z.strictObject({
        batch: batchName,
        index: z.number().int().min(0).max(1_000_000),
        design: designSchema,
        run: z.boolean().optional()
      })
    ),
    /** Starts computing missing runs in the background; progress comes as events. CONFLICT when already running. */
    execute: call<{ toCompute: number }>()(
      z.strictObject({
        batch: batchName,
        rerunStale: z.boolean().optional(),
        onlyFailed: z.boolean().optional()
      })
    ),
    /** Stops the execution; runs in progress are cancelled, finished results are kept. */
    cancel: call<BatchProgress | null>()(z.strictObject({ batch: batchName })),
    /** Stops starting runs and keeps the state `paused`; resume computes what is missing. */
    pause: call<BatchProgress | null>()(z.strictObject({ batch: batchName })),
    resume: call<{ toCompute: number }>()(z.strictObject({ batch: batchName })),
    /** The state of every batch's execution. */
    status: call<BatchProgress[]>()(none)
  },
  runs: {
    /** A page of runs matching conditions such as `A>=3`, `operator=min`, evaluated by the engine. */
    list: call<RunPage>()(
      z.strictObject({
        batch: batchName,
        conditions: conditions.default([]),
        status: z.array(z.enum(RUN_STATUSES)).max(RUN_STATUSES.length).optional(),
        sort: z.strictObject({ field: fieldRef, direction: z.enum(['asc', 'desc']) }).optional(),
        offset: z.number().int().min(0).max(100_000_000).default(0),
        limit: z.number().int().min(1).max(1000).default(100)
      })
    ),
    details: call<RunDetails>()(z.strictObject({ batch: batchName, index: runIndex })),
    /** CSV of the matching runs (parameters, scalar results, runtime), at most 1,000,000 rows. */
    exportCsv: call<{ csv: string; rows: number }>()(
      z.strictObject({ batch: batchName, conditions: conditions.default([]) })
    )
  },
  results: {
    /** Columnar data of matching runs for charts, at most `limit` (≤ 100,000) runs. */
    columns: call<{ total: number; truncated: boolean; indices: number[]; columns: ColumnData[] }>()(
      z.strictObject({
        batch: batchName,
        conditions: conditions.default([]),
        fields: z.array(fieldRef).min(1).max(16),
        onlyDone: z.boolean().default(true),
        limit: z.number().int().min(1).max(100_000).default(100_000)
      })
    ),
    /** An array-valued result field per run (at most 50 runs, 100,000 points each), for overlaid curves. */
    arrays: call<{ field: string; series: ArraySeries[] }>()(
      z.strictObject({ batch: batchName, indices: z.array(runIndex).min(1).max(50), field: text(200) })
    ),
    /** Runtimes (seconds) of stored runs, at most 100,000. */
    runtimes: call<{ values: number[]; total: number }>()(z.strictObject({ batch: batchName }))
  },
  packs: {
    /**
     * Reads and verifies a pack and compares it with the project it would go into (`into`, default the open
     * project); writes nothing. INVALID_ARGUMENT when the file is not a usable pack (the message says why).
     */
    inspect: call<PackPreview>()(z.strictObject({ file: absoluteFile, into: packTarget })),
    /**
     * Imports a pack's verified runs; conflicting runs never replace yours (`keep-both` stores theirs in a
     * batch `<batch>.imported-<date>`). Opens the project imported into and pushes projectChanged.
     * CONFLICT while a batch of that project runs, or when the pack changed since it was inspected.
     */
    import: call<PackImportSummary>()(
      z.strictObject({ file: absoluteFile, conflicts: conflictPolicy, into: packTarget })
    ),
    /** Like inspect, for a batchpy `_res` folder holding `<batch>_<id>.npy` files. */
    inspectLegacy: call<PackPreview>()(
      z.strictObject({ folder: absoluteFile, batch: batchName, into: packTarget })
    ),
    /** Like import, for a batchpy `_res` folder; the runs go to batch `batch`. */
    importLegacy: call<PackImportSummary>()(
      z.strictObject({ folder: absoluteFile, batch: batchName, conflicts: conflictPolicy, into: packTarget })
    ),
    /**
     * Writes the stored runs of the open project (one batch, those matching `conditions`, or all) to a
     * `.bdpack` file. CONFLICT when the file exists and `overwrite` is not set.
     */
    export: call<PackExportSummary>()(
      z.strictObject({
        file: absoluteFile.regex(/\.bdpack$/i, 'end the file name with .bdpack'),
        batch: batchName.optional(),
        conditions: conditions.default([]),
        overwrite: z.boolean().optional()
      })
    ),
    /** Where an export goes unless the user picks another place: ~/Batchdesk/exports/<project>-<batch>-<date>.bdpack. */
    exportLocation: call<{ dir: string; name: string; file: string }>()(
      z.strictObject({ batch: batchName.optional() }).optional()
    ),
    /** The reference source of a run class inside a pack, as text (never run). `path`: `<batch>/<file>`. */
    code: call<{ batch: string; file: string; source: string; bytes: number }>()(
      z.strictObject({
        file: absoluteFile,
        path: z
          .string()
          .regex(
            /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\/[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\.(?:ts|js|mts|mjs)$/,
            'give the source as <batch>/<file>, e.g. example/example_run.ts'
          )
      })
    ),
    /** Folders and pack files (.bdpack, .zip) of a folder, for the browser-mode file picker; `legacyBatches`: batchpy batches found there. */
    browse: call<{
      dir: string
      parent: string | null
      home: string
      entries: PackBrowseEntry[]
      legacyBatches: string[]
    }>()(z.strictObject({ dir: absoluteFile.optional() }).optional()),
    /** Native open dialog (Electron) for a pack file or a batchpy folder; `supported: false` in browser mode. */
    pickSource: call<{ supported: boolean; path: string | null }>()(
      z.strictObject({ kind: z.enum(['pack', 'legacy']) })
    ),
    /** Native save dialog (Electron) for an export; `supported: false` in browser mode. */
    pickExportFile: call<{ supported: boolean; file: string | null }>()(
      z.strictObject({ defaultPath: absoluteFile.optional() }).optional()
    ),
    /**
     * Uploads a dropped file to the host in chunks (browser mode, where the page cannot give a path): begin,
     * then chunks in order, then end, which answers the path of the temp copy to inspect and import.
     */
    uploadBegin: call<{ upload: string; chunkBytes: number }>()(
      z.strictObject({
        name: text(255).min(1),
        bytes: z
          .number()
          .int()
          .min(1, 'the file is empty')
          .max(
            MAX_UPLOAD_BYTES,
            'a pack dropped on the window may be at most 2 GB; import a larger one with the file picker'
          )
      })
    ),
    uploadChunk: call<{ received: number }>()(
      z.strictObject({
        upload: uploadId,
        offset: z.number().int().min(0).max(MAX_UPLOAD_BYTES),
        /** Base64, at most UPLOAD_CHUNK_BYTES decoded. */
        data: z.string().max(Math.ceil(UPLOAD_CHUNK_BYTES / 3) * 4)
      })
    ),
    uploadEnd: call<{ file: string }>()(z.strictObject({ upload: uploadId })),
    uploadCancel: call<null>()(z.strictObject({ upload: uploadId }))
  },
  settings: {
    get: call<Settings>()(none),
    set: call<Settings>()(
      z.strictObject({
        theme: z.enum(['system', 'light', 'dark']).optional(),
        author: text(200).optional(),
        processes: z.number().int().min(1).max(256).nullable().optional()
      })
    )
  }
} as const

// ---- events ---------------------------------------------------------------------------------------------

export interface RunsChangedEvent {
  batch: string
  /** Only runs whose status changed since the last event; at most ~10 events per second. */
  changes: { index: number; status: RunStatus }[]
  counts: StatusCounts
}

export interface LogEvent {
  batch: string | null
  level: 'info' | 'warn' | 'error'
  message: string
  at: number
  /** `workers`: news from the Redis a batch is sent to (workers found or missing, connection lost or back). */
  topic?: 'workers'
}

export interface ProjectChangedEvent {
  reason: 'opened' | 'closed' | 'changed'
  project: ProjectSummary | null
}

/** The host asks the page to show the import preview (File > Import Result Pack…, with the file picked). */
export interface PackImportRequestedEvent {
  /** The pack file, or a batchpy folder with `legacyBatch`; null: let the user pick. */
  path: string | null
}

/** Events pushed by the host. Subscribe with `api.on(name, listener)`, which returns an unsubscribe function. */
export interface ContractEvents {
  runsChanged: RunsChangedEvent
  batchProgress: BatchProgress
  log: LogEvent
  projectChanged: ProjectChangedEvent
  packImportRequested: PackImportRequestedEvent
}
export type EventName = keyof ContractEvents
export const EVENT_NAMES = [
  'runsChanged',
  'batchProgress',
  'log',
  'projectChanged',
  'packImportRequested'
] as const satisfies readonly EventName[]

// ---- derived types and names ----------------------------------------------------------------------------

export type Contract = typeof contract
export type Domain = keyof Contract
export type CallName = { [D in Domain]: `${D & string}.${keyof Contract[D] & string}` }[Domain]

type SpecOf<N extends CallName> = N extends `${infer D}.${infer A}`
  ? D extends Domain
    ? A extends keyof Contract[D]
      ? Contract[D][A]
      : never
    : never
  : never

/** What the caller passes (zod input: defaults may be left out). */
export type CallInput<N extends CallName> = SpecOf<N> extends CallSpec<infer I, unknown> ? z.input<I> : never
/** What the handler receives (zod output: defaults filled in). */
export type ParsedInput<N extends CallName> =
  SpecOf<N> extends CallSpec<infer I, unknown> ? z.output<I> : never
export type CallOutput<N extends CallName> = SpecOf<N> extends CallSpec<z.ZodType, infer O> ? O : never

/** A call as a function: the input is optional when the schema accepts undefined. */
type CallFunction<S> =
  S extends CallSpec<infer I, infer O>
    ? (
        ...args: undefined extends z.input<I> ? [input?: z.input<I>] : [input: z.input<I>]
      ) => Promise<Result<O>>
    : never

/** The typed API as the renderer sees it: `api.projects.open({ dir })`, and `api.on('runsChanged', fn)`. */
export type BatchdeskApi = {
  [D in Domain]: { [A in keyof Contract[D]]: CallFunction<Contract[D][A]> }
} & {
  on<E extends EventName>(event: E, listener: (payload: ContractEvents[E]) => void): () => void
}

/** Every call name, in contract order. */
export const CALL_NAMES: readonly CallName[] = Object.entries(contract).flatMap(([domain, calls]) =>
  Object.keys(calls).map((action) => `${domain}.${action}` as CallName)
)

export function isCallName(name: unknown): name is CallName {
  return typeof name === 'string' && (CALL_NAMES as readonly string[]).includes(name)
}

/** The schema of a call's input. */
export function inputSchemaOf(name: CallName): z.ZodType {
  const [domain, action] = name.split('.') as [Domain, string]
  return (contract[domain] as Record<string, CallSpec<z.ZodType, unknown>>)[action].input
}

/** The Electron IPC channel of a call or event. */
export function channelOf(name: CallName | EventName): string {
  return `batchdesk:${name}`
}

/**
 * Checks and parses a call's raw input: forbidden keys and depth first, then the schema.
 * @returns the parsed input, or an INVALID_ARGUMENT error whose message names the offending field.
 */
export function parseInput<N extends CallName>(name: N, raw: unknown): Result<ParsedInput<N>> {
  const unsafe = findUnsafeInput(raw)
  if (unsafe) return { ok: false, error: { code: 'INVALID_ARGUMENT', message: `${name}: ${unsafe}` } }
  const parsed = inputSchemaOf(name).safeParse(raw)
  if (parsed.success) return { ok: true, value: parsed.data as ParsedInput<N> }
  const issues = parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : 'input'}: ${issue.message}`)
  return { ok: false, error: { code: 'INVALID_ARGUMENT', message: `${name}: ${issues.join('; ')}` } }
}

/** Builds the error envelope. */
export function failure(code: ErrorCode, message: string): { ok: false; error: ApiError } {
  return { ok: false, error: { code, message } }
}

/** Thrown by `unwrap` so stores can use try/catch; carries the code. */
export class ApiCallError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string
  ) {
    super(message)
    this.name = 'ApiCallError'
  }
}

/** The value of a successful result; throws ApiCallError otherwise. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value
  throw new ApiCallError(result.error.code, result.error.message)
}
