/** Errors of result packs: every rejection of a pack says what is wrong, where, and what to do. */

/**
 * Why a whole pack (or legacy folder) is refused. The codes are a closed set so the API layer can map them:
 * - `NOT_A_PACK`: not a zip, or no Batchdesk manifest (a damaged or foreign file).
 * - `UNSAFE_ENTRY`: an entry name or kind that could escape a folder (traversal, absolute, symlink, duplicate).
 * - `LIMIT`: a size, count, ratio or nesting cap was exceeded (zip bombs, huge manifests).
 * - `MANIFEST`: manifest.json is not valid JSON or does not match the pack format.
 * - `VERSION`: written by a newer Batchdesk.
 * - `INPUT`: bad arguments (missing batch name, read-only project, not a folder).
 * - `CHANGED`: the pack changed on disk between inspecting and importing it.
 */
export type PackErrorCode =
  'NOT_A_PACK' | 'UNSAFE_ENTRY' | 'LIMIT' | 'MANIFEST' | 'VERSION' | 'INPUT' | 'CHANGED'

export class PackError extends Error {
  constructor(
    readonly code: PackErrorCode,
    message: string
  ) {
    super(message)
    this.name = 'PackError'
  }
}

/** A problem confined to one run of a pack: the run is rejected, the others can still be imported. */
export class RunRejection extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RunRejection'
  }
}
