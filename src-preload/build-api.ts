import {
  CALL_NAMES,
  EVENT_NAMES,
  type BatchdeskApi,
  type CallName,
  type ContractEvents,
  type EventName,
  type Result
} from './contract'

/** A listener for any event's payload. */
export type EventListener = (payload: unknown) => void

/**
 * Builds the typed API object (`api.projects.open(input)`, `api.on(event, listener)`) from one generic
 * invoke and one subscribe. The preload bridge and the renderer's WebSocket client both use it, so the
 * two transports cannot drift apart.
 */
export function buildApi(
  invoke: (name: CallName, input: unknown) => Promise<Result<unknown>>,
  subscribe: (event: EventName, listener: EventListener) => () => void
): BatchdeskApi {
  const api: Record<string, unknown> = {}
  for (const name of CALL_NAMES) {
    const [domain, action] = name.split('.')
    const calls = (api[domain] ??= {}) as Record<string, unknown>
    calls[action] = (input?: unknown) => invoke(name, input)
  }
  api.on = <E extends EventName>(event: E, listener: (payload: ContractEvents[E]) => void) => {
    if (!(EVENT_NAMES as readonly string[]).includes(event))
      throw new Error(`Unknown event ${String(event)}; events: ${EVENT_NAMES.join(', ')}`)
    if (typeof listener !== 'function') throw new Error('The listener must be a function')
    return subscribe(event, listener as EventListener)
  }
  return api as BatchdeskApi
}
