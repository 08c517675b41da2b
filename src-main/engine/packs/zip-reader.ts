/**
 * Reads a pack's zip with every entry checked before any byte of data is inflated: names against the strict
 * patterns of format.ts, no symlinks, no duplicates, no overlapping data, and the size, count and ratio caps.
 * Entry names are only ever used to look entries up, never as paths.
 */
import { stat } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import * as yauzl from 'yauzl'
import { PackError } from './errors'
import { classifyEntryName, type EntryKind, type PackLimits } from './format'

/** An entry that passed the checks. */
export interface PackEntry {
  name: string
  kind: EntryKind
  uncompressedSize: number
  compressedSize: number
  /** Position in the zip, so entries can be read in file order. */
  order: number
  raw: yauzl.Entry
}

/** An entry's data could not be read (bad deflate data, wrong size): the entry is damaged, the zip may be fine. */
export class EntryReadError extends Error {
  constructor(
    readonly entry: string,
    reason: string
  ) {
    super(`the entry ${entry} is damaged (${reason})`)
    this.name = 'EntryReadError'
  }
}

const S_IFMT = 0o170000
const S_IFREG = 0o100000
const S_IFLNK = 0o120000
const DEFLATE = 8
const STORED = 0

/** An open pack zip. Call `close()` when done. */
export class PackZip {
  readonly file: string
  readonly entries: ReadonlyMap<string, PackEntry>
  readonly #zip: yauzl.ZipFile

  private constructor(file: string, zip: yauzl.ZipFile, entries: Map<string, PackEntry>) {
    this.file = file
    this.#zip = zip
    this.entries = entries
  }

  /**
   * Opens `file` and checks every entry of its central directory.
   * @throws PackError NOT_A_PACK (not a zip, encrypted, unknown compression), UNSAFE_ENTRY (names, symlinks,
   *   duplicates, overlaps) or LIMIT (count, sizes, ratio).
   */
  static async open(file: string, limits: PackLimits): Promise<PackZip> {
    const label = displayName(file)
    const stats = await stat(file).catch((error: NodeJS.ErrnoException) => {
      throw new PackError(
        'INPUT',
        `Cannot read the pack ${file}: ${error.code === 'ENOENT' ? 'there is no such file' : error.message}`
      )
    })
    if (!stats.isFile())
      throw new PackError(
        'INPUT',
        `${file} is not a file; give a .bdpack file (or, for batchpy results, a _res folder with --batch)`
      )
    let zip: yauzl.ZipFile
    try {
      zip = await yauzl.openPromise(file, {
        lazyEntries: true,
        autoClose: false,
        decodeStrings: false,
        validateEntrySizes: true
      })
    } catch (error) {
      throw notAPack(label, (error as Error).message)
    }
    // A damaged central directory makes yauzl emit 'error' more than once; the first is handled below.
    zip.on('error', () => undefined)
    try {
      if (zip.entryCount > limits.maxEntries) {
        throw new PackError(
          'LIMIT',
          `${label} has ${zip.entryCount} entries, more than the ${limits.maxEntries} a pack may hold; it is not a pack Batchdesk made, or it is a zip bomb`
        )
      }
      const entries = await readCentralDirectory(zip, label, limits)
      return new PackZip(file, zip, entries)
    } catch (error) {
      zip.close()
      throw error
    }
  }

  /**
   * The inflated data of an entry, chunk by chunk, never more bytes than its declared size.
   * @throws EntryReadError when the data is damaged.
   */
  async *chunks(entry: PackEntry): AsyncGenerator<Buffer> {
    let stream: Readable
    try {
      stream = await this.#zip.openReadStreamPromise(entry.raw)
    } catch (error) {
      throw new EntryReadError(entry.name, (error as Error).message)
    }
    let total = 0
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        total += chunk.length
        // yauzl checks the size too; this keeps the cap independent of that option.
        if (total > entry.uncompressedSize)
          throw new EntryReadError(
            entry.name,
            `more data than the ${entry.uncompressedSize} bytes it declares`
          )
        yield chunk
      }
    } catch (error) {
      if (error instanceof EntryReadError) throw error
      const message = (error as Error).message
      // yauzl's own size check words it differently; one message for one problem.
      if (/^too many bytes/.test(message))
        throw new EntryReadError(entry.name, `more data than the ${entry.uncompressedSize} bytes it declares`)
      throw new EntryReadError(entry.name, message)
    } finally {
      stream.destroy()
    }
    if (total !== entry.uncompressedSize)
      throw new EntryReadError(
        entry.name,
        `${total} bytes instead of the ${entry.uncompressedSize} it declares`
      )
  }

  /** The whole inflated entry (for manifest.json and source files, which have their own caps). */
  async read(entry: PackEntry): Promise<Buffer> {
    const parts: Buffer[] = []
    for await (const chunk of this.chunks(entry)) parts.push(chunk)
    return Buffer.concat(parts)
  }

  close(): void {
    this.#zip.close()
  }
}

function readCentralDirectory(
  zip: yauzl.ZipFile,
  label: string,
  limits: PackLimits
): Promise<Map<string, PackEntry>> {
  return new Promise((resolve, reject) => {
    const entries = new Map<string, PackEntry>()
    const dataOffsets = new Set<number>()
    let total = 0
    let settled = false
    const fail = (error: unknown) => {
      if (settled) return
      settled = true
      reject(error)
    }
    zip.once('error', (error: Error) => fail(notAPack(label, error.message)))
    zip.on('end', () => {
      if (settled) return
      settled = true
      resolve(entries)
    })
    zip.on('entry', (raw: yauzl.Entry) => {
      if (settled) return
      try {
        const name = checkedName(raw, label)
        if (entries.has(name))
          throw new PackError(
            'UNSAFE_ENTRY',
            `${label} holds the entry ${name} twice; a pack's entries are unique, so this one was altered`
          )
        const mode = (raw.externalFileAttributes >>> 16) & S_IFMT
        if (mode === S_IFLNK)
          throw new PackError(
            'UNSAFE_ENTRY',
            `${label}: the entry ${name} is a symbolic link; packs hold plain files only`
          )
        if (mode !== 0 && mode !== S_IFREG)
          throw new PackError(
            'UNSAFE_ENTRY',
            `${label}: the entry ${name} is not a plain file (mode ${mode.toString(8)})`
          )
        if (raw.isEncrypted()) throw notAPack(label, `the entry ${name} is encrypted`)
        if (raw.compressionMethod !== DEFLATE && raw.compressionMethod !== STORED) {
          throw notAPack(
            label,
            `the entry ${name} uses compression method ${raw.compressionMethod}; packs use deflate or none`
          )
        }
        if (raw.compressionMethod === STORED && raw.compressedSize !== raw.uncompressedSize) {
          throw notAPack(
            label,
            `the uncompressed entry ${name} declares ${raw.uncompressedSize} bytes but holds ${raw.compressedSize}`
          )
        }
        checkSizes(name, raw, label, limits)
        total += raw.uncompressedSize
        if (total > limits.maxTotalBytes) {
          throw new PackError(
            'LIMIT',
            `${label} unpacks to more than ${formatBytes(limits.maxTotalBytes)}, the most a pack may hold; it is not a pack Batchdesk made, or it is a zip bomb`
          )
        }
        // Entries sharing data (the overlapping-file zip bomb) would multiply the bytes read.
        if (dataOffsets.has(raw.relativeOffsetOfLocalHeader)) {
          throw new PackError(
            'UNSAFE_ENTRY',
            `${label}: the entry ${name} shares its data with another entry (overlapping entries are a zip bomb technique)`
          )
        }
        dataOffsets.add(raw.relativeOffsetOfLocalHeader)
        const kind = classifyEntryName(name)!
        entries.set(name, {
          name,
          kind,
          uncompressedSize: raw.uncompressedSize,
          compressedSize: raw.compressedSize,
          order: entries.size,
          raw
        })
        zip.readEntry()
      } catch (error) {
        fail(error)
      }
    })
    zip.readEntry()
  })
}

function checkedName(raw: yauzl.Entry, label: string): string {
  const bytes = raw.fileNameRaw ?? (raw.fileName as unknown as Buffer)
  const name = Buffer.isBuffer(bytes) ? bytes.toString('latin1') : String(bytes)
  if (classifyEntryName(name)) return name
  const shown = JSON.stringify(name.length > 120 ? `${name.slice(0, 120)}…` : name)
  let why =
    'is not a name a pack may hold (manifest.json, results/<batch>/<nnnnnn>.jsonl or code/<batch>/<file>)'
  if (/^[/\\]/.test(name) || /^[A-Za-z]:/.test(name)) why = 'is an absolute path'
  else if (/(^|[/\\])\.\.([/\\]|$)/.test(name)) why = 'climbs out of its folder with ".."'
  else if (name.includes('\\')) why = 'contains a backslash'
  else if (/[^\x21-\x7e]/.test(name)) why = 'contains characters other than printable ASCII'
  throw new PackError(
    'UNSAFE_ENTRY',
    `${label}: the entry name ${shown} ${why}; the pack was not made by Batchdesk or was altered, so nothing was imported`
  )
}

function checkSizes(name: string, raw: yauzl.Entry, label: string, limits: PackLimits): void {
  const size = raw.uncompressedSize
  const kind = classifyEntryName(name)!.kind
  const cap =
    kind === 'manifest'
      ? limits.maxManifestBytes
      : kind === 'code'
        ? limits.maxCodeFileBytes
        : limits.maxEntryBytes
  if (size > cap) {
    const what = kind === 'manifest' ? 'manifest.json' : `the entry ${name}`
    throw new PackError(
      'LIMIT',
      `${label}: ${what} unpacks to ${formatBytes(size)}, more than the ${formatBytes(cap)} allowed`
    )
  }
  if (size > limits.ratioFloorBytes && size > raw.compressedSize * limits.maxCompressionRatio) {
    const ratio = raw.compressedSize === 0 ? 'infinitely' : `${Math.round(size / raw.compressedSize)} times`
    throw new PackError(
      'LIMIT',
      `${label}: the entry ${name} expands ${ratio} (${formatBytes(raw.compressedSize)} to ${formatBytes(size)}), more than the ${limits.maxCompressionRatio}× allowed: this looks like a zip bomb`
    )
  }
}

function notAPack(label: string, reason: string): PackError {
  return new PackError(
    'NOT_A_PACK',
    `${label} is not a readable result pack (${reason}); it may be damaged or not a .bdpack file`
  )
}

/** The file name shown in messages. */
export function displayName(file: string): string {
  const slash = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'))
  return slash >= 0 ? file.slice(slash + 1) : file
}

/** Bytes as "512 B", "3.2 MiB", "1.0 GiB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}
