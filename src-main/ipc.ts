/**
 * Binds the contract to Electron IPC: one `ipcMain.handle` per call, channel names derived from the
 * contract, every sender checked. Takes ipcMain as a parameter (no electron import) so it is tested under Node.
 */
import { CALL_NAMES, channelOf, type Result } from '../src-preload/contract'
import type { ContractHost } from './api/dispatch'

/** The part of Electron's ipcMain used here. */
export interface IpcMainLike {
  handle(
    channel: string,
    listener: (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => Promise<unknown>
  ): void
  removeHandler(channel: string): void
}

/**
 * Answers each contract call from trusted senders only (frames whose URL is the app's own); a call from
 * any other frame is refused before its input is even looked at.
 * @returns a function that removes the handlers.
 */
export function bindContract(
  ipcMain: IpcMainLike,
  host: ContractHost,
  isTrustedSender: (url: string | undefined) => boolean
): () => void {
  for (const name of CALL_NAMES) {
    ipcMain.handle(channelOf(name), async (event, input): Promise<Result<unknown>> => {
      if (!isTrustedSender(event.senderFrame?.url))
        throw new Error(`Refused ${name}: the caller is not Batchdesk's own page`)
      return host.call(name, input)
    })
  }
  return () => {
    for (const name of CALL_NAMES) ipcMain.removeHandler(channelOf(name))
  }
}

/** Sends every host event to a window (`send` is `webContents.send` of the main window). */
export function forwardEvents(
  host: ContractHost,
  send: (channel: string, payload: unknown) => void
): () => void {
  return host.onEvent((name, payload) => send(channelOf(name), payload))
}
