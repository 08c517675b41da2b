/**
 * The preload: exposes the contract as ONE typed object, `window.batchdesk` (see BatchdeskApi), with a
 * named function per call and `on(event, listener)` returning an unsubscribe function. The page never
 * sees ipcRenderer, Node or Electron; the main process still validates every call.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
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
