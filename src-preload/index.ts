/**
 * The preload: exposes the contract as ONE typed object, `window.batchdesk` (see BatchdeskApi), with a
 * named function per call and `on(event, listener)` returning an unsubscribe function. The page never
 * sees ipcRenderer, Node or Electron; the main process still validates every call.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron'
import { buildApi } from './build-api'
import { channelOf } from './contract'

const api = buildApi(
  (name, input) => ipcRenderer.invoke(channelOf(name), input),
  (event, listener) => {
    const channel = channelOf(event)
    const forward = (_event: IpcRendererEvent, payload: unknown) => listener(payload)
    ipcRenderer.on(channel, forward)
    return () => {
      ipcRenderer.removeListener(channel, forward)
    }
  }
)

contextBridge.exposeInMainWorld('batchdesk', api)

// A file dropped on the window has no path in the page; Electron gives it here (and only the path: the
// main process still validates and reads the file). Absent in browser mode, where the page uploads it.
contextBridge.exposeInMainWorld('batchdeskFiles', {
  pathForFile: (file: File): string => webUtils.getPathForFile(file)
})
