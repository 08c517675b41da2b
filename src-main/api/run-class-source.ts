import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Diagnostic } from '../../src-preload/contract'
import { describeRunModule } from '../engine/compile'
import type { RunClassInfo } from '../engine/types'

/** A run class source described without running it: its info, or the diagnostics saying why not. */
export interface DescribedSource {
  info: RunClassInfo | undefined
  loadError: string | undefined
  diagnostics: Diagnostic[]
  /** Removes the scratch copy (call when workers no longer need it). */
  dispose(): void
}

/**
 * Describes a run class from the project file, or from edited source that is not saved yet. Edited source
 * is compiled from a hidden scratch copy next to the real file, so its relative imports resolve the same;
 * messages name the real file.
 * @param file absolute path of the run class file; `relative` is how messages name it.
 */
export async function describeSource(
  file: string,
  relative: string,
  source?: string
): Promise<DescribedSource> {
  const scratch = source === undefined ? undefined : scratchFileFor(file)
  if (scratch) writeFileSync(scratch, source!)
  const dispose = () => {
    if (scratch) rmSync(scratch, { force: true })
  }
  const target = scratch ?? file
  try {
    if (!existsSync(target)) throw new Error(`${relative} does not exist`)
    const info = await describeRunModule(target)
    return { info, loadError: undefined, diagnostics: [], dispose }
  } catch (error) {
    dispose()
    const message = renameFile(String((error as Error).message), target, relative)
    return {
      info: undefined,
      loadError: message,
      diagnostics: diagnosticsOf(error, target, relative),
      dispose: () => undefined
    }
  }
}

/** Reads the source of a run class file ('' when it does not exist). */
export function readSource(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : ''
}

/** Writes a run class file atomically. */
export function writeSource(file: string, source: string): void {
  const temp = `${file}.${process.pid}.tmp`
  writeFileSync(temp, source)
  renameSync(temp, file)
}

/** Diagnostics from a load error: the compiler's list when there is one, else `file:line:col` in the message. */
export function diagnosticsOf(error: unknown, file: string, relative: string): Diagnostic[] {
  const listed = (
    error as { diagnostics?: { file: string; line: number; column: number; message: string }[] }
  ).diagnostics
  if (Array.isArray(listed)) {
    return listed.map((d) => ({
      file: samePath(d.file, file) ? relative : d.file,
      line: Math.max(1, d.line),
      column: Math.max(1, d.column),
      message: renameFile(d.message, file, relative),
      severity: 'error'
    }))
  }
  const message = renameFile(String((error as Error)?.message ?? error), file, relative)
  const located = new RegExp(`${escapeRegExp(relative)}:(\\d+)(?::(\\d+))?`).exec(message)
  return [
    {
      file: relative,
      line: located ? Number(located[1]) : 1,
      column: located?.[2] ? Number(located[2]) : 1,
      message,
      severity: 'error'
    }
  ]
}

function scratchFileFor(file: string): string {
  const extension = path.extname(file)
  return path.join(
    path.dirname(file),
    `.${path.basename(file, extension)}.check-${randomBytes(4).toString('hex')}${extension}`
  )
}

function renameFile(message: string, from: string, to: string): string {
  return message.split(from).join(to).split(path.basename(from)).join(path.basename(to))
}

function samePath(a: string, b: string): boolean {
  return path.resolve(a) === path.resolve(b)
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
