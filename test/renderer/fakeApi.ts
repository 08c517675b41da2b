/**
 * An in-memory engine host for component tests: the real contract client shape (built by the same
 * buildApi as the preload and WebSocket transports), with handlers the test provides. Calls are recorded.
 */
import { buildApi, type EventListener } from '../../src-preload/build-api'
import type { BatchdeskApi, CallName, ContractEvents, EventName, Result } from '../../src-preload/contract'
import { setApi } from '../../src-renderer/api/client'

type Handler = (input: any) => unknown

export interface FakeHost {
  api: BatchdeskApi
  calls: { name: CallName; input: any }[]
  emit<E extends EventName>(event: E, payload: ContractEvents[E]): void
}

/** Installs a fake API answering with `handlers` (plain values; throw an Error with .code for an error envelope). */
export function installFakeApi(handlers: Partial<Record<CallName, Handler>>): FakeHost {
  const calls: FakeHost['calls'] = []
  const listeners = new Map<EventName, Set<EventListener>>()
  const api = buildApi(
    async (name, input): Promise<Result<unknown>> => {
      calls.push({ name, input })
      const handler = handlers[name]
      if (!handler) return { ok: false, error: { code: 'INTERNAL', message: `no fake for ${name}` } }
      try {
        return { ok: true, value: await handler(input) }
      } catch (error) {
        return {
          ok: false,
          error: {
            code: ((error as { code?: string }).code ?? 'INVALID_ARGUMENT') as never,
            message: (error as Error).message
          }
        }
      }
    },
    (event, listener) => {
      let set = listeners.get(event)
      if (!set) listeners.set(event, (set = new Set()))
      set.add(listener)
      return () => set.delete(listener)
    }
  )
  setApi(api)
  return {
    api,
    calls,
    emit: (event, payload) => {
      for (const listener of listeners.get(event) ?? []) listener(payload)
    }
  }
}

/** Waits for pending promises and timers a few rounds (debounced previews, chained store calls). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setTimeout(resolve, 0))
}
