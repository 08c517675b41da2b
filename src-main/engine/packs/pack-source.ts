/**
 * Reading a pack: the manifest, the reference source files, and every listed record verified one by one as
 * its entry is inflated, so memory stays at about one record whatever the pack's size. Nothing here touches
 * a project: this is the part that runs in a worker thread (see worker-source.ts).
 */
import { PackError, RunRejection } from './errors'
import {
  MANIFEST_ENTRY,
  PACK_FORMAT,
  PACK_KIND,
  packManifestSchema,
  type PackLimits,
  type PackManifest,
  type PackRun
} from './format'
import { parseUntrustedJson, UnsafeJsonError } from './safe-json'
import { sha256Hex, verifyRecord, type VerifiedRecord } from './verify-record'
import { displayName, EntryReadError, PackZip, type PackEntry } from './zip-reader'

/** A run of the pack that was refused, and why. */
export interface RejectedRun {
  batch: string
  id: string
  reason: string
}

/** A verified run, without its (possibly large) record. */
export interface ScannedRun {
  batch: string
  id: string
  runClass: string
  codeHash: string
  runtime: number
  /** sha256 of the record body. */
  sha256: string
  /** sha256 of the encoded result JSON, compared with a stored result of the same id. */
  resultSha256: string
}

/** A reference source file of a batch, as the pack holds it (never executed). */
export interface PackSourceFile {
  batch: string
  file: string
  content: Buffer
}

/** Everything known about a pack after reading and verifying all of it. */
export interface PackScan {
  file: string
  format: number
  app: { name: string; version: string }
  createdAt: string
  author: string | null
  project: string | null
  /** Batches in manifest order, with their run counts as listed. */
  batches: { name: string; runClass: string; listedRuns: number }[]
  runs: ScannedRun[]
  rejected: RejectedRun[]
  code: PackSourceFile[]
  /** Source files that were listed but could not be used (they are skipped; runs are not affected). */
  codeRejected: { batch: string; file: string; reason: string }[]
}

/** Where verified pack data comes from: this thread (openPack) or a worker thread (openPackInWorker). */
export interface PackSource {
  /** Reads and verifies the whole pack. */
  scan(): Promise<PackScan>
  /**
   * Reads the records of the selected runs (keys `batch/id`) again, verifying each as scan() did, and hands
   * them over in chunks of about `chunkBytes`; the next chunk is read once `onChunk` resolved.
   */
  records(
    select: ReadonlySet<string>,
    chunkBytes: number,
    onChunk: (records: VerifiedRecord[]) => Promise<void>
  ): Promise<void>
  close(): Promise<void>
}

/** `batch/id`, the key of a run across batches. */
export function runKey(batch: string, id: string): string {
  return `${batch}/${id}`
}

/**
 * Opens a pack in this thread: checks the zip's entries and reads manifest.json.
 * @throws PackError when the pack as a whole is unusable.
 */
export async function openPack(file: string, limits: PackLimits): Promise<PackSource> {
  const zip = await PackZip.open(file, limits)
  try {
    const manifest = await readManifest(zip, limits)
    return new InlinePackSource(zip, manifest, limits)
  } catch (error) {
    zip.close()
    throw error
  }
}

class InlinePackSource implements PackSource {
  readonly #zip: PackZip
  readonly #manifest: PackManifest
  readonly #limits: PackLimits

  constructor(zip: PackZip, manifest: PackManifest, limits: PackLimits) {
    this.#zip = zip
    this.#manifest = manifest
    this.#limits = limits
  }

  async scan(): Promise<PackScan> {
    const manifest = this.#manifest
    const runs: ScannedRun[] = []
    const rejected: RejectedRun[] = []
    await forEachRecord(this.#zip, manifest, this.#limits, undefined, {
      accept: async (record) => {
        runs.push({
          batch: record.batch,
          id: record.id,
          runClass: record.runClass,
          codeHash: record.codeHash,
          runtime: record.runtime,
          sha256: record.sha256,
          resultSha256: record.resultSha256
        })
      },
      reject: (run, reason) => rejected.push({ batch: run.batch, id: run.id, reason })
    })
    const { code, codeRejected } = await readSourceFiles(this.#zip, manifest)
    const listed = new Map<string, number>()
    for (const run of manifest.runs) listed.set(run.batch, (listed.get(run.batch) ?? 0) + 1)
    return {
      file: this.#zip.file,
      format: manifest.format,
      app: manifest.app,
      createdAt: manifest.createdAt,
      author: manifest.author,
      project: manifest.project,
      batches: manifest.batches.map((batch) => ({
        name: batch.name,
        runClass: batch.runClass,
        listedRuns: listed.get(batch.name) ?? 0
      })),
      runs,
      rejected,
      code,
      codeRejected
    }
  }

  async records(
    select: ReadonlySet<string>,
    chunkBytes: number,
    onChunk: (records: VerifiedRecord[]) => Promise<void>
  ): Promise<void> {
    let chunk: VerifiedRecord[] = []
    let bytes = 0
    await forEachRecord(this.#zip, this.#manifest, this.#limits, select, {
      accept: async (record) => {
        chunk.push(record)
        bytes += record.resultJson.length + record.parametersJson.length + record.log.length
        if (bytes >= chunkBytes) {
          const full = chunk
          chunk = []
          bytes = 0
          await onChunk(full)
        }
      },
      // A run that verified during scan() and fails now means the file changed in between.
      reject: (run, reason) => {
        throw new PackError(
          'CHANGED',
          `${displayName(this.#zip.file)} changed while it was being imported (run ${run.id} of batch ${run.batch}: ${reason}); import it again`
        )
      }
    })
    if (chunk.length > 0) await onChunk(chunk)
  }

  async close(): Promise<void> {
    this.#zip.close()
  }
}

async function readManifest(zip: PackZip, limits: PackLimits): Promise<PackManifest> {
  const label = displayName(zip.file)
  const entry = zip.entries.get(MANIFEST_ENTRY)
  if (!entry)
    throw new PackError('NOT_A_PACK', `${label} has no manifest.json, so it is not a Batchdesk result pack`)
  let bytes: Buffer
  try {
    bytes = await zip.read(entry)
  } catch (error) {
    if (error instanceof EntryReadError)
      throw new PackError('MANIFEST', `${label}: ${error.message}; the pack is damaged`)
    throw error
  }
  let raw: unknown
  try {
    raw = parseUntrustedJson(bytes, limits.maxManifestDepth)
  } catch (error) {
    if (!(error instanceof UnsafeJsonError)) throw error
    throw new PackError(
      error.kind === 'depth' ? 'LIMIT' : 'MANIFEST',
      `${label}: manifest.json ${error.message}`
    )
  }
  const head =
    raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {}
  if (head.kind !== PACK_KIND)
    throw new PackError(
      'NOT_A_PACK',
      `${label}: manifest.json is not a Batchdesk pack manifest (its "kind" is not "${PACK_KIND}")`
    )
  if (typeof head.format === 'number' && head.format > PACK_FORMAT) {
    throw new PackError(
      'VERSION',
      `${label} was written by a newer Batchdesk (pack format ${head.format}; this one reads format ${PACK_FORMAT}); update Batchdesk to import it`
    )
  }
  const parsed = packManifestSchema.safeParse(raw)
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join('.') || '(top level)'}: ${issue.message}`)
    throw new PackError(
      'MANIFEST',
      `${label}: manifest.json does not match the pack format:\n  ${issues.join('\n  ')}`
    )
  }
  const names = new Set<string>()
  for (const batch of parsed.data.batches) {
    if (names.has(batch.name))
      throw new PackError('MANIFEST', `${label}: manifest.json lists the batch ${batch.name} twice`)
    names.add(batch.name)
  }
  return parsed.data
}

interface RecordHandlers {
  accept(record: VerifiedRecord): Promise<void>
  reject(run: PackRun, reason: string): void
}

/**
 * Verifies the listed runs (all, or those in `select`) entry by entry in zip order, streaming each entry and
 * cutting records out of it by offset, so only one record is held at a time.
 */
async function forEachRecord(
  zip: PackZip,
  manifest: PackManifest,
  limits: PackLimits,
  select: ReadonlySet<string> | undefined,
  handlers: RecordHandlers
): Promise<void> {
  const batchNames = new Set(manifest.batches.map((batch) => batch.name))
  const seen = new Set<string>()
  const byEntry = new Map<PackEntry, PackRun[]>()
  for (const run of manifest.runs) {
    const key = runKey(run.batch, run.id)
    if (select && !select.has(key)) continue
    const problem = placementProblem(run, zip, batchNames, seen)
    seen.add(key)
    if (problem) {
      handlers.reject(run, problem)
      continue
    }
    const entry = zip.entries.get(run.entry)!
    let list = byEntry.get(entry)
    if (!list) byEntry.set(entry, (list = []))
    list.push(run)
  }
  const entries = [...byEntry.keys()].sort((a, b) => a.order - b.order)
  for (const entry of entries) {
    const runs = byEntry.get(entry)!.sort((a, b) => a.offset - b.offset)
    // Records in one entry must not overlap: each byte belongs to at most one run.
    const placed: PackRun[] = []
    let end = 0
    for (const run of runs) {
      if (run.offset < end) handlers.reject(run, `its bytes in ${entry.name} overlap another run's`)
      else {
        placed.push(run)
        end = run.offset + run.length
      }
    }
    await readEntryRecords(zip, entry, placed, limits, handlers)
  }
}

function placementProblem(
  run: PackRun,
  zip: PackZip,
  batchNames: ReadonlySet<string>,
  seen: ReadonlySet<string>
): string | undefined {
  if (seen.has(runKey(run.batch, run.id))) return 'manifest.json lists it twice'
  if (!batchNames.has(run.batch)) return `manifest.json does not list its batch ${run.batch}`
  const entry = zip.entries.get(run.entry)
  if (!entry) return `its entry ${run.entry} is not in the pack`
  if (entry.kind.kind !== 'results' || entry.kind.batch !== run.batch)
    return `its entry ${run.entry} is not a result entry of batch ${run.batch}`
  if (run.length === 0 || run.offset + run.length > entry.uncompressedSize)
    return `its place in ${run.entry} (bytes ${run.offset} to ${run.offset + run.length}) is outside the entry`
  return undefined
}

async function readEntryRecords(
  zip: PackZip,
  entry: PackEntry,
  runs: PackRun[],
  limits: PackLimits,
  handlers: RecordHandlers
): Promise<void> {
  let next = 0
  let position = 0
  let parts: Buffer[] = []
  let collected = 0
  try {
    for await (const chunk of zip.chunks(entry)) {
      let at = 0
      while (next < runs.length && at < chunk.length) {
        const run = runs[next]
        const wanted = run.offset + collected - position
        if (wanted > 0) {
          const skip = Math.min(wanted, chunk.length - at)
          at += skip
          position += skip
          continue
        }
        const take = Math.min(run.length - collected, chunk.length - at)
        parts.push(chunk.subarray(at, at + take))
        at += take
        position += take
        collected += take
        if (collected === run.length) {
          const body = parts.length === 1 ? parts[0] : Buffer.concat(parts)
          parts = []
          collected = 0
          next++
          await verifyAndHand(run, body, limits, handlers)
        }
      }
      if (next === runs.length) break
    }
  } catch (error) {
    if (!(error instanceof EntryReadError)) throw error
    for (; next < runs.length; next++) handlers.reject(runs[next], error.message)
    return
  }
  for (; next < runs.length; next++) handlers.reject(runs[next], `${entry.name} ends before its bytes`)
}

async function verifyAndHand(
  run: PackRun,
  body: Buffer,
  limits: PackLimits,
  handlers: RecordHandlers
): Promise<void> {
  let record: VerifiedRecord
  try {
    record = verifyRecord(run, body, limits)
  } catch (error) {
    if (!(error instanceof RunRejection)) throw error
    handlers.reject(run, error.message)
    return
  }
  await handlers.accept(record)
}

async function readSourceFiles(
  zip: PackZip,
  manifest: PackManifest
): Promise<{ code: PackSourceFile[]; codeRejected: PackScan['codeRejected'] }> {
  const code: PackSourceFile[] = []
  const codeRejected: PackScan['codeRejected'] = []
  for (const batch of manifest.batches) {
    const files = new Set<string>()
    for (const listed of batch.code) {
      const entry = zip.entries.get(listed.entry)
      const reject = (reason: string) => codeRejected.push({ batch: batch.name, file: listed.file, reason })
      if (files.has(listed.file)) {
        reject('listed twice')
        continue
      }
      files.add(listed.file)
      if (
        !entry ||
        entry.kind.kind !== 'code' ||
        entry.kind.batch !== batch.name ||
        entry.kind.file !== listed.file
      ) {
        reject(`its entry ${listed.entry} is not code/${batch.name}/${listed.file} in the pack`)
        continue
      }
      let content: Buffer
      try {
        content = await zip.read(entry)
      } catch (error) {
        if (!(error instanceof EntryReadError)) throw error
        reject(error.message)
        continue
      }
      if (sha256Hex(content) !== listed.sha256) {
        reject('its content does not match the sha256 in manifest.json')
        continue
      }
      code.push({ batch: batch.name, file: listed.file, content })
    }
  }
  return { code, codeRejected }
}
