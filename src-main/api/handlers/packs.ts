import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import path from 'node:path'
import type {
  PackBrowseEntry,
  PackImportSummary,
  PackPreview,
  PackTargetInfo
} from '../../../src-preload/contract'
import {
  exportPack,
  importLegacyResultsInWorker,
  importPackInWorker,
  inspectPackInWorker,
  type ConflictPolicy,
  type PackImportReport,
  type PackInspection
} from '../../engine/packs'
import { MANIFEST_FILE } from '../../engine/project/manifest'
import { Project } from '../../engine/project/project'
import { parseCondition } from '../../engine/query/conditions'
import type { AppService } from '../app-service'
import type { DomainHandlers } from '../dispatch'
import { ApiFailure } from '../errors'
import { readPackCode } from '../pack-code'
import { packFailure, packPreview } from '../pack-preview'
import { PackUploads } from '../pack-uploads'
import { selectRuns } from '../run-selection'

/** Entries listed at most by `browse`. */
const MAX_BROWSE_ENTRIES = 500
/** batchpy result files: `<batch>_<id>.npy` (ids are hex by default, anything without `_` otherwise). */
const LEGACY_FILE = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,63})_([^_]+)\.npy$/

/** Where an import goes when the call names one: an existing project folder, or a new project. */
interface TargetInput {
  dir: string
  create: boolean
  name?: string
}

/** What is imported: a pack file, or a batchpy folder with its batch name. */
type Source = { kind: 'pack'; file: string } | { kind: 'legacy'; folder: string; batch: string }

export function packHandlers(app: AppService): DomainHandlers<'packs'> {
  const uploads = new PackUploads()
  let importing = false

  /** Runs `work` with engine errors of packs turned into envelope errors. */
  async function guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (error) {
      throw packFailure(error)
    }
  }

  function requireSource(source: Source): void {
    const target = source.kind === 'pack' ? source.file : source.folder
    const stats = statSync(target, { throwIfNoEntry: false })
    if (!stats)
      throw new ApiFailure(
        'NOT_FOUND',
        `There is no ${source.kind === 'pack' ? 'file' : 'folder'} ${target}: check the path, or pick it again`
      )
    if (source.kind === 'pack' && !stats.isFile())
      throw new ApiFailure(
        'INVALID_ARGUMENT',
        `${target} is a folder; pick a .bdpack file (for batchpy results, import their _res folder instead)`
      )
    if (source.kind === 'legacy' && !stats.isDirectory())
      throw new ApiFailure('INVALID_ARGUMENT', `${target} is not a folder; pick batchpy's _res folder`)
  }

  function inspectIn(source: Source, project: Project): Promise<PackInspection> {
    return source.kind === 'pack'
      ? inspectPackInWorker(source.file, project)
      : importLegacyResultsInWorker(source.folder, project, { batch: source.batch, dryRun: true })
  }

  /** Compares the source with the project it would go into; nothing is written anywhere. */
  async function inspect(source: Source, into: TargetInput | undefined): Promise<PackPreview> {
    requireSource(source)
    return guarded(async () => {
      const current = app.project
      if (!into || (current && !into.create && path.resolve(into.dir) === current.dir)) {
        const project = app.requireProject()
        const inspection = await inspectIn(source, project)
        return packPreview(inspection, source.kind, targetInfo(project, false))
      }
      const dir = path.resolve(into.dir)
      if (into.create) {
        refuseProjectFolder(dir)
        // A new project has nothing yet: compare with an empty stand-in that is thrown away afterwards.
        const scratch = mkdtempSync(path.join(tmpdir(), 'batchdesk-pack-preview-'))
        const project = await Project.create(path.join(scratch, 'project'), { name: into.name })
        try {
          const inspection = await inspectIn(source, project)
          return packPreview(inspection, source.kind, {
            dir,
            name: into.name ?? path.basename(dir),
            create: true
          })
        } finally {
          project.close()
          rmSync(scratch, { recursive: true, force: true })
        }
      }
      requireProjectFolder(dir)
      const project = await Project.open(dir, { readOnly: true })
      try {
        return packPreview(await inspectIn(source, project), source.kind, targetInfo(project, false))
      } finally {
        project.close()
      }
    })
  }

  /** Imports the source into the open project, another project folder, or a new project, and opens that project. */
  async function importInto(
    source: Source,
    conflicts: ConflictPolicy,
    into: TargetInput | undefined
  ): Promise<PackImportSummary> {
    requireSource(source)
    if (importing)
      throw new ApiFailure(
        'CONFLICT',
        'An import is already running: wait for it to finish, then import again'
      )
    importing = true
    try {
      const current = app.project
      if (!into || (current && !into.create && path.resolve(into.dir) === current.dir)) {
        const project = app.requireWritableProject()
        if (app.isExecuting())
          throw new ApiFailure(
            'CONFLICT',
            'A batch of this project is computing: wait for it to finish (or cancel it), then import'
          )
        const report = await guarded(() => importWith(source, project, conflicts))
        app.resultsImported()
        return importSummary(report, source.kind, targetInfo(project, false), app)
      }
      const dir = path.resolve(into.dir)
      let project: Project
      let createdFolder = false
      if (into.create) {
        refuseProjectFolder(dir)
        createdFolder = !existsSync(dir)
        project = await Project.create(dir, { name: into.name })
      } else {
        requireProjectFolder(dir)
        project = await Project.open(dir)
      }
      let report: PackImportReport
      try {
        report = await guarded(() => importWith(source, project, conflicts))
      } catch (error) {
        project.close()
        // A project made for this import and still empty goes again, so a failed import leaves nothing behind.
        if (createdFolder) rmSync(dir, { recursive: true, force: true })
        throw error
      }
      await app.adoptProject(project)
      return importSummary(report, source.kind, targetInfo(project, into.create), app)
    } finally {
      importing = false
    }
  }

  return {
    inspect: ({ file, into }) => inspect({ kind: 'pack', file }, into),
    import: ({ file, conflicts, into }) => importInto({ kind: 'pack', file }, conflicts, into),
    inspectLegacy: ({ folder, batch, into }) => inspect({ kind: 'legacy', folder, batch }, into),
    importLegacy: ({ folder, batch, conflicts, into }) =>
      importInto({ kind: 'legacy', folder, batch }, conflicts, into),

    export: async ({ file, batch, conditions, overwrite }) => {
      const project = app.requireProject()
      if (batch) selectRuns(app.projectBatch(batch).batch, conditions)
      const parsed = conditions.filter((text) => text.trim() !== '').map((text) => parseCondition(text))
      const target = path.resolve(file)
      const existing = statSync(target, { throwIfNoEntry: false })
      if (existing?.isDirectory())
        throw new ApiFailure('INVALID_ARGUMENT', `${target} is a folder; give a file name ending in .bdpack`)
      if (existing && !overwrite)
        throw new ApiFailure('CONFLICT', `${target} already exists: choose another name, or replace it`)
      mkdirSync(path.dirname(target), { recursive: true })
      const author = app.config.settings.author.trim()
      const report = await guarded(() =>
        exportPack(project, target, { batch, conditions: parsed, author: author || undefined })
      )
      return {
        file: report.file,
        runs: report.runs,
        bytes: report.bytes,
        batches: report.batches,
        skipped: report.skipped.length
      }
    },

    exportLocation: (input) => {
      const project = app.requireProject()
      const dir = path.join(homedir(), 'Batchdesk', 'exports')
      const date = new Date()
      const day = `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`
      const parts = [project.manifest.name, input?.batch ?? 'all', day].map(fileNamePart)
      const base = parts.join('-')
      let name = `${base}.bdpack`
      for (let n = 2; existsSync(path.join(dir, name)); n++) name = `${base}-${n}.bdpack`
      return { dir, name, file: path.join(dir, name) }
    },

    code: ({ file, path: codePath }) => {
      requireSource({ kind: 'pack', file })
      const slash = codePath.indexOf('/')
      return guarded(() => readPackCode(file, codePath.slice(0, slash), codePath.slice(slash + 1)))
    },

    browse: (input) => {
      const home = homedir()
      const dir = path.resolve(input?.dir ?? home)
      if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory())
        throw new ApiFailure('NOT_FOUND', `The folder ${dir} does not exist`)
      const folders: PackBrowseEntry[] = []
      const packs: PackBrowseEntry[] = []
      const legacy = new Map<string, number>()
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.name.startsWith('.') || entry.name === 'node_modules') continue
        const full = path.join(dir, entry.name)
        if (entry.isDirectory()) {
          folders.push({ name: entry.name, path: full, kind: 'folder', bytes: null, modifiedAt: null })
        } else if (entry.isFile() && /\.(bdpack|zip)$/i.test(entry.name)) {
          const stats = statSync(full, { throwIfNoEntry: false })
          packs.push({
            name: entry.name,
            path: full,
            kind: 'pack',
            bytes: stats?.size ?? null,
            modifiedAt: stats ? Math.round(stats.mtimeMs) : null
          })
        } else if (entry.isFile()) {
          const match = LEGACY_FILE.exec(entry.name)
          if (match && match[2] !== 'ids') legacy.set(match[1], (legacy.get(match[1]) ?? 0) + 1)
        }
      }
      const byName = (a: PackBrowseEntry, b: PackBrowseEntry) => a.name.localeCompare(b.name)
      const parent = path.dirname(dir)
      return {
        dir,
        parent: parent === dir ? null : parent,
        home,
        entries: [...folders.sort(byName), ...packs.sort(byName)].slice(0, MAX_BROWSE_ENTRIES),
        legacyBatches: [...legacy.entries()].sort((a, b) => b[1] - a[1]).map(([name]) => name)
      }
    },

    pickSource: async ({ kind }) => {
      if (!app.hooks.pickPackSource) return { supported: false, path: null }
      return { supported: true, path: await app.hooks.pickPackSource(kind) }
    },

    pickExportFile: async (input) => {
      if (!app.hooks.pickExportFile) return { supported: false, file: null }
      return { supported: true, file: await app.hooks.pickExportFile(input?.defaultPath) }
    },

    uploadBegin: ({ name, bytes }) => uploads.begin(name, bytes),
    uploadChunk: ({ upload, offset, data }) => uploads.chunk(upload, offset, data),
    uploadEnd: ({ upload }) => uploads.end(upload),
    uploadCancel: async ({ upload }) => {
      await uploads.cancel(upload)
      return null
    }
  }
}

function importWith(source: Source, project: Project, conflicts: ConflictPolicy): Promise<PackImportReport> {
  return source.kind === 'pack'
    ? importPackInWorker(source.file, project, { conflicts })
    : importLegacyResultsInWorker(source.folder, project, { batch: source.batch, conflicts })
}

function importSummary(
  report: PackImportReport,
  kind: 'pack' | 'legacy',
  target: PackTargetInfo,
  app: AppService
): PackImportSummary {
  return {
    preview: packPreview(report, kind, target),
    imported: report.imported,
    addedBatches: report.addedBatches,
    keptBoth: report.keptBoth,
    project: app.summary()
  }
}

function targetInfo(project: Project, create: boolean): PackTargetInfo {
  return { dir: project.dir, name: project.manifest.name, create }
}

function refuseProjectFolder(dir: string): void {
  if (existsSync(path.join(dir, MANIFEST_FILE)))
    throw new ApiFailure(
      'CONFLICT',
      `${dir} already holds a project: import into it as an existing project, or pick a new folder`
    )
  const stats = statSync(dir, { throwIfNoEntry: false })
  if (stats && !stats.isDirectory())
    throw new ApiFailure('INVALID_ARGUMENT', `${dir} is a file; pick a folder for the new project`)
}

function requireProjectFolder(dir: string): void {
  if (!existsSync(dir)) throw new ApiFailure('NOT_FOUND', `The folder ${dir} does not exist`)
  if (!existsSync(path.join(dir, MANIFEST_FILE)))
    throw new ApiFailure(
      'NOT_FOUND',
      `${dir} is not a Batchdesk project (it has no ${MANIFEST_FILE}); pick a project folder or import into a new project`
    )
}

/** A project or batch name as a safe part of a file name. */
function fileNamePart(name: string): string {
  return (
    name
      .replace(/[^A-Za-z0-9_.-]+/g, '-')
      .replace(/^[-.]+|-+$/g, '')
      .slice(0, 60) || 'batchdesk'
  )
}
