// Bundles the engine's plain-Node entry points into out/: the worker process (out/engine/worker.js) and,
// when present, the CLI (out/cli/index.js, required by bin/batchdesk.js). Worker processes run plain JS, so
// this must run before anything forks workers (vitest's global setup calls buildEngine()).
import { build } from 'esbuild'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

const entries = [
  { entry: 'src-main/engine/exec/worker.ts', outfile: 'out/engine/worker.js', required: true },
  { entry: 'src-main/cli/index.ts', outfile: 'out/cli/index.js', required: false },
  { entry: 'src-main/engine/packs/worker.ts', outfile: 'out/engine/packs-worker.js', required: false }
]

/**
 * Builds every engine entry point that exists. Files are written only when their content changed, each
 * atomically (temp file + rename), because parallel test runs build while other processes fork workers.
 * @param {{ root?: string, quiet?: boolean }} [options]
 * @returns {Promise<{ built: string[], skipped: string[], ms: number }>} outfiles written or up to date, and entries absent.
 * @throws Error with esbuild's messages when an entry point does not compile.
 */
export async function buildEngine(options = {}) {
  const base = options.root ?? root
  const started = performance.now()
  const built = []
  const skipped = []
  await Promise.all(
    entries.map(async ({ entry, outfile, required }) => {
      const entryFile = join(base, entry)
      if (!existsSync(entryFile)) {
        if (required) throw new Error(`${entry} is missing: the engine cannot be built without it`)
        skipped.push(entry)
        return
      }
      const result = await build({
        entryPoints: [entryFile],
        outfile: join(base, outfile),
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        sourcemap: true,
        sourcesContent: false,
        keepNames: true,
        external: ['better-sqlite3', 'esbuild', 'electron'],
        absWorkingDir: base,
        write: false,
        logLevel: 'silent'
      })
      for (const file of result.outputFiles) writeIfChanged(file.path, file.contents)
      built.push(outfile)
    })
  )
  const ms = performance.now() - started
  if (!options.quiet)
    console.log(
      `engine built in ${ms.toFixed(0)} ms: ${built.join(', ')}${skipped.length ? ` (absent: ${skipped.join(', ')})` : ''}`
    )
  return { built, skipped, ms }
}

function writeIfChanged(file, contents) {
  if (existsSync(file)) {
    const current = readFileSync(file)
    if (current.equals(contents)) return
  }
  mkdirSync(dirname(file), { recursive: true })
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  writeFileSync(temp, contents)
  renameSync(temp, file)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  buildEngine().catch((error) => {
    console.error(formatBuildError(error))
    process.exitCode = 1
  })
}

/** esbuild's errors as `file:line:col: text` lines. */
export function formatBuildError(error) {
  if (!Array.isArray(error?.errors) || error.errors.length === 0) return String(error?.stack ?? error)
  return (
    'engine build failed:\n' +
    error.errors
      .map((e) =>
        e.location
          ? `${relative(root, resolve(root, e.location.file))}:${e.location.line}:${e.location.column + 1}: ${e.text}`
          : e.text
      )
      .join('\n')
  )
}
