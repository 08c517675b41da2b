import type { DomainHandlers } from '../dispatch'
import { ApiFailure } from '../errors'

// Result packs are being built in the engine (src-main/engine/packs/); until they land every call says so.
function notYet(): never {
  throw new ApiFailure('INTERNAL', 'Result packs are not available yet in this version of Batchdesk')
}

export function packHandlers(): DomainHandlers<'packs'> {
  return { inspect: notYet, import: notYet, export: notYet }
}
