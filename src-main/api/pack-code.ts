import { codeEntryName, packLimits } from '../engine/packs/format'
import { EntryReadError, PackZip } from '../engine/packs/zip-reader'
import { ApiFailure } from './errors'

/**
 * The reference source of a run class inside a pack, read as text to show it; it is never loaded or run.
 * Only the zip's central directory and that one entry are read (with the pack reader's checks and its
 * 4 MiB cap on source files), so viewing code costs nothing like a full inspection.
 * @throws PackError when the file is not a usable pack; ApiFailure NOT_FOUND when it holds no such source.
 */
export async function readPackCode(
  file: string,
  batch: string,
  name: string
): Promise<{ batch: string; file: string; source: string; bytes: number }> {
  const zip = await PackZip.open(file, packLimits())
  try {
    const entry = zip.entries.get(codeEntryName(batch, name))
    if (!entry || entry.kind.kind !== 'code')
      throw new ApiFailure(
        'NOT_FOUND',
        `The pack holds no source ${batch}/${name}; the preview lists the sources it has`
      )
    let content: Buffer
    try {
      content = await zip.read(entry)
    } catch (error) {
      if (error instanceof EntryReadError)
        throw new ApiFailure('INVALID_ARGUMENT', `Cannot show ${batch}/${name}: ${error.message}`)
      throw error
    }
    let source: string
    try {
      source = new TextDecoder('utf-8', { fatal: true }).decode(content)
    } catch {
      throw new ApiFailure('INVALID_ARGUMENT', `${batch}/${name} in the pack is not text, so it is not shown`)
    }
    return { batch, file: name, source, bytes: content.length }
  } finally {
    zip.close()
  }
}
