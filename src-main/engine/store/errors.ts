/** Errors the result store throws; each message says what is wrong, where, and what to do. */

/** Another live process holds the project's lock. */
export class ProjectInUseError extends Error {
  constructor(
    readonly host: string,
    readonly pid: number,
    readonly since: string,
    readonly lockFile: string
  ) {
    super(
      `This project is in use by ${host} pid ${pid} since ${since}; open it read-only or close the other window`
    )
    this.name = 'ProjectInUseError'
  }
}

/** A stored record no longer matches its checksum. */
export class CorruptResultError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly batch: string,
    readonly id: string,
    reason: string
  ) {
    super(
      `The stored result of run ${id} (batch "${batch}") in ${file} at byte ${offset} is corrupt: ${reason}; run it again to replace it`
    )
    this.name = 'CorruptResultError'
  }
}

/** The disk (or the user's quota) is full; nothing of the failed write counts as stored. */
export class DiskFullError extends Error {
  readonly code: string
  constructor(what: string, where: string, code: string) {
    super(`The disk is full: ${what} in ${where} failed (${code}); free space and resume`)
    this.name = 'DiskFullError'
    this.code = code
  }
}

/** A record that is intact but cannot be understood: another format version or not valid JSON. */
export class StoreFormatError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    reason: string
  ) {
    super(`${file} at byte ${offset}: ${reason}`)
    this.name = 'StoreFormatError'
  }
}

/** The store was released, or is read-only, and cannot do what was asked. */
export class StoreUnavailableError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'StoreUnavailableError'
  }
}

/** True for the errors that mean "no space left": ENOSPC, EDQUOT and SQLite's SQLITE_FULL. */
export function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL'
}

/** Turns a disk-full error into a DiskFullError describing `what` failed `where`; other errors pass unchanged. */
export function mapDiskFull(error: unknown, what: string, where: string): unknown {
  if (error instanceof DiskFullError || !isDiskFull(error)) return error
  const mapped = new DiskFullError(what, where, String((error as { code: string }).code))
  ;(mapped as { cause?: unknown }).cause = error
  return mapped
}
