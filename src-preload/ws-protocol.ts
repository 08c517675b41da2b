/**
 * Messages of the browser-mode WebSocket that carries the contract. Environment-neutral: the renderer's
 * client and `src-main/server/` share it.
 */
import type { CallName, ContractEvents, EventName, Result } from './contract'

/** The WebSocket endpoint on the browser-mode server. */
export const WS_PATH = '/api'

export type ClientMessage =
  /** Optional first message for clients that cannot send the session cookie. */
  { type: 'auth'; token: string } | { type: 'call'; id: number; name: CallName; input: unknown }

export type ServerMessage =
  | { type: 'result'; id: number; result: Result<unknown> }
  | { [E in EventName]: { type: 'event'; name: E; payload: ContractEvents[E] } }[EventName]
