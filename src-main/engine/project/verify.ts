/**
 * Checks a project's stored results without trusting anything but the bytes: every result file is read
 * again, every record's checksum checked and its result decoded; damage, unfinished saves, leftover
 * temporary files and results of batches the manifest no longer has are reported in plain language.
 * Used by `batchdesk verify` and the app.
 */
import Database from 'better-sqlite3'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import path from 'node:path'
import { acquireStore } from '../store'
import { decodeResult } from '../store/codec'
import { StoreFormatError } from '../store/errors'
import { identifyDamaged, readOneFrame, scanFrames } from '../store/frame'
import { classifyResultFiles } from '../store/result-files'
import { parseRecordBody } from '../store/record'
import { MANIFEST_FILE, parseManifest } from './manifest'
import { NotAProjectError } from './project'

export type VerifyProblemKind =
  /** A record whose bytes fail their checksum or framing. */
  | 'corrupt'
  /** An intact record this Batchdesk cannot read (another format version, bad JSON, a result that does not decode). */
  | 'unreadable'
  /** Bytes of a save that never finished, at the end of a segment (or an empty segment). */
  | 'unfinished-save'
  /** A temporary file left by an interrupted save. */
  | 'temp-file'
  /** Results of a batch that is not in the manifest. */
  | 'orphaned'
  /** The run index itself is damaged. */
  | 'index'

export interface VerifyProblem {
  kind: VerifyProblemKind
  /** Path of the file, relative to the project folder. */
  file: string
  /** What is wrong and what happens next, in plain language. */
  message: string
}

export interface ProjectVerifyReport {
  dir: string
  /** Result files read (segments and .bdr files). */
  files: number
  /** Records found intact and readable. */
  results: number
  problems: VerifyProblem[]
  /** Things worth knowing that are not problems (a damaged copy superseded by an intact one, say). */
  notes: string[]
  /** Runs in the index after rebuilding it; undefined when it was not rebuilt. */
  indexRebuiltWith: number | undefined
  /** True when there are no problems. */
  clean: boolean
}

export interface VerifyProjectOptions {
  /** Rebuild the run index from the result files first (takes the project's write lock). Default false. */
  rebuildIndex?: boolean
}

interface Damage {
  file: string
  offset: number
  length: number
  reason: string
  batch?: string
  id?: string
}

/**
 * Verifies the results of the project in `dir`. Reads only, unless `rebuildIndex` is set: then it opens the
 * project for writing (which also cuts off unfinished saves and removes temporary files) and rebuilds the index.
 * @throws NotAProjectError, ManifestError; ProjectInUseError when rebuilding while another process writes.
 */
export async function verifyProject(
  dir: string,
  options: VerifyProjectOptions = {}
): Promise<ProjectVerifyReport> {
  const projectDir = path.resolve(dir)
  const manifestPath = path.join(projectDir, MANIFEST_FILE)
  if (!existsSync(manifestPath)) throw new NotAProjectError(projectDir)
  const manifest = parseManifest(readFileSync(manifestPath, 'utf8'), manifestPath)
  const batches = new Set(manifest.batches.map((batch) => batch.name))
  const resDir = path.join(projectDir, '_res')
  const report: ProjectVerifyReport = {
    dir: projectDir,
    files: 0,
    results: 0,
    problems: [],
    notes: [],
    indexRebuiltWith: undefined,
    clean: true
  }
  if (!existsSync(resDir)) return report
  const relative = (name: string) => path.join('_res', name)

  if (options.rebuildIndex) {
    const store = acquireStore(resDir)
    try {
      store.rebuildIndex()
      report.indexRebuiltWith = store.batches().reduce((sum, batch) => sum + store.storedIds(batch).size, 0)
    } finally {
      store.release()
    }
  }

  const writer = liveWriter(resDir)
  if (writer)
    report.notes.push(
      `The project is in use by ${writer}: a result being saved right now may show as an unfinished save.`
    )

  const files = classifyResultFiles(readdirSync(resDir))
  const intact = new Set<string>()
  const damages: Damage[] = []
  const readRecord = (body: Buffer, name: string, offset: number): void => {
    try {
      const record = parseRecordBody(body, name, offset)
      decodeResult(record.result)
      intact.add(`${record.batch}:${record.id}`)
      report.results++
    } catch (error) {
      const reason =
        error instanceof StoreFormatError
          ? error.message.slice(`${name} at byte ${offset}: `.length)
          : `its result does not decode (${(error as Error).message})`
      report.problems.push({
        kind: 'unreadable',
        file: relative(name),
        message: `${relative(name)} at byte ${offset}: ${reason}. The run shows as corrupt and is computed again by the next run.`
      })
    }
  }

  for (const segment of files.segments) {
    const bytes = readFileSync(path.join(resDir, segment.name))
    report.files++
    if (bytes.length === 0) {
      report.problems.push({
        kind: 'unfinished-save',
        file: relative(segment.name),
        message: `${relative(segment.name)} is empty: a session that stopped before saving anything. It is removed the next time the project is opened.`
      })
      continue
    }
    const scan = scanFrames(bytes, 0)
    for (const frame of scan.frames) readRecord(frame.body, segment.name, frame.offset)
    for (const region of scan.damaged)
      damages.push({
        file: segment.name,
        offset: region.offset,
        length: region.length,
        reason: region.reason,
        ...identifyDamaged(region.bytes)
      })
    if (scan.end < bytes.length) {
      const torn = bytes.length - scan.end
      const message = `${relative(segment.name)}: the last ${torn} bytes are a save that never finished (Batchdesk or the computer stopped while saving). They were never reported as stored and are cut off the next time the project is opened.`
      if (writer) report.notes.push(message)
      else report.problems.push({ kind: 'unfinished-save', file: relative(segment.name), message })
    }
  }
  for (const record of files.records) {
    const bytes = readFileSync(path.join(resDir, record.name))
    report.files++
    const frame = readOneFrame(bytes)
    if ('reason' in frame)
      damages.push({
        file: record.name,
        offset: 0,
        length: bytes.length,
        reason: frame.reason,
        batch: record.batch,
        id: record.id
      })
    else readRecord(frame.body, record.name, 0)
  }

  // A damaged copy of a run that also has an intact record loses nothing: the intact one is the result.
  for (const damage of damages) {
    const where = `${relative(damage.file)}${damage.offset > 0 ? ` at byte ${damage.offset}` : ''}`
    if (damage.id && intact.has(`${damage.batch}:${damage.id}`)) {
      report.notes.push(
        `${where}: a damaged copy of run ${damage.id} (batch "${damage.batch}"); an intact copy is stored, so nothing is lost.`
      )
    } else if (damage.id) {
      report.problems.push({
        kind: 'corrupt',
        file: relative(damage.file),
        message: `${where}: the result of run ${damage.id} (batch "${damage.batch}") is damaged (${damage.reason}). The run shows as corrupt and is computed again by the next run.`
      })
    } else {
      report.problems.push({
        kind: 'corrupt',
        file: relative(damage.file),
        message: `${where}: ${damage.length} bytes are damaged (${damage.reason}) and the runs they held cannot be named. Rebuild the index (--rebuild-index) so that the runs are computed again.`
      })
    }
  }

  for (const temp of files.temps) {
    report.problems.push({
      kind: 'temp-file',
      file: relative(temp),
      message: `${relative(temp)}: a temporary file left by an interrupted save. It is removed the next time the project is opened.`
    })
  }
  const stateDir = path.join(resDir, '.batchdesk')
  if (existsSync(stateDir)) {
    for (const name of readdirSync(stateDir).filter((n) => /^\.lock\..+\.tmp$/.test(n))) {
      report.problems.push({
        kind: 'temp-file',
        file: relative(path.join('.batchdesk', name)),
        message: `${relative(path.join('.batchdesk', name))}: a temporary file left by an interrupted start. It is removed the next time the project is opened.`
      })
    }
    for (const name of readdirSync(stateDir).filter(
      (n) => /^index\.sqlite\.(broken|newer)-/.test(n) && !/-(wal|shm)$/.test(n)
    )) {
      report.notes.push(
        `${relative(path.join('.batchdesk', name))}: an earlier run index that was set aside (damaged or from a newer Batchdesk); it can be deleted.`
      )
    }
  }

  const orphans = new Map<string, string[]>()
  for (const file of [...files.segments, ...files.records]) {
    if (batches.has(file.batch)) continue
    orphans.set(file.batch, [...(orphans.get(file.batch) ?? []), file.name])
  }
  for (const [batch, names] of orphans) {
    report.problems.push({
      kind: 'orphaned',
      file: relative(names[0]),
      message: `${names.length === 1 ? relative(names[0]) : `${names.length} files (${relative(names[0])}, …)`} hold results of batch "${batch}", which is not in ${MANIFEST_FILE}. Add the batch back to use them, or delete the files.`
    })
  }

  const indexProblem = checkIndex(path.join(stateDir, 'index.sqlite'))
  if (indexProblem)
    report.problems.push({
      kind: 'index',
      file: relative(path.join('.batchdesk', 'index.sqlite')),
      message: indexProblem
    })

  report.clean = report.problems.length === 0
  return report
}

// SQLite's own check, reading only. The index is a cache: a damaged one is rebuilt when the project opens.
function checkIndex(file: string): string | undefined {
  if (!existsSync(file)) return undefined
  let db: Database.Database | undefined
  try {
    const nativeBinding = process.env.BATCHDESK_SQLITE_BINDING
    db = new Database(file, {
      readonly: true,
      fileMustExist: true,
      ...(nativeBinding ? { nativeBinding } : {})
    })
    const result = String(db.pragma('quick_check', { simple: true }))
    if (result === 'ok') return undefined
    return `the run index (_res/.batchdesk/index.sqlite) is damaged (${result.split('\n')[0]}). It is rebuilt from the result files the next time the project is opened, or now with --rebuild-index.`
  } catch (error) {
    return `the run index (_res/.batchdesk/index.sqlite) cannot be read (${(error as Error).message}). It is rebuilt from the result files the next time the project is opened, or now with --rebuild-index.`
  } finally {
    db?.close()
  }
}

/** "host pid N since …" when a live process holds the project's write lock (on this host), else undefined. */
function liveWriter(resDir: string): string | undefined {
  let lock: { pid?: unknown; host?: unknown; since?: unknown }
  try {
    lock = JSON.parse(readFileSync(path.join(resDir, '.batchdesk', 'lock'), 'utf8'))
  } catch {
    return undefined
  }
  if (typeof lock.pid !== 'number' || typeof lock.host !== 'string') return undefined
  const who = `${lock.host} pid ${lock.pid} since ${String(lock.since)}`
  if (lock.host !== hostname()) return who
  try {
    process.kill(lock.pid, 0)
    return lock.pid === process.pid ? undefined : who
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? who : undefined
  }
}
