import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { MAX_UPLOAD_BYTES, UPLOAD_CHUNK_BYTES } from '../../src-preload/contract'
import { ApiFailure } from './errors'

/**
 * Uploads kept at once (in progress or finished); beginning another drops the oldest. The page removes
 * its upload when the import dialog closes; this bounds what a page that never does can leave behind.
 */
const MAX_UPLOADS = 2

let uploadRoot: string | undefined

/**
 * One temp folder per process for uploaded packs, removed when the process exits: an upload is a copy of a
 * file the user still has, so nothing is lost with it.
 */
function uploadFolder(): string {
  if (!uploadRoot) {
    const folder = mkdtempSync(path.join(tmpdir(), 'batchdesk-uploads-'))
    uploadRoot = folder
    process.once('exit', () => rmSync(folder, { recursive: true, force: true }))
  }
  return uploadRoot
}

interface Upload {
  id: string
  file: string
  bytes: number
  received: number
  handle: FileHandle | undefined
}

/**
 * Files dropped on the page in browser mode, where the page cannot tell the host a path: the bytes come in
 * order, in base64 chunks, into a temp file that is then inspected and imported like any pack.
 */
export class PackUploads {
  readonly #uploads = new Map<string, Upload>()

  async begin(name: string, bytes: number): Promise<{ upload: string; chunkBytes: number }> {
    if (bytes > MAX_UPLOAD_BYTES)
      throw new ApiFailure(
        'INVALID_ARGUMENT',
        'A dropped pack may be at most 2 GB; import it with the file picker'
      )
    while (this.#uploads.size >= MAX_UPLOADS) await this.cancel(this.#uploads.keys().next().value!)
    const id = randomBytes(16).toString('hex')
    // The name is only kept for messages and the extension; the path is made here, never from the name.
    const extension = /\.zip$/i.test(name) ? '.zip' : '.bdpack'
    const base =
      name
        .replace(/\.[^.]*$/, '')
        .replace(/[^A-Za-z0-9_.-]+/g, '_')
        .slice(0, 80) || 'pack'
    const folder = path.join(uploadFolder(), id)
    const file = path.join(folder, `${base}${extension}`)
    await mkdir(folder)
    const handle = await open(file, 'wx')
    this.#uploads.set(id, { id, file, bytes, received: 0, handle })
    return { upload: id, chunkBytes: UPLOAD_CHUNK_BYTES }
  }

  async chunk(id: string, offset: number, data: string): Promise<{ received: number }> {
    const upload = this.#require(id)
    if (!upload.handle) throw new ApiFailure('CONFLICT', 'This upload is finished already')
    if (offset !== upload.received)
      throw new ApiFailure(
        'INVALID_ARGUMENT',
        `Upload chunks must come in order: expected byte ${upload.received}, got ${offset}; drop the file again`
      )
    const bytes = Buffer.from(data, 'base64')
    if (bytes.length === 0 || bytes.length > UPLOAD_CHUNK_BYTES)
      throw new ApiFailure('INVALID_ARGUMENT', 'An upload chunk must hold 1 byte to 4 MiB of base64 data')
    if (upload.received + bytes.length > upload.bytes)
      throw new ApiFailure(
        'INVALID_ARGUMENT',
        `More data than the ${upload.bytes} bytes announced; drop the file again`
      )
    await upload.handle.write(bytes, 0, bytes.length, offset)
    upload.received += bytes.length
    return { received: upload.received }
  }

  async end(id: string): Promise<{ file: string }> {
    const upload = this.#require(id)
    if (upload.handle) {
      if (upload.received !== upload.bytes) {
        await this.cancel(id)
        throw new ApiFailure(
          'INVALID_ARGUMENT',
          `The upload stopped after ${upload.received} of ${upload.bytes} bytes; drop the file again`
        )
      }
      await upload.handle.sync()
      await upload.handle.close()
      upload.handle = undefined
    }
    return { file: upload.file }
  }

  async cancel(id: string): Promise<void> {
    const upload = this.#uploads.get(id)
    if (!upload) return
    this.#uploads.delete(id)
    await upload.handle?.close().catch(() => undefined)
    await rm(path.dirname(upload.file), { recursive: true, force: true })
  }

  #require(id: string): Upload {
    const upload = this.#uploads.get(id)
    if (!upload)
      throw new ApiFailure(
        'NOT_FOUND',
        'That upload is not known (it was cancelled or replaced); drop the file again'
      )
    return upload
  }
}
