import type { WebSocket } from 'ws'
import type { ContractHost } from '../api/dispatch'
import type { ClientMessage, ServerMessage } from '../../src-preload/ws-protocol'
import { tokenMatches } from './auth'

/** Close codes sent to a refused client (4000-4999 are for applications). */
export const CLOSE_UNAUTHORIZED = 4401
export const CLOSE_BAD_MESSAGE = 4400

/** How long an unauthenticated socket may wait before sending its token. */
const AUTH_TIMEOUT_MS = 5000
/** A client that stops reading gets no more events beyond this much queued data. */
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024

/**
 * One WebSocket connection: authenticates it (cookie checked at the handshake, or an `auth` first message),
 * then answers calls through the host and forwards every event. A socket that never authenticates gets
 * nothing but a close.
 */
export function attachSession(
  socket: WebSocket,
  host: ContractHost,
  token: string,
  authenticated: boolean
): void {
  let ready = authenticated
  let unsubscribe: (() => void) | undefined
  const send = (message: ServerMessage) => {
    if (socket.readyState === socket.OPEN && socket.bufferedAmount < MAX_BUFFERED_BYTES)
      socket.send(JSON.stringify(message))
  }
  const start = () => {
    ready = true
    unsubscribe = host.onEvent((name, payload) => send({ type: 'event', name, payload } as ServerMessage))
  }
  const timer = ready
    ? undefined
    : setTimeout(() => socket.close(CLOSE_UNAUTHORIZED, 'no token'), AUTH_TIMEOUT_MS)
  if (ready) start()

  socket.on('message', (data, isBinary) => {
    const message = isBinary ? undefined : parseMessage(String(data))
    if (!message) {
      socket.close(CLOSE_BAD_MESSAGE, 'bad message')
      return
    }
    if (!ready) {
      clearTimeout(timer)
      if (message.type === 'auth' && tokenMatches(message.token, token)) start()
      else socket.close(CLOSE_UNAUTHORIZED, 'wrong token')
      return
    }
    if (message.type !== 'call') return
    void host
      .call(message.name, message.input)
      .then((result) => send({ type: 'result', id: message.id, result }))
  })
  socket.on('close', () => {
    clearTimeout(timer)
    unsubscribe?.()
  })
}

/** A message's shape, or undefined; the call's name and input are checked by the host. */
function parseMessage(text: string): ClientMessage | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (value === null || typeof value !== 'object') return undefined
  const message = value as Record<string, unknown>
  if (message.type === 'auth' && typeof message.token === 'string')
    return { type: 'auth', token: message.token }
  if (message.type === 'call' && Number.isSafeInteger(message.id) && typeof message.name === 'string') {
    return {
      type: 'call',
      id: message.id as number,
      name: message.name as ClientMessage extends { name: infer N } ? N : never,
      input: message.input
    }
  }
  return undefined
}
