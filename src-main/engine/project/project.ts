import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { Batch, BatchInputError, type ExecuteOptions, type ExecuteReport } from '../batch'
import type { Run, RunStatus } from '../run'
import { describeRunModule } from '../compile'
import { FunctionRef } from '../params/function-ref'
import { linspace, logspace, rangeValues } from '../design/spaces'
import { examplesFolder } from '../package-root'
import { DiskFullError, ProjectInUseError } from '../store'
import type { RunClassInfo } from '../types'
import { MANIFEST_FILE, MANIFEST_FORMAT, ManifestError, formatManifest, parseManifest, type Design, type ImportedFrom, type Manifest } from './manifest'

/** A batch of a project: its manifest entry, its run class (or why it could not be loaded), and its runs. */
export interface ProjectBatch {
  readonly name: string
  /** Run class file, relative to the project folder. */
  readonly runClassFile: string
  runClass: RunClassInfo | undefined
  /** Why the run class could not be loaded (compile error with file:line:col), if it could not. */
  loadError: string | undefined
  batch: Batch
}

export interface OpenProjectOptions {
  /** Open without taking the project's write lock; nothing is computed or written. */
  readOnly?: boolean
}

/** Thrown when a folder is not a project; the UI offers to create one there. */
export class NotAProjectError extends Error {
  constructor(readonly dir: string) {
    super(`${dir} is not a Batchdesk project (there is no ${MANIFEST_FILE}); create a project there or pick another folder`)
    this.name = 'NotAProjectError'
  }
}

/**
 * A project folder: a manifest (batchdesk.json) naming batches with their run class files and designs,
 * the run class files, and `_res/` with the results. The manifest is the only file the app writes besides results.
 */
export class Project {
  readonly dir: string
  readonly readOnly: boolean
  manifest: Manifest
  readonly #batches = new Map<string, ProjectBatch>()

  private constructor(dir: string, manifest: Manifest, readOnly: boolean) {
    this.dir = dir
    this.manifest = manifest
    this.readOnly = readOnly
  }

  /**
   * Opens a project folder and builds every batch's runs from its designs.
   * @throws NotAProjectError, ManifestError, ProjectInUseError (another Batchdesk writes to it).
   */
  static async open(dir: string, options: OpenProjectOptions = {}): Promise<Project> {
    const resolved = path.resolve(dir)
    const manifestPath = path.join(resolved, MANIFEST_FILE)
    if (!existsSync(manifestPath)) throw new NotAProjectError(resolved)
    const manifest = parseManifest(readFileSync(manifestPath, 'utf8'), manifestPath)
    // A manifest may come from someone else: refuse one whose designs would not fit before building any run.
    let total = 0
    for (const entry of manifest.batches) {
      for (const [i, design] of entry.designs.entries()) {
        try {
          total += designRunCount(design)
        } catch (error) {
          throw new ManifestError(`${manifestPath}: batches '${entry.name}' designs[${i}]: ${(error as Error).message}`)
        }
      }
    }
    if (total > MAX_PROJECT_RUNS) {
      throw new ManifestError(
        `${manifestPath}: the designs add up to ${total.toLocaleString('en')} runs; a project holds at most ${MAX_PROJECT_RUNS.toLocaleString('en')}`
      )
    }
    const project = new Project(resolved, manifest, options.readOnly === true)
    try {
      for (const entry of manifest.batches) await project.#loadBatch(entry.name)
    } catch (error) {
      // Batches loaded so far hold the result store and its lock: give them back.
      project.close()
      throw error
    }
    return project
  }

  /**
   * Creates a project in `dir` (which must be empty or missing), empty or as a copy of a bundled example.
   * @throws BatchInputError for an unknown example or a folder that already holds a project.
   */
  static async create(dir: string, options: { example?: string; name?: string } = {}): Promise<Project> {
    const resolved = path.resolve(dir)
    if (existsSync(path.join(resolved, MANIFEST_FILE))) throw new BatchInputError(`${resolved} already holds a project; open it instead`)
    if (existsSync(resolved) && readdirSync(resolved).filter((f) => !f.startsWith('.')).length > 0 && options.example) {
      throw new BatchInputError(`${resolved} is not empty; pick an empty or new folder for the example project`)
    }
    mkdirSync(resolved, { recursive: true })
    if (options.example) {
      const source = path.join(examplesFolder(), options.example)
      if (!/^[a-z0-9-]+$/.test(options.example) || !existsSync(path.join(source, MANIFEST_FILE))) {
        throw new BatchInputError(`There is no example called '${options.example}'; examples: ${listExamples().map((e) => e.id).join(', ')}`)
      }
      cpSync(source, resolved, { recursive: true, filter: (from) => !from.split(path.sep).includes('_res') })
    } else {
      const manifest: Manifest = { format: MANIFEST_FORMAT, name: options.name ?? path.basename(resolved), batches: [], settings: {} }
      writeFileSync(path.join(resolved, MANIFEST_FILE), formatManifest(manifest))
    }
    return Project.open(resolved)
  }

  get batches(): ProjectBatch[] {
    return this.manifest.batches.map((entry) => this.#batches.get(entry.name)!)
  }

  /** @throws BatchInputError naming the batches there are. */
  batch(name: string): ProjectBatch {
    const found = this.#batches.get(name)
    if (!found) {
      const names = this.manifest.batches.map((b) => b.name)
      throw new BatchInputError(`There is no batch '${name}' in this project; ${names.length ? `batches: ${names.join(', ')}` : 'it has no batches yet'}`)
    }
    return found
  }

  /** Re-reads a batch's run class (after its file changed) and rebuilds its runs; stored results stay. */
  async reloadBatch(name: string): Promise<ProjectBatch> {
    this.batch(name)
    return this.#loadBatch(name)
  }

  async #loadBatch(name: string): Promise<ProjectBatch> {
    const entry = this.manifest.batches.find((b) => b.name === name)!
    const previous = this.#batches.get(name)
    previous?.batch.close()
    const batch = new Batch(name, { path: this.dir, saveResult: !this.readOnly })
    const projectBatch: ProjectBatch = { name, runClassFile: entry.runClass, runClass: undefined, loadError: undefined, batch }
    this.#batches.set(name, projectBatch)
    // Imported results come with someone else's code: it is kept for reference and never loaded here.
    if (entry.imported) {
      batch.addResultRunFolder()
      return projectBatch
    }
    const file = path.join(this.dir, entry.runClass)
    try {
      if (!existsSync(file)) throw new Error(`The run class file ${entry.runClass} of batch '${name}' does not exist in ${this.dir}`)
      projectBatch.runClass = await describeRunModule(file)
    } catch (error) {
      projectBatch.loadError = (error as Error).message
      // Stored results stay visible (as result runs) while the code is being fixed.
      batch.addResultRunFolder()
      return projectBatch
    }
    for (const [i, design] of entry.designs.entries()) {
      try {
        this.#addDesignRuns(projectBatch, design)
      } catch (error) {
        // The store is opened while the first design is added: its errors are not the manifest's fault.
        if (error instanceof ProjectInUseError || error instanceof DiskFullError) throw error
        throw new ManifestError(`${path.join(this.dir, MANIFEST_FILE)}: batches '${name}' designs[${i}]: ${(error as Error).message}`, { cause: error })
      }
    }
    batch.addImportedResultRuns()
    return projectBatch
  }

  /** Adds a design to a batch: its runs now, and the manifest entry (call save() to write it). */
  addDesign(batchName: string, design: Design): Run[] {
    this.#assertWritable()
    const projectBatch = this.batch(batchName)
    if (!projectBatch.runClass) throw new BatchInputError(`The run class of batch '${batchName}' does not load: ${projectBatch.loadError}`)
    const runs = this.#addDesignRuns(projectBatch, design)
    this.manifest.batches.find((b) => b.name === batchName)!.designs.push(design)
    return runs
  }

  /**
   * Replaces design `index` of a batch (to extend an axis or change values) and rebuilds the batch's runs
   * from its designs; stored results stay and are found again by id. Call save() to write it.
   * @throws BatchInputError for a missing design; the design's own error for bad values (the batch is left
   *   as it was either way).
   */
  async replaceDesign(batchName: string, index: number, design: Design): Promise<ProjectBatch> {
    this.#assertWritable()
    const projectBatch = this.batch(batchName)
    if (!projectBatch.runClass) throw new BatchInputError(`The run class of batch '${batchName}' does not load: ${projectBatch.loadError}`)
    const entry = this.manifest.batches.find((b) => b.name === batchName)!
    if (!Number.isInteger(index) || index < 0 || index >= entry.designs.length) {
      throw new BatchInputError(`Batch '${batchName}' has no design number ${index + 1}: it has ${entry.designs.length}`)
    }
    const previous = entry.designs[index]
    entry.designs[index] = design
    try {
      return await this.#loadBatch(batchName)
    } catch (error) {
      entry.designs[index] = previous
      await this.#loadBatch(batchName)
      // The manifest check names the file and design; the user's input is what was wrong here.
      throw error instanceof ManifestError && error.cause instanceof Error ? error.cause : error
    }
  }

  /**
   * Adds a batch with its run class file (relative to the project) and loads it. With `imported`, the batch
   * holds imported results: its runs are its stored results and the run class file is never loaded.
   */
  async addBatch(name: string, runClassFile: string, imported?: ImportedFrom): Promise<ProjectBatch> {
    this.#assertWritable()
    if (this.#batches.has(name)) throw new BatchInputError(`There is already a batch called '${name}'`)
    const entry = { name, runClass: runClassFile, designs: [], ...(imported ? { imported } : {}) }
    const next = parseManifest(JSON.stringify({ ...this.manifest, batches: [...this.manifest.batches, entry] }), 'the new batch')
    this.manifest = next
    return this.#loadBatch(name)
  }

  #addDesignRuns(projectBatch: ProjectBatch, design: Design): Run[] {
    const info = projectBatch.runClass!
    // Refuse a design that would not fit before building its runs (Project.open checks the whole manifest).
    let runs = 0
    for (const b of this.#batches.values()) runs += b.batch.runs.length
    const total = runs + designRunCount(design)
    if (total > MAX_PROJECT_RUNS) {
      throw new BatchInputError(
        `this design would make the project hold ${total.toLocaleString('en')} runs; a project holds at most ${MAX_PROJECT_RUNS.toLocaleString('en')}`
      )
    }
    if (design.kind === 'run') return [projectBatch.batch.addRun(info, resolveValues(info, design.parameters, false))]
    return projectBatch.batch.addFactorialRuns(info, resolveValues(info, design.grid, true))
  }

  /** Writes the manifest atomically. */
  save(): void {
    this.#assertWritable()
    const target = path.join(this.dir, MANIFEST_FILE)
    const temp = `${target}.${process.pid}.tmp`
    writeFileSync(temp, formatManifest(this.manifest))
    renameSync(temp, target)
  }

  /** Computes a batch's missing runs (see Batch.execute). */
  async execute(batchName: string, options: ExecuteOptions = {}): Promise<ExecuteReport> {
    this.#assertWritable()
    const projectBatch = this.batch(batchName)
    if (projectBatch.loadError) throw new BatchInputError(`Batch '${batchName}' cannot run: ${projectBatch.loadError}`)
    return projectBatch.batch.execute({ processes: this.manifest.settings.processes, timeout: this.manifest.settings.timeoutSeconds, ...options })
  }

  /** Run counts by status for every batch. */
  status(): { batch: string; runs: number; counts: Record<RunStatus, number>; loadError?: string }[] {
    return this.batches.map((b) => ({ batch: b.name, runs: b.batch.runs.length, counts: b.batch.statusCounts(), loadError: b.loadError }))
  }

  /** Releases the result store and its lock. */
  close(): void {
    for (const b of this.#batches.values()) b.batch.close()
  }

  #assertWritable(): void {
    if (this.readOnly) throw new BatchInputError('This project is open read-only; close the other window that uses it and open it again to make changes')
  }
}

/** Runs a project may hold in all its batches together (a single design has the same limit). */
const MAX_PROJECT_RUNS = 50_000_000

/** How many runs a design makes, from the sizes of its axes (each at most MAX_SPACE_VALUES values). */
function designRunCount(design: Design): number {
  if (design.kind === 'run') return 1
  let count = 1
  for (const [name, raw] of Object.entries(design.grid)) count *= expandAxis(raw, name).length
  return count
}

/** The bundled examples, for `batchdesk new --example` and the start screen. */
export function listExamples(): { id: string; name: string; description: string }[] {
  const folder = examplesFolder()
  if (!existsSync(folder)) return []
  return readdirSync(folder)
    .filter((id) => existsSync(path.join(folder, id, MANIFEST_FILE)))
    .map((id) => {
      const manifest = parseManifest(readFileSync(path.join(folder, id, MANIFEST_FILE), 'utf8'), `example ${id}`)
      return { id, name: manifest.name, description: manifest.description ?? '' }
    })
    .sort((a, b) => (a.id === 'quickstart' ? -1 : b.id === 'quickstart' ? 1 : a.id.localeCompare(b.id)))
}

/**
 * Turns manifest JSON values into parameter values: names of functions become FunctionRefs for
 * function-valued parameters, and in grids `{ "$range": [start, stop, step] }`, `{ "$linspace": [a, b, n] }`
 * and `{ "$logspace": [a, b, n] }` expand to their values.
 */
export function resolveValues(info: RunClassInfo, values: Record<string, unknown>, isGrid: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const name of Object.keys(values)) {
    const spec = info.parameters.find((p) => p.name === name)
    const resolveOne = (value: unknown) => resolveFunctionName(info, name, value, spec?.kind === 'function')
    const raw = values[name]
    out[name] = isGrid ? expandAxis(raw, name).map(resolveOne) : resolveOne(raw)
  }
  return out
}

function resolveFunctionName(info: RunClassInfo, name: string, value: unknown, functionValued: boolean): unknown {
  const explicit = value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 1 && typeof (value as { $fn?: unknown }).$fn === 'string'
  if (!explicit && !(functionValued && typeof value === 'string')) return value
  const fnName = explicit ? (value as { $fn: string }).$fn : (value as string)
  if (!info.functionExports.includes(fnName) && !isGlobalFunctionPath(fnName)) {
    throw new BatchInputError(
      `parameter '${name}': '${fnName}' is not a function exported by the run class module` +
        (info.functionExports.length ? `; exported functions: ${info.functionExports.join(', ')}` : ' (it exports no functions)')
    )
  }
  return new FunctionRef(fnName)
}

function isGlobalFunctionPath(fnPath: string): boolean {
  let target: unknown = globalThis
  for (const part of fnPath.split('.')) {
    if (target === null || (typeof target !== 'object' && typeof target !== 'function')) return false
    target = (target as Record<string, unknown>)[part]
  }
  return typeof target === 'function'
}

/** Expands one grid axis: a list, a single value, or a range/space spec. */
export function expandAxis(raw: unknown, name: string): unknown[] {
  if (Array.isArray(raw)) return raw
  if (raw !== null && typeof raw === 'object') {
    const spec = raw as Record<string, unknown>
    const numbers = (key: string, count: number): number[] => {
      const list = spec[key]
      if (!Array.isArray(list) || list.length !== count || list.some((n) => typeof n !== 'number')) {
        throw new BatchInputError(`parameter '${name}': ${key} takes ${count} numbers, e.g. ${key === '$range' ? '[0, 1, 0.1]' : '[0, 1, 11]'}`)
      }
      return list as number[]
    }
    if ('$range' in spec) {
      const [start, stop, step] = numbers('$range', 3)
      return rangeValues(start, stop, step, spec.inclusive === true)
    }
    if ('$linspace' in spec) {
      const [start, stop, count] = numbers('$linspace', 3)
      return linspace(start, stop, count)
    }
    if ('$logspace' in spec) {
      const [start, stop, count] = numbers('$logspace', 3)
      return logspace(start, stop, count)
    }
    if ('$values' in spec && Array.isArray(spec.$values)) return spec.$values
  }
  return [raw]
}
