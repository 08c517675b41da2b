/**
 * Result packs on the page: the import dialog's request (from a button, the File menu or a file dropped on
 * the window), dropped files turned into a path the engine can read, and exports of the run table.
 */
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { getApi, type PackExportSummary } from '../api/client'
import { useNoticesStore } from './notices'

/** Set by the Electron preload: the path of a dropped file. Absent in browser mode. */
interface FileBridge {
  pathForFile(file: File): string
}

/** A dropped file bigger than this is refused before any byte is sent (the host refuses it too). */
const MAX_DROP_BYTES = 2 * 1024 * 1024 * 1024

export interface ImportRequest {
  /** The pack to preview; null lets the user pick one in the dialog. */
  path: string | null
  /** Counts requests: a pack dropped while the dialog is open starts it over. */
  serial: number
}

export const usePacksStore = defineStore('packs', () => {
  const notices = useNoticesStore()
  const importRequest = ref<ImportRequest | null>(null)
  /** A dropped file being sent to the host (browser mode): its name and how much went. */
  const upload = ref<{ name: string; sent: number; total: number } | null>(null)
  /** The host's temp copy of the last dropped file, removed once its import dialog closes. */
  let uploaded: string | undefined
  let requests = 0
  let unsubscribe: (() => void) | undefined

  function listen(): void {
    unsubscribe ??= getApi().on('packImportRequested', (event) => openImport(event.path))
  }

  function openImport(path: string | null = null): void {
    importRequest.value = { path, serial: ++requests }
  }

  function closeImport(): void {
    importRequest.value = null
    if (uploaded) void getApi().packs.uploadCancel({ upload: uploaded })
    uploaded = undefined
  }

  /**
   * The path of a file dropped on the window: Electron knows it; a browser does not, so the file is sent
   * to the host in chunks and previewed from its temp copy. Undefined when it failed (the user was told).
   */
  async function pathOfDroppedFile(file: File): Promise<string | undefined> {
    const bridge = (globalThis as { batchdeskFiles?: FileBridge }).batchdeskFiles
    if (bridge) {
      const path = bridge.pathForFile(file)
      if (path) return path
    }
    if (!/\.(bdpack|zip)$/i.test(file.name)) {
      notices.push(
        'warn',
        `${file.name} is not a result pack`,
        'Drop a .bdpack file. For batchpy results, use Import results… and pick their _res folder.'
      )
      return undefined
    }
    if (file.size > MAX_DROP_BYTES) {
      notices.push(
        'warn',
        'This pack is too large to drop',
        'Packs over 2 GB cannot be sent through the browser: use Import results… and pick the file in the folder list.'
      )
      return undefined
    }
    return uploadFile(file)
  }

  async function uploadFile(file: File): Promise<string | undefined> {
    const api = getApi()
    const title = `Could not read ${file.name}`
    const begun = await notices.attempt(title, () =>
      api.packs.uploadBegin({ name: file.name, bytes: file.size })
    )
    if (!begun) return undefined
    upload.value = { name: file.name, sent: 0, total: file.size }
    try {
      for (let offset = 0; offset < file.size; offset += begun.chunkBytes) {
        const bytes = new Uint8Array(await file.slice(offset, offset + begun.chunkBytes).arrayBuffer())
        const sent = await notices.attempt(title, () =>
          api.packs.uploadChunk({ upload: begun.upload, offset, data: toBase64(bytes) })
        )
        if (!sent) {
          void api.packs.uploadCancel({ upload: begun.upload })
          return undefined
        }
        upload.value = { name: file.name, sent: sent.received, total: file.size }
      }
      const ended = await notices.attempt(title, () => api.packs.uploadEnd({ upload: begun.upload }))
      if (ended) {
        if (uploaded) void api.packs.uploadCancel({ upload: uploaded })
        uploaded = begun.upload
      }
      return ended?.file
    } finally {
      upload.value = null
    }
  }

  /**
   * Writes the stored runs of `batch` matching `conditions` to `file`. On CONFLICT (the file exists) asks
   * before replacing it. Resolves with what was written, or undefined (the user was told why).
   */
  async function exportPack(
    file: string,
    batch: string | undefined,
    conditions: string[],
    overwrite = false
  ): Promise<PackExportSummary | undefined> {
    const result = await getApi().packs.export({ file, batch, conditions, overwrite })
    if (result.ok) return result.value
    if (result.error.code === 'CONFLICT' && !overwrite) {
      const answer = await notices.confirm({
        title: 'Replace the existing file?',
        message: `${file} already exists. Replacing it loses the pack that is there now.`,
        confirmLabel: 'Replace',
        danger: true
      })
      return answer === 'confirm' ? exportPack(file, batch, conditions, true) : undefined
    }
    notices.push('error', 'Could not save the result pack', result.error.message)
    return undefined
  }

  return {
    importRequest,
    upload,
    listen,
    openImport,
    closeImport,
    pathOfDroppedFile,
    exportPack
  }
})

/** Base64 of bytes, in slices so large chunks do not overflow the argument list of fromCharCode. */
function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}
