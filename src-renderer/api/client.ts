/**
 * The contract client: the one way the renderer reaches the engine. It picks a transport at start:
 * the Electron preload bridge (`window.batchdesk`) when present, otherwise a WebSocket to the browser-mode
 * server that served this page (authenticated by the HttpOnly cookie the server set). Both give the same
 * typed `BatchdeskApi`:
 *
 * ```ts
 * const api = getApi()
 * const opened = await api.projects.open({ dir })          // Result<OpenProjectResult>
 * const page = unwrap(await api.runs.list({ batch: 'example', conditions: ['A>=3'] }))
 * const stop = api.on('runsChanged', (event) => patchRows(event.changes))
 * ```
 */
import type { BatchdeskApi, CallName, EventName, Result } from '../../src-preload/contract'
import { buildApi, type EventListener as Listener } from '../../src-preload/build-api'
import { WS_PATH, type ClientMessage, type ServerMessage } from '../../src-preload/ws-protocol'

export { unwrap, ApiCallError } from '../../src-preload/contract'
export type * from '../../src-preload/contract'

declare global {
  interface Window {
    /** Set by the Electron preload; absent in browser mode. */
    batchdesk?: BatchdeskApi
  }
}

/** What the client reads from the page's globals (typed here so the module also compiles for Node tests). */
interface PageGlobals {
  batchdesk?: BatchdeskApi
  location: { protocol: string; host: string }
  WebSocket: new (url: string) => WebSocketLike
}
const page = globalThis as unknown as PageGlobals

let current: BatchdeskApi | undefined

/** The API for this page, created on first use. */
export function getApi(): BatchdeskApi {
  current ??= page.batchdesk ?? createWebSocketApi(webSocketUrl(page.location))
  return current
}

/** Replaces the API (renderer unit tests pass an in-memory implementation). */
export function setApi(api: BatchdeskApi | undefined): void {
  current = api
}

/** Where the browser-mode server listens for the contract, derived from the page's own address. */
export function webSocketUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${WS_PATH}`
}

/** The minimal WebSocket surface used, so a Node test can pass the `ws` package's class. */
export interface WebSocketLike {
  readonly readyState: number
  send(data: string): void
  close(): void
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void
}

export interface WebSocketApiOptions {
  /** Opens a socket (default: the browser's WebSocket). */
  connect?: (url: string) => WebSocketLike
  /** Sent as the first message, for clients that cannot carry the cookie (tests, tools). */
  token?: string
}

const OPEN = 1

/**
 * The contract over a WebSocket. Calls made while connecting wait for the socket; when the connection
 * drops, pending calls fail with IO and the next call reconnects.
 */
export function createWebSocketApi(url: string, options: WebSocketApiOptions = {}): BatchdeskApi {
  const connect = options.connect ?? ((target: string) => new page.WebSocket(target))
  const pending = new Map<number, (result: Result<unknown>) => void>()
  const listeners = new Map<EventName, Set<Listener>>()
  let nextId = 1
  let socket: WebSocketLike | undefined
  let ready: Promise<WebSocketLike> | undefined

  function open(): Promise<WebSocketLike> {
    if (ready && socket && socket.readyState <= OPEN) return ready
    const ws = connect(url)
    socket = ws
    ready = new Promise((resolve, reject) => {
      ws.addEventListener('open', () => {
        if (options.token)
          ws.send(JSON.stringify({ type: 'auth', token: options.token } satisfies ClientMessage))
        resolve(ws)
      })
      ws.addEventListener('error', () => reject(new Error('cannot connect')))
    })
    ws.addEventListener('message', (event) => receive(String(event.data)))
    ws.addEventListener('close', () => {
      if (socket === ws) socket = undefined
      for (const settle of pending.values()) {
        settle({
          ok: false,
          error: {
            code: 'IO',
            message: 'Lost the connection to Batchdesk. Is it still running? Reload the page to reconnect.'
          }
        })
      }
      pending.clear()
    })
    return ready
  }

  function receive(data: string): void {
    let message: ServerMessage
    try {
      message = JSON.parse(data)
    } catch {
      return
    }
    if (message.type === 'result') {
      pending.get(message.id)?.(message.result)
      pending.delete(message.id)
    } else if (message.type === 'event') {
      for (const listener of listeners.get(message.name) ?? []) listener(message.payload)
    }
  }

  async function invoke(name: CallName, input: unknown): Promise<Result<unknown>> {
    let ws: WebSocketLike
    try {
      ws = await open()
    } catch {
      ready = undefined
      return {
        ok: false,
        error: {
          code: 'IO',
          message: 'Cannot reach Batchdesk. Is `batchdesk serve` still running? Reload the page once it is.'
        }
      }
    }
    const id = nextId++
    return new Promise((resolve) => {
      pending.set(id, resolve)
      ws.send(JSON.stringify({ type: 'call', id, name, input } satisfies ClientMessage))
    })
  }

  const api = buildApi(invoke, (event, listener) => {
    let set = listeners.get(event)
    if (!set) listeners.set(event, (set = new Set()))
    set.add(listener)
    // Events flow only on an open socket: subscribing connects.
    void open().catch(() => undefined)
    return () => set.delete(listener)
  })
  return api
}
