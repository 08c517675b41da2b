import { afterEach, describe, expect, it } from 'vitest'
import { CALL_NAMES, channelOf } from '../../src-preload/contract'
import type { AppService } from '../../src-main/api/app-service'
import { bindContract, forwardEvents, type IpcMainLike } from '../../src-main/ipc'
import { isAppUrl } from '../../src-main/window'
import { createService } from '../api/helpers'

type Listener = Parameters<IpcMainLike['handle']>[1]

/** Records what is bound, as Electron's ipcMain would, so a test can invoke a channel as a frame would. */
function recordingIpcMain() {
  const handlers = new Map<string, Listener>()
  const ipcMain: IpcMainLike = {
    handle: (channel, listener) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`)
      handlers.set(channel, listener)
    },
    removeHandler: (channel) => {
      handlers.delete(channel)
    }
  }
  const invoke = (channel: string, url: string | null, input?: unknown) =>
    handlers.get(channel)!({ senderFrame: url === null ? null : { url } }, input)
  return { ipcMain, handlers, invoke }
}

describe('the IPC binding', () => {
  let service: AppService
  afterEach(async () => {
    await service.dispose()
  })

  it('binds one channel per contract call, named from the contract', () => {
    service = createService()
    const { ipcMain, handlers } = recordingIpcMain()
    const unbind = bindContract(ipcMain, service, (url) => isAppUrl(url))
    expect([...handlers.keys()].sort()).toEqual(CALL_NAMES.map((name) => channelOf(name)).sort())
    expect(channelOf('projects.open')).toBe('batchdesk:projects.open')
    unbind()
    expect(handlers.size).toBe(0)
  })

  it('answers the app page and validates its input', async () => {
    service = createService()
    const { ipcMain, invoke } = recordingIpcMain()
    bindContract(ipcMain, service, (url) => isAppUrl(url))
    expect(await invoke(channelOf('settings.get'), 'batchdesk://app/index.html')).toMatchObject({
      ok: true,
      value: { theme: 'system' }
    })
    expect(
      await invoke(channelOf('settings.set'), 'batchdesk://app/index.html', { theme: 42 })
    ).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
  })

  it.each([['https://evil.example/'], ['file:///tmp/page.html'], [null]])(
    'refuses calls from a frame at %s',
    async (url) => {
      service = createService()
      const { ipcMain, invoke } = recordingIpcMain()
      bindContract(ipcMain, service, (frameUrl) => isAppUrl(frameUrl))
      await expect(invoke(channelOf('projects.recent'), url)).rejects.toThrow(/not Batchdesk's own page/)
    }
  )

  it('sends events on channels named from the contract', async () => {
    service = createService()
    const sent: [string, unknown][] = []
    const stop = forwardEvents(service, (channel, payload) => sent.push([channel, payload]))
    service.emit('log', { batch: null, level: 'info', message: 'hello', at: 1 })
    stop()
    service.emit('log', { batch: null, level: 'info', message: 'not sent', at: 2 })
    expect(sent).toEqual([['batchdesk:log', { batch: null, level: 'info', message: 'hello', at: 1 }]])
  })
})
