/**
 * Importing a result pack (or a batchpy `_res` folder) into a project. The whole source is read and verified
 * first (inspection); then, in order: a journal file marks the import as started, reference code of new
 * batches is copied, the new runs are written with durable store writes (one call for up to `chunkBytes` of
 * records, 64 MiB by default), the project manifest gains the new batches in one atomic write, and
 * the journal is removed. A kill at any point leaves results that are either not visible yet (their batch is
 * not in the manifest) or complete; importing the same source again skips what is already stored and
 * finishes the rest, because a run that is stored with the same result is never written twice.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, lstatSync, mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { ImportedFrom } from '../project/manifest'
import type { Project } from '../project/project'
import { acquireStore, type NewResult, type ResultOrigin, type ResultStore } from '../store'
import { PackError } from './errors'
import { isCodeFileName, packLimits, type PackLimits } from './format'
import { IMPORT_JOURNAL, inspectScan, readImportJournal, RunClassifier, type PackInspection } from './inspect'
import { openLegacyFolder } from './legacy-source'
import { openPack, runKey, type PackScan, type PackSource, type ScannedRun } from './pack-source'
import { openSourceInWorker, type SourceSpec } from './worker-source'
import { displayName } from './zip-reader'

// Records (as JSON text) per durable store write. The store holds about four copies of a write while it
// frames and appends it, so this bounds the import's memory: measured peak RSS ~700 MB for a 1 GB pack.
const DEFAULT_CHUNK_BYTES = 64 * 1024 * 1024

/** What to do with runs stored in the project with a different result: keep ours only, or store theirs beside. */
export type ConflictPolicy = 'keep-mine' | 'keep-both'

export interface InspectPackOptions {
  limits?: Partial<PackLimits>
}

export interface ImportPackOptions extends InspectPackOptions {
  /** Default 'keep-mine'. 'keep-both' stores conflicting runs in a batch `<batch>.imported-<yyyymmdd>`. */
  conflicts?: ConflictPolicy
  /** Inspect and plan only; nothing is written. */
  dryRun?: boolean
  /** Records handed to one durable store write; default 64 MiB (the whole import, for most packs). */
  chunkBytes?: number
  /** The import time (tests). */
  now?: Date
}

export interface ImportLegacyOptions extends Omit<ImportPackOptions, 'limits'> {
  /** The batchpy batch name: files `<batch>_<id>.npy` are read, and runs go to this batch. */
  batch: string
}

/** inspectPack's report plus what was (or, with dryRun, would be) written. */
export interface PackImportReport extends PackInspection {
  dryRun: boolean
  /** Runs to write (new ones, and conflicting ones with keep-both). */
  planned: number
  /** Runs written. */
  imported: number
  /** Batches added to the project manifest. */
  addedBatches: string[]
  /** With keep-both: where each batch's conflicting runs went. */
  keptBoth: { batch: string; into: string; runs: number }[]
}

/**
 * Reads and verifies a pack and compares it with the project; writes nothing.
 * @throws PackError when the pack as a whole is unusable (runs that fail are listed in the report).
 */
export async function inspectPack(
  file: string,
  project: Project,
  options: InspectPackOptions = {}
): Promise<PackInspection> {
  return inspectSource(packSpec(file, options), project, false)
}

/** inspectPack with the reading and parsing done in a worker thread (for the Electron main process). */
export async function inspectPackInWorker(
  file: string,
  project: Project,
  options: InspectPackOptions = {}
): Promise<PackInspection> {
  return inspectSource(packSpec(file, options), project, true)
}

/**
 * Imports the verified, non-conflicting runs of a pack (see the module comment for the order of writes).
 * @throws PackError when the pack as a whole is unusable or the project is read-only; ProjectInUseError
 *   when another process writes to the project.
 */
export async function importPack(
  file: string,
  project: Project,
  options: ImportPackOptions = {}
): Promise<PackImportReport> {
  return importSource(packSpec(file, options), project, options, false)
}

/** importPack with the reading and parsing done in a worker thread (for the Electron main process). */
export async function importPackInWorker(
  file: string,
  project: Project,
  options: ImportPackOptions = {}
): Promise<PackImportReport> {
  return importSource(packSpec(file, options), project, options, true)
}

/**
 * Imports a batchpy `_res` folder's `<batch>_<id>.npy` results (read with a safe unpickler that never runs
 * code). Ids are recomputed with Batchdesk's encoding; the batchpy id is kept as origin.legacyId.
 */
export async function importLegacyResults(
  folder: string,
  project: Project,
  options: ImportLegacyOptions
): Promise<PackImportReport> {
  return importSource(
    { kind: 'legacy', folder: path.resolve(folder), batch: options.batch },
    project,
    options,
    false
  )
}

/** importLegacyResults with the parsing done in a worker thread. */
export async function importLegacyResultsInWorker(
  folder: string,
  project: Project,
  options: ImportLegacyOptions
): Promise<PackImportReport> {
  return importSource(
    { kind: 'legacy', folder: path.resolve(folder), batch: options.batch },
    project,
    options,
    true
  )
}

function packSpec(file: string, options: InspectPackOptions): SourceSpec {
  return { kind: 'pack', file: path.resolve(file), limits: packLimits(options.limits) }
}

async function openSource(spec: SourceSpec, inWorker: boolean): Promise<PackSource> {
  if (inWorker) return openSourceInWorker(spec)
  return spec.kind === 'pack' ? openPack(spec.file, spec.limits) : openLegacyFolder(spec.folder, spec.batch)
}

async function inspectSource(spec: SourceSpec, project: Project, inWorker: boolean): Promise<PackInspection> {
  const source = await openSource(spec, inWorker)
  try {
    const scan = await source.scan()
    const store = storeForReading(project)
    try {
      return inspectScan(scan, project, new RunClassifier(store))
    } finally {
      store?.release()
    }
  } finally {
    await source.close()
  }
}

/** The project's store to compare with; undefined when nothing was ever stored (so inspecting creates nothing). */
function storeForReading(project: Project): ResultStore | undefined {
  const folder = path.join(project.dir, '_res')
  return existsSync(folder) ? acquireStore(folder, { readOnly: project.readOnly }) : undefined
}

async function importSource(
  spec: SourceSpec,
  project: Project,
  options: ImportPackOptions,
  inWorker: boolean
): Promise<PackImportReport> {
  if (project.readOnly && !options.dryRun) {
    throw new PackError(
      'INPUT',
      `The project ${project.dir} is open read-only (another Batchdesk is writing to it); close that one and import again`
    )
  }
  const now = options.now ?? new Date()
  const source = await openSource(spec, inWorker)
  try {
    const scan = await source.scan()
    const store = options.dryRun ? storeForReading(project) : acquireStore(path.join(project.dir, '_res'))
    try {
      const classifier = new RunClassifier(store)
      const inspection = inspectScan(scan, project, classifier)
      const plan = planImport(scan, project, classifier, options.conflicts ?? 'keep-mine', now)
      const report: PackImportReport = {
        ...inspection,
        dryRun: options.dryRun === true,
        planned: plan.targets.size,
        imported: 0,
        addedBatches: plan.newBatches.map((batch) => batch.name),
        keptBoth: plan.keptBoth
      }
      if (options.dryRun || !store) return report
      report.imported = await commit(
        scan,
        plan,
        source,
        project,
        store,
        options.chunkBytes ?? DEFAULT_CHUNK_BYTES,
        now
      )
      return report
    } finally {
      store?.release()
    }
  } finally {
    await source.close()
  }
}

interface ImportPlan {
  /** `batch/id` of each run to write → the batch it goes to. */
  targets: Map<string, string>
  /** Batches to add to the manifest, with the pack batch whose code they get. */
  newBatches: { name: string; from: string }[]
  keptBoth: { batch: string; into: string; runs: number }[]
  /** Project batches that get runs and must be reloaded. */
  touched: Set<string>
}

function planImport(
  scan: PackScan,
  project: Project,
  classifier: RunClassifier,
  policy: ConflictPolicy,
  now: Date
): ImportPlan {
  const inManifest = new Set(project.manifest.batches.map((batch) => batch.name))
  const plan: ImportPlan = { targets: new Map(), newBatches: [], keptBoth: [], touched: new Set() }
  const byBatch = new Map<string, ScannedRun[]>()
  for (const run of scan.runs) {
    let list = byBatch.get(run.batch)
    if (!list) byBatch.set(run.batch, (list = []))
    list.push(run)
  }
  for (const [batch, runs] of byBatch) {
    const conflicting: ScannedRun[] = []
    for (const run of runs) {
      const { placement } = classifier.classify(batch, run)
      if (placement === 'new') plan.targets.set(runKey(batch, run.id), batch)
      else if (placement === 'conflicting') conflicting.push(run)
    }
    // A batch whose runs are all stored already is still added: an earlier import may have stopped just
    // before writing the manifest.
    if (!inManifest.has(batch)) plan.newBatches.push({ name: batch, from: batch })
    else if (runs.some((run) => plan.targets.has(runKey(batch, run.id)))) plan.touched.add(batch)
    if (policy !== 'keep-both' || conflicting.length === 0) continue
    const into = keepBothBatch(batch, conflicting, classifier, now)
    let written = 0
    for (const run of conflicting) {
      if (classifier.classify(into, run).placement === 'new') {
        plan.targets.set(runKey(batch, run.id), into)
        written++
      }
    }
    plan.keptBoth.push({ batch, into, runs: conflicting.length })
    if (!inManifest.has(into)) plan.newBatches.push({ name: into, from: batch })
    else if (written > 0) plan.touched.add(into)
  }
  return plan
}

/**
 * `<batch>.imported-<yyyymmdd>`, or with `-2`, `-3`… when that batch already holds other results for some of
 * these ids. A batch that holds the same results is reused, so importing again after a crash adds no copy.
 */
function keepBothBatch(batch: string, runs: ScannedRun[], classifier: RunClassifier, now: Date): string {
  const date = now.toISOString().slice(0, 10).replace(/-/g, '')
  for (let n = 1; ; n++) {
    const suffix = `.imported-${date}${n === 1 ? '' : `-${n}`}`
    const name = batch.slice(0, 64 - suffix.length) + suffix
    if (runs.every((run) => classifier.classify(name, run).placement !== 'conflicting')) return name
  }
}

async function commit(
  scan: PackScan,
  plan: ImportPlan,
  source: PackSource,
  project: Project,
  store: ResultStore,
  chunkBytes: number,
  now: Date
): Promise<number> {
  const journal = path.join(project.dir, IMPORT_JOURNAL)
  if (plan.targets.size === 0 && plan.newBatches.length === 0) {
    // Everything is in place: an earlier run of this import that stopped after the manifest is complete now.
    if (readImportJournal(project)?.source === scan.file) unlinkSync(journal)
    return 0
  }
  const importedAt = now.toISOString()
  const label = displayName(scan.file)
  writeFileAtomically(
    journal,
    JSON.stringify({ source: scan.file, startedAt: importedAt, pid: process.pid }) + '\n'
  )
  const codeFiles = plan.newBatches.map((batch) =>
    writeReferenceCode(project, scan, batch.name, batch.from, label, importedAt)
  )

  const origin: ResultOrigin & { packCreatedAt?: string } = {
    pack: label,
    importedAt,
    packCreatedAt: scan.createdAt
  }
  if (scan.author) origin.author = scan.author
  let imported = 0
  await source.records(new Set(plan.targets.keys()), chunkBytes, async (records) => {
    const results: NewResult[] = records.map((record) => ({
      batch: plan.targets.get(runKey(record.batch, record.id))!,
      id: record.id,
      runClass: record.runClass,
      codeHash: record.codeHash,
      parametersJson: record.parametersJson,
      runtime: record.runtime,
      started: record.started,
      ended: record.ended,
      host: record.host,
      log: record.log,
      logTruncated: record.logTruncated,
      resultJson: record.resultJson,
      scalarsJson: record.scalarsJson,
      origin: record.legacyId ? { ...origin, legacyId: record.legacyId } : origin
    }))
    await store.write(results)
    imported += results.length
  })
  if (imported !== plan.targets.size) {
    throw new PackError(
      'CHANGED',
      `${label} changed while it was being imported (${imported} of ${plan.targets.size} runs were read again); import it again`
    )
  }

  const importedFrom: ImportedFrom = { source: label, importedAt }
  if (scan.author) importedFrom.author = scan.author
  for (const [i, batch] of plan.newBatches.entries())
    await project.addBatch(batch.name, codeFiles[i], importedFrom)
  if (plan.newBatches.length > 0) project.save()
  for (const name of plan.touched) await project.reloadBatch(name)
  unlinkSync(journal)
  return imported
}

/**
 * Copies a new batch's reference source from the pack to `imported/<batch>/<file>` in the project (a
 * placeholder when the pack has none) and returns its path relative to the project. Destination names are
 * made here from the validated batch and file names, never taken from the zip.
 */
function writeReferenceCode(
  project: Project,
  scan: PackScan,
  batch: string,
  from: string,
  label: string,
  importedAt: string
): string {
  const root = path.join(project.dir, 'imported')
  const folder = path.join(root, batch.replace(/\.\./g, '_.'))
  for (const dir of [root, folder]) {
    const stats = lstatSync(dir, { throwIfNoEntry: false })
    if (stats?.isSymbolicLink())
      throw new PackError(
        'INPUT',
        `${dir} is a symbolic link; Batchdesk copies imported code only into a plain folder`
      )
  }
  mkdirSync(folder, { recursive: true })
  const files = scan.code.filter((code) => code.batch === from && isCodeFileName(code.file))
  for (const code of files) writeFileAtomically(path.join(folder, code.file), code.content)
  const file = files[0]?.file ?? 'no-code.js'
  if (files.length === 0) {
    const note = `// Results of batch ${from} imported from ${label} on ${importedAt}.\n// ${scan.app.name === 'batchpy' ? 'batchpy stores no code with its results' : 'The pack held no source code for this batch'}; this placeholder is never run.\n`
    writeFileAtomically(path.join(folder, file), note)
  }
  const relative = path.relative(project.dir, path.join(folder, file))
  if (relative.startsWith('..') || path.isAbsolute(relative))
    throw new Error(`reference code path ${relative} is outside the project`)
  return relative.split(path.sep).join('/')
}

function writeFileAtomically(file: string, content: string | Buffer): void {
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`
  writeFileSync(temp, content, { flag: 'wx' })
  renameSync(temp, file)
}
