import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  build,
  buildSync,
  transform,
  transformSync,
  type BuildOptions,
  type Loader,
  type Message,
  type TransformOptions
} from 'esbuild'

/** A run class module compiled for loading: one CommonJS bundle of the module and everything it imports. */
export interface CompiledModule {
  /** The module's source file (absolute). */
  file: string
  /** Where the bundle was written: `<cacheDir>/<codeHash>.cjs`. */
  bundleFile: string
  /** sha256 hex of the bundled code without its source map: moving the project folder keeps it. */
  codeHash: string
  /** The bundle as written: CommonJS with an inline source map pointing at the source files. */
  code: string
  /** The entry file alone, types stripped, as an ES module: for reading the class without running it. */
  entryEsm: string
}

export interface CompileOptions {
  /** Where bundles are written. Default: `<os tmpdir>/batchdesk-modules`. */
  cacheDir?: string
}

/** One esbuild error, located in the user's source. `line` and `column` are 1-based, 0 when unknown. */
export interface CompileDiagnostic {
  file: string
  line: number
  column: number
  message: string
}

/** The module does not compile; the message lists `file:line:col: text` for each error. */
export class RunClassCompileError extends Error {
  constructor(
    readonly file: string,
    readonly diagnostics: CompileDiagnostic[]
  ) {
    super(`${file} does not compile:\n${diagnostics.map(formatDiagnostic).join('\n')}`)
    this.name = 'RunClassCompileError'
  }
}

/**
 * Runs at the top of every bundle. It makes `import … from 'batchdesk'` return `globalThis.__batchdesk`
 * (the engine's run API: a project folder has no node_modules) and makes `__dirname`, `__filename`,
 * `import.meta.url` and other requires behave as in the user's source file rather than in the cache folder
 * (the loader sets `globalThis.__batchdeskModuleFile` while the bundle loads). Resolving 'batchdesk' here
 * rather than with an esbuild plugin keeps the sync and async builds byte-identical (buildSync takes no plugins).
 */
const BANNER = [
  'var __bdFile = globalThis.__batchdeskModuleFile || __filename;',
  'var __bdRequire = __bdFile === __filename ? require : require("module").createRequire(__bdFile);',
  '__filename = __bdFile; __dirname = require("path").dirname(__bdFile);',
  'var __bdImportMetaUrl = require("url").pathToFileURL(__bdFile).href;',
  'require = Object.assign(function (id) { return id === "batchdesk" ? globalThis.__batchdesk : __bdRequire(id) }, __bdRequire);'
].join(' ')

const SOURCE_MAP_PREFIX = '//# sourceMappingURL=data:application/json;base64,'

/**
 * Compiles a run class module (TypeScript or JavaScript) with esbuild into one CommonJS bundle and writes
 * it to the cache folder (atomically; kept when already there). Node built-ins and `batchdesk` stay
 * external; anything else the module imports is bundled.
 * @param file path of the module; relative paths resolve against the current directory.
 * @throws RunClassCompileError with every error esbuild reports (file:line:col), or when the file is missing.
 */
export async function compileRunModule(file: string, options: CompileOptions = {}): Promise<CompiledModule> {
  const entry = checkedEntry(file)
  let bundle: string
  let entryEsm: string
  try {
    const result = await build(bundleOptions(entry))
    bundle = result.outputFiles![0].text
    entryEsm = (await transform(readFileSync(entry, 'utf8'), transformOptions(entry))).code
  } catch (error) {
    throw compileError(entry, error)
  }
  return finish(entry, bundle, entryEsm, options)
}

/**
 * The synchronous twin of `compileRunModule` (same output, same hash), for `loadRunClass`.
 * @throws RunClassCompileError as `compileRunModule` does.
 */
export function compileRunModuleSync(file: string, options: CompileOptions = {}): CompiledModule {
  const entry = checkedEntry(file)
  let bundle: string
  let entryEsm: string
  try {
    bundle = buildSync(bundleOptions(entry)).outputFiles![0].text
    entryEsm = transformSync(readFileSync(entry, 'utf8'), transformOptions(entry)).code
  } catch (error) {
    throw compileError(entry, error)
  }
  return finish(entry, bundle, entryEsm, options)
}

/** The default folder for compiled bundles. */
export function defaultModuleCacheDir(): string {
  return path.join(tmpdir(), 'batchdesk-modules')
}

function checkedEntry(file: string): string {
  const entry = path.resolve(file)
  if (!existsSync(entry))
    throw new RunClassCompileError(entry, [{ file: entry, line: 0, column: 0, message: 'file not found' }])
  return entry
}

function bundleOptions(entry: string): BuildOptions & { write: false } {
  return {
    entryPoints: [entry],
    // Paths in the output (comments, source map) are relative to the module's folder, so the code does
    // not depend on where the project lives.
    absWorkingDir: path.dirname(entry),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    write: false,
    sourcemap: 'inline',
    sourcesContent: true,
    // Function names are how function-valued parameters are identified (`operator = max`).
    keepNames: true,
    external: ['batchdesk'],
    banner: { js: BANNER },
    define: {
      'import.meta.url': '__bdImportMetaUrl',
      'import.meta.filename': '__filename',
      'import.meta.dirname': '__dirname'
    },
    logLevel: 'silent'
  }
}

function transformOptions(entry: string): TransformOptions {
  return { loader: loaderFor(entry), format: 'esm', target: 'node20', sourcefile: entry, logLevel: 'silent' }
}

function loaderFor(file: string): Loader {
  const extension = path.extname(file).toLowerCase()
  if (extension === '.tsx') return 'tsx'
  if (extension === '.jsx') return 'jsx'
  if (extension === '.js' || extension === '.mjs' || extension === '.cjs') return 'js'
  return 'ts'
}

function finish(entry: string, bundle: string, entryEsm: string, options: CompileOptions): CompiledModule {
  const mapAt = bundle.lastIndexOf(SOURCE_MAP_PREFIX)
  const codeOnly = mapAt < 0 ? bundle : bundle.slice(0, mapAt)
  const codeHash = createHash('sha256').update(codeOnly).digest('hex')
  const code =
    mapAt < 0
      ? bundle
      : codeOnly + absoluteSourceMap(bundle.slice(mapAt + SOURCE_MAP_PREFIX.length), path.dirname(entry))
  const cacheDir = options.cacheDir ?? defaultModuleCacheDir()
  const bundleFile = path.join(cacheDir, `${codeHash}.cjs`)
  writeIfChanged(bundleFile, code)
  return { file: entry, bundleFile, codeHash, code, entryEsm }
}

/**
 * Rewrites the source map's sources as file URLs of the real files: Node resolves relative sources
 * against the bundle (in the cache folder), and stack traces must name the user's files.
 */
function absoluteSourceMap(base64: string, moduleDir: string): string {
  const map = JSON.parse(Buffer.from(base64.trim(), 'base64').toString('utf8')) as { sources?: string[] }
  map.sources = (map.sources ?? []).map((source) =>
    /^[a-z][a-z0-9+.-]*:/i.test(source) ? source : pathToFileURL(path.resolve(moduleDir, source)).href
  )
  return SOURCE_MAP_PREFIX + Buffer.from(JSON.stringify(map)).toString('base64') + '\n'
}

/**
 * The same code in another folder only differs in its source map; the latest compile wins, so stack
 * traces name the files that were compiled last.
 */
function writeIfChanged(file: string, text: string): void {
  try {
    if (readFileSync(file, 'utf8') === text) return
  } catch {
    // Not there yet.
  }
  mkdirSync(path.dirname(file), { recursive: true })
  const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  writeFileSync(temp, text)
  renameSync(temp, file)
}

function compileError(entry: string, error: unknown): Error {
  const messages = (error as { errors?: Message[] }).errors
  if (!Array.isArray(messages) || messages.length === 0) return error as Error
  const moduleDir = path.dirname(entry)
  return new RunClassCompileError(
    entry,
    messages.map((message) => ({
      file: message.location ? path.resolve(moduleDir, message.location.file) : entry,
      line: message.location?.line ?? 0,
      column: message.location ? message.location.column + 1 : 0,
      message: message.text
    }))
  )
}

function formatDiagnostic(diagnostic: CompileDiagnostic): string {
  const where =
    diagnostic.line > 0 ? `${diagnostic.file}:${diagnostic.line}:${diagnostic.column}` : diagnostic.file
  return `${where}: ${diagnostic.message}`
}
