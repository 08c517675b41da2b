import type { ApiError, ErrorCode } from '../../src-preload/contract'

/** Thrown by handlers for a failure with a known code; the message is shown to the user as it is. */
export class ApiFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string
  ) {
    super(message)
    this.name = 'ApiFailure'
  }
}

/** Engine errors by name (names survive bundling; classes may come from two copies of a module). */
const CODES_BY_ERROR_NAME: Record<string, ErrorCode> = {
  BatchInputError: 'INVALID_ARGUMENT',
  ManifestError: 'INVALID_ARGUMENT',
  RunClassError: 'INVALID_ARGUMENT',
  RunClassCompileError: 'INVALID_ARGUMENT',
  ConditionError: 'INVALID_ARGUMENT',
  ConditionSyntaxError: 'INVALID_ARGUMENT',
  DesignError: 'INVALID_ARGUMENT',
  ParameterValueError: 'INVALID_ARGUMENT',
  UnstorableValueError: 'INVALID_ARGUMENT',
  NotAProjectError: 'NOT_FOUND',
  ProjectInUseError: 'IN_USE',
  DiskFullError: 'IO',
  CorruptResultError: 'IO',
  RedisUnavailableError: 'IO',
  AbortError: 'CANCELLED'
}

const CODES_BY_NODE_CODE: Record<string, ErrorCode> = {
  ENOENT: 'NOT_FOUND',
  ENOTDIR: 'NOT_FOUND',
  EEXIST: 'CONFLICT',
  EACCES: 'IO',
  EPERM: 'IO',
  ENOSPC: 'IO',
  EROFS: 'IO',
  EISDIR: 'IO',
  EBUSY: 'IN_USE'
}

/**
 * Turns anything a handler threw into the envelope's error: ApiFailure as it is, engine errors by name,
 * file system errors by their code, anything else as INTERNAL (a bug) with its message.
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiFailure) return { code: error.code, message: error.message }
  if (error instanceof Error) {
    const byName = CODES_BY_ERROR_NAME[error.name]
    if (byName) return { code: byName, message: error.message }
    const nodeCode = (error as NodeJS.ErrnoException).code
    if (typeof nodeCode === 'string' && CODES_BY_NODE_CODE[nodeCode])
      return { code: CODES_BY_NODE_CODE[nodeCode], message: fileErrorMessage(error as NodeJS.ErrnoException) }
    return { code: 'INTERNAL', message: `Something went wrong inside Batchdesk: ${error.message}` }
  }
  return { code: 'INTERNAL', message: `Something went wrong inside Batchdesk: ${String(error)}` }
}

function fileErrorMessage(error: NodeJS.ErrnoException): string {
  const target = error.path ? ` ${error.path}` : ''
  switch (error.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return `Cannot find${target}: check that the folder or file exists`
    case 'EACCES':
    case 'EPERM':
      return `No permission to use${target}: pick a folder you can write to`
    case 'ENOSPC':
      return `The disk is full while writing${target}: free some space and try again`
    case 'EEXIST':
      return `${target.trim() || 'The file'} already exists`
    default:
      return error.message
  }
}
