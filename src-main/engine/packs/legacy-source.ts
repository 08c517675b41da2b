/**
 * A batchpy `_res` folder as a pack source: each `<batch>_<id>.npy` file holds a dict with `res`, `id`,
 * `runtime` and `parameters`. Runs get Batchdesk ids recomputed from their parameters; the batchpy id is
 * kept as the legacy id. A file that cannot be read safely is rejected with its reason; the rest import.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { runId } from '../params/canonical'
import { encodeParameterValue, encodeToJson, scalarFields } from '../store/codec'
import { isBatchName } from '../store/record'
import { PackError, RunRejection } from './errors'
import { readNpy } from './legacy-npy'
import { runKey, type PackScan, type PackSource, type RejectedRun, type ScannedRun } from './pack-source'
import { PickleError } from './pickle'
import { sha256Hex, type VerifiedRecord } from './verify-record'

/** Largest .npy file read. */
const MAX_FILE_BYTES = 1024 * 1024 * 1024

/**
 * Opens a batchpy result folder for batch `batch`.
 * @throws PackError INPUT for a bad batch name, a missing folder, or a folder without files of the batch.
 */
export async function openLegacyFolder(folder: string, batch: string): Promise<PackSource> {
  if (!isBatchName(batch))
    throw new PackError(
      'INPUT',
      `${JSON.stringify(batch)} cannot be a batch name: use 1 to 64 letters, digits, "_", "." or "-"`
    )
  const stats = await stat(folder).catch(() => undefined)
  if (!stats?.isDirectory())
    throw new PackError('INPUT', `${folder} is not a folder; give batchpy's _res folder`)
  const prefix = `${batch}_`
  const files = (await readdir(folder))
    .filter((name) => name.startsWith(prefix) && name.endsWith('.npy') && name !== `${batch}_ids.npy`)
    .sort()
  if (files.length === 0)
    throw new PackError(
      'INPUT',
      `${folder} holds no batchpy results of batch ${batch} (files named ${batch}_<id>.npy)`
    )
  return new LegacySource(folder, batch, files)
}

class LegacySource implements PackSource {
  readonly #folder: string
  readonly #batch: string
  readonly #files: string[]
  /** `batch/id` → the file and its sha256, from scan(). */
  readonly #scanned = new Map<string, { file: string; sha256: string }>()

  constructor(folder: string, batch: string, files: string[]) {
    this.#folder = folder
    this.#batch = batch
    this.#files = files
  }

  async scan(): Promise<PackScan> {
    const runs: ScannedRun[] = []
    const rejected: RejectedRun[] = []
    const byId = new Map<string, string>()
    let newest = 0
    for (const file of this.#files) {
      const legacyId = file.slice(this.#batch.length + 1, -'.npy'.length)
      let record: VerifiedRecord | undefined
      try {
        record = await this.#read(file, legacyId)
        if (!record) continue
        const twin = byId.get(record.id)
        if (twin) throw new RunRejection(`${file} has the same parameters as ${twin}`)
      } catch (error) {
        if (!(error instanceof RunRejection)) throw error
        rejected.push({ batch: this.#batch, id: legacyId, reason: error.message })
        continue
      }
      byId.set(record.id, file)
      newest = Math.max(newest, record.ended)
      this.#scanned.set(runKey(record.batch, record.id), { file, sha256: record.sha256 })
      runs.push({
        batch: record.batch,
        id: record.id,
        runClass: record.runClass,
        codeHash: record.codeHash,
        runtime: record.runtime,
        sha256: record.sha256,
        resultSha256: record.resultSha256
      })
    }
    return {
      file: this.#folder,
      format: 0,
      app: { name: 'batchpy', version: '' },
      createdAt: new Date(newest || Date.now()).toISOString(),
      author: null,
      project: null,
      batches: [{ name: this.#batch, runClass: 'batchpy', listedRuns: this.#files.length }],
      runs,
      rejected,
      code: [],
      codeRejected: []
    }
  }

  async records(
    select: ReadonlySet<string>,
    chunkBytes: number,
    onChunk: (records: VerifiedRecord[]) => Promise<void>
  ): Promise<void> {
    let chunk: VerifiedRecord[] = []
    let bytes = 0
    for (const key of select) {
      const scanned = this.#scanned.get(key)
      if (!scanned) continue
      const legacyId = scanned.file.slice(this.#batch.length + 1, -'.npy'.length)
      let record: VerifiedRecord | undefined
      try {
        record = await this.#read(scanned.file, legacyId)
      } catch (error) {
        if (!(error instanceof RunRejection)) throw error
      }
      if (!record || record.sha256 !== scanned.sha256) {
        throw new PackError(
          'CHANGED',
          `${scanned.file} in ${this.#folder} changed while it was being imported; import the folder again`
        )
      }
      chunk.push(record)
      bytes += record.resultJson.length + record.parametersJson.length
      if (bytes >= chunkBytes) {
        await onChunk(chunk)
        chunk = []
        bytes = 0
      }
    }
    if (chunk.length > 0) await onChunk(chunk)
  }

  async close(): Promise<void> {}

  /** Reads one file; undefined for a file of another batch whose name starts like this one's. */
  async #read(file: string, legacyId: string): Promise<VerifiedRecord | undefined> {
    const full = path.join(this.#folder, file)
    const stats = await stat(full)
    if (!stats.isFile()) throw new RunRejection(`${file} is not a file`)
    if (stats.size > MAX_FILE_BYTES) throw new RunRejection(`${file} is larger than 1 GiB`)
    const bytes = await readFile(full)
    let value: unknown
    try {
      value = readNpy(bytes, file)
    } catch (error) {
      if (error instanceof PickleError) throw new RunRejection(error.message)
      throw error
    }
    if (
      value === null ||
      typeof value !== 'object' ||
      Array.isArray(value) ||
      !Object.hasOwn(value, 'res') ||
      !Object.hasOwn(value, 'parameters')
    ) {
      throw new RunRejection(
        `${file} does not hold a batchpy result (a dict with 'res', 'id', 'runtime' and 'parameters')`
      )
    }
    const saved = value as { res: unknown; id?: unknown; runtime?: unknown; parameters: unknown }
    const savedId = typeof saved.id === 'string' ? saved.id : legacyId
    // "example_2_<id>.npy" matches batch "example" by name; its own id tells it apart.
    if (savedId !== legacyId && !/^[0-9a-f]{40}$/.test(legacyId)) return undefined
    const parameters = saved.parameters
    if (
      parameters === null ||
      typeof parameters !== 'object' ||
      Array.isArray(parameters) ||
      ArrayBuffer.isView(parameters) ||
      parameters instanceof Set
    ) {
      throw new RunRejection(`${file}: its 'parameters' are not a dict`)
    }
    let id: string
    let parametersJson: string
    let resultJson: string
    try {
      id = runId(parameters as Record<string, unknown>)
      parametersJson = JSON.stringify(encodeParameterValue(parameters, 'parameters'))
      resultJson = encodeToJson(saved.res, 'res')
    } catch (error) {
      throw new RunRejection(`${file}: ${(error as Error).message}`)
    }
    const runtime =
      typeof saved.runtime === 'number' && Number.isFinite(saved.runtime) && saved.runtime >= 0
        ? saved.runtime
        : 0
    const ended = Math.round(stats.mtimeMs)
    return {
      batch: this.#batch,
      id,
      runClass: 'batchpy',
      codeHash: '',
      parametersJson,
      runtime,
      started: ended - Math.round(runtime * 1000),
      ended,
      host: '',
      log: '',
      logTruncated: false,
      resultJson,
      scalarsJson: JSON.stringify(scalarFields(saved.res)),
      sha256: sha256Hex(bytes),
      resultSha256: sha256Hex(resultJson),
      legacyId: savedId
    }
  }
}
