import {
  isCallName,
  parseInput,
  failure,
  type CallName,
  type CallOutput,
  type Contract,
  type Domain,
  type ContractEvents,
  type EventName,
  type ParsedInput,
  type Result
} from '../../src-preload/contract'
import { toApiError } from './errors'

/** The handlers of one domain: one function per call, receiving the parsed input; may throw (see errors.ts). */
export type DomainHandlers<D extends Domain> = {
  [A in keyof Contract[D] & string]: (
    input: ParsedInput<`${D}.${A}` & CallName>
  ) => Promise<CallOutput<`${D}.${A}` & CallName>> | CallOutput<`${D}.${A}` & CallName>
}

/** Every call's handler, by domain, as the contract groups them. */
export type Handlers = { [D in Domain]: DomainHandlers<D> }

/** Receives every event the host pushes. */
export type EventSink = <E extends EventName>(name: E, payload: ContractEvents[E]) => void

/** What a transport (Electron IPC, the WebSocket server) needs: calls in, events out. */
export interface ContractHost {
  /** Validates and runs a call; never throws, always answers an envelope. */
  call(name: unknown, input: unknown): Promise<Result<unknown>>
  /** Subscribes to every event; returns the unsubscribe function. */
  onEvent(sink: EventSink): () => void
}

/**
 * Runs one call from an untrusted transport: checks the name, parses the input with the contract's schema
 * (after the forbidden-key check), runs the handler, and turns whatever it throws into an error envelope.
 */
export async function dispatch(handlers: Handlers, name: unknown, raw: unknown): Promise<Result<unknown>> {
  if (!isCallName(name))
    return failure('INVALID_ARGUMENT', `There is no call ${JSON.stringify(String(name)).slice(0, 80)}`)
  const parsed = parseInput(name, raw)
  if (!parsed.ok) return parsed
  try {
    const [domain, action] = name.split('.') as [Domain, string]
    const handler = (handlers[domain] as Record<string, (input: unknown) => unknown>)[action]
    return { ok: true, value: await handler(parsed.value) }
  } catch (error) {
    return { ok: false, error: toApiError(error) }
  }
}
