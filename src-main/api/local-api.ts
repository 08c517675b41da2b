import type { BatchdeskApi } from '../../src-preload/contract'
import { buildApi } from '../../src-preload/build-api'
import type { ContractHost } from './dispatch'

/**
 * The typed API over a host in the same process, for main-process code (menu commands) and tests: the
 * same shape the renderer gets, with the same validation, since every call still goes through `host.call`.
 */
export function localApi(host: ContractHost): BatchdeskApi {
  return buildApi(
    (name, input) => host.call(name, input),
    (event, listener) =>
      host.onEvent((name, payload) => {
        if (name === event) listener(payload)
      })
  )
}
