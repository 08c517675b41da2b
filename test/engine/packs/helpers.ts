/** Shared helpers for the result pack tests: projects with stored results, hand-made zips, folder snapshots. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { deflateRawSync } from 'node:zlib'
import * as yauzl from 'yauzl'
import { runId } from '../../../src-main/engine/params/canonical'
import { FunctionRef } from '../../../src-main/engine/params/function-ref'
import { Project } from '../../../src-main/engine/project/project'
import { acquireStore, type NewResult } from '../../../src-main/engine/store'
import { encodeParameterValue, encodeToJson, scalarFields } from '../../../src-main/engine/store/codec'

/** A fresh folder under the OS temp folder; remove it with `rmSync(dir, { recursive: true })`. */
export function makeTempFolder(prefix = 'bd-packs-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix))
}

export function removeFolder(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

const RUN_CLASS = `import { Run } from 'batchdesk'

export function max(values: number[]): number {
  return Math.max(...values)
}

export default class SweepRun extends Run {
  run({ A = 0, B = [1, 2, 3], operator = max }) {
    return { val: A * operator(B) }
  }
}
`

export interface StoredRun {
  parameters: Record<string, unknown>
  result: unknown
  runtime?: number
  log?: string
}

/** A NewResult for `run` in `batch`, its id computed as the engine computes it. */
export function newResult(batch: string, run: StoredRun, n = 0): NewResult {
  return {
    batch,
    id: runId(run.parameters),
    runClass: 'SweepRun',
    codeHash: 'c0de',
    parametersJson: JSON.stringify(encodeParameterValue(run.parameters)),
    runtime: run.runtime ?? 0.25 + n / 1000,
    started: 1_764_000_000_000 + n * 10,
    ended: 1_764_000_000_005 + n * 10,
    host: 'colleague-laptop',
    log: run.log ?? `run ${n}\n`,
    logTruncated: false,
    resultJson: encodeToJson(run.result),
    scalarsJson: JSON.stringify(scalarFields(run.result))
  }
}

/** Runs with values JSON alone would lose: NaN, -0, typed arrays, Dates, nested objects, unicode, functions by name. */
export function exoticRuns(count: number): StoredRun[] {
  return Array.from({ length: count }, (_, n) => ({
    parameters: { A: n, B: [n, n + 1.5], operator: new FunctionRef('max'), label: `ré ${n} ✓` },
    result: {
      val: n * 1.1,
      nan: NaN,
      negZero: -0,
      curve: Float64Array.from({ length: 8 }, (_, i) => Math.sin(n + i)),
      counts: Int32Array.of(n, -n, 7),
      at: new Date(Date.UTC(2026, 0, 1 + (n % 28))),
      nested: { deep: [{ x: n, text: 'a\u0000b\n"q"' }], none: null, undef: undefined },
      $bd: 'a user key that looks like a tag'
    },
    log: `line 1 of ${n}\nline 2 ✓\n`
  }))
}

/**
 * A project folder with one batch per entry of `batches` (run class file `sweep_run.ts`), whose results
 * are written straight to the store (nothing is computed). Returns the project folder.
 */
export async function makeProject(
  dir: string,
  batches: Record<string, StoredRun[]>,
  options: { author?: string } = {}
): Promise<string> {
  const project = await Project.create(dir, { name: path.basename(dir) })
  try {
    writeFileSync(path.join(project.dir, 'sweep_run.ts'), RUN_CLASS)
    for (const name of Object.keys(batches)) await project.addBatch(name, 'sweep_run.ts')
    if (options.author) project.manifest.settings.author = options.author
    project.save()
  } finally {
    project.close()
  }
  const store = acquireStore(path.join(dir, '_res'))
  try {
    for (const [name, runs] of Object.entries(batches))
      await store.write(runs.map((run, n) => newResult(name, run, n)))
  } finally {
    store.release()
  }
  return dir
}

/** An empty project folder. */
export async function makeEmptyProject(dir: string): Promise<string> {
  const project = await Project.create(dir, { name: path.basename(dir) })
  project.close()
  return dir
}

/** Runs `work` with the project at `dir` open for writing, closing it afterwards. */
export async function withProject<T>(dir: string, work: (project: Project) => Promise<T>): Promise<T> {
  const project = await Project.open(dir)
  try {
    return await work(project)
  } finally {
    project.close()
  }
}

/** Every stored record of `batch` in the project at `dir`: id → raw body bytes. */
export function storedBodies(dir: string, batch: string): Map<string, Buffer> {
  const store = acquireStore(path.join(dir, '_res'))
  try {
    return new Map(store.listMeta(batch).map((meta) => [meta.id, store.readRecordBody(batch, meta.id)!]))
  } finally {
    store.release()
  }
}

// ---- zips ---------------------------------------------------------------------------------------------

/** One entry of a hand-made zip; anything a hostile tool could write can be expressed. */
export interface CraftedEntry {
  name: string
  data: Buffer
  /** Deflate the data (default true). */
  deflate?: boolean
  /** Unix mode stored in the external attributes (default a regular file, 0o100644). */
  mode?: number
  /** Override the sizes written in the headers. */
  declaredSize?: number
}

/** Writes a zip byte for byte (no validation), so tests can make the malformed packs tools refuse to write. */
export function craftZip(entries: CraftedEntry[], options: { declaredEntryCount?: number } = {}): Buffer {
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'latin1')
    const deflate = entry.deflate !== false
    const payload = deflate ? deflateRawSync(entry.data) : entry.data
    const size = entry.declaredSize ?? entry.data.length
    const crc = crc32(entry.data)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(0, 6)
    local.writeUInt16LE(deflate ? 8 : 0, 8)
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(payload.length, 18)
    local.writeUInt32LE(size, 22)
    local.writeUInt16LE(name.length, 26)
    locals.push(local, name, payload)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE((3 << 8) | 20, 4)
    central.writeUInt16LE(20, 6)
    central.writeUInt16LE(deflate ? 8 : 0, 10)
    central.writeUInt32LE(crc, 16)
    central.writeUInt32LE(payload.length, 20)
    central.writeUInt32LE(size, 24)
    central.writeUInt16LE(name.length, 28)
    central.writeUInt32LE(((entry.mode ?? 0o100644) << 16) >>> 0, 38)
    central.writeUInt32LE(offset, 42)
    centrals.push(central, name)
    offset += 30 + name.length + payload.length
  }
  const directory = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  const count = options.declaredEntryCount ?? entries.length
  end.writeUInt16LE(Math.min(count, 0xffff), 8)
  end.writeUInt16LE(Math.min(count, 0xffff), 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, directory, end])
}

function crc32(data: Buffer): number {
  let crc = 0xffffffff
  for (const byte of data) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

/** The entries of a (well-formed) zip: name and inflated data, in order. */
export async function readZip(file: string): Promise<{ name: string; data: Buffer }[]> {
  const zip = await yauzl.openPromise(file)
  const out: { name: string; data: Buffer }[] = []
  try {
    for await (const entry of zip.eachEntry()) {
      const stream = await zip.openReadStreamPromise(entry)
      const parts: Buffer[] = []
      for await (const chunk of stream) parts.push(chunk as Buffer)
      out.push({ name: entry.fileName, data: Buffer.concat(parts) })
    }
  } finally {
    zip.close()
  }
  return out
}

/** Rewrites a pack: its entries passed through `edit` (which may change names, data or the list). */
export async function rewritePack(
  from: string,
  to: string,
  edit: (entries: CraftedEntry[]) => CraftedEntry[]
): Promise<void> {
  const entries = (await readZip(from)).map((entry): CraftedEntry => ({ name: entry.name, data: entry.data }))
  writeFileSync(to, craftZip(edit(entries)))
}

/** The manifest of a pack, parsed. */
export async function packManifest(file: string): Promise<Record<string, any>> {
  const manifest = (await readZip(file)).find((entry) => entry.name === 'manifest.json')!
  return JSON.parse(manifest.data.toString('utf8'))
}

// ---- snapshots ----------------------------------------------------------------------------------------

/** Every file under `root` (skipping `skip` folders) with its size and modification time. */
export function snapshotTree(root: string, skip: string[] = []): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name)
      if (skip.includes(full)) continue
      const stats = statSync(full)
      if (stats.isDirectory()) {
        out.set(`${full}/`, 'dir')
        walk(full)
      } else out.set(full, `${stats.size}:${stats.mtimeMs}`)
    }
  }
  walk(root)
  return out
}

/** The project manifest as text (to check it did not change). */
export function manifestText(dir: string): string {
  return readFileSync(path.join(dir, 'batchdesk.json'), 'utf8')
}
