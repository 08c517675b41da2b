/** Shared helpers of the reliability tests: temp folders, child engines, and the invariants every test checks. */
import Database from 'better-sqlite3'
import { spawn, type ChildProcess } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { build } from 'esbuild'
import { readOneFrame, scanFrames } from '../../src-main/engine/store/frame'
import { classifyResultFiles } from '../../src-main/engine/store/result-files'
import { parseRecordBody } from '../../src-main/engine/store/record'

export const repoRoot = path.resolve(__dirname, '../..')
export const cliScript = path.join(repoRoot, 'bin', 'batchdesk.js')
export const workFixture = path.join(__dirname, 'fixtures', 'work')

/** An iteration count from the environment (for `npm run soak`), else `ci`. */
export function iterations(name: string, ci: number): number {
  const text = process.env[name]
  const value = text === undefined ? ci : Number(text)
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number, not ${text}`)
  return value
}

/** True under `npm run soak`. */
export const soak = process.env.BATCHDESK_SOAK === '1'

/** A small deterministic random generator (mulberry32), so a failing iteration can be replayed from its seed. */
export function randomGenerator(seed: number): { next(): number; int(min: number, max: number): number } {
  let state = seed >>> 0
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return { next, int: (min, max) => min + Math.floor(next() * (max - min + 1)) }
}

const madeFolders: string[] = []

/** A fresh folder under the OS temp folder; removeTempFolders() deletes them all. */
export function makeTempFolder(prefix = 'bd-rel-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix))
  madeFolders.push(dir)
  return dir
}

export function removeTempFolders(): void {
  for (const dir of madeFolders.splice(0)) rmSync(dir, { recursive: true, force: true })
}

/** A copy of the reliability work project (batch 'work', 120 runs of round 0) in a fresh folder. */
export function makeWorkProject(): string {
  const dir = makeTempFolder('bd-work-')
  cpSync(workFixture, dir, { recursive: true })
  return dir
}

/** Adds round `round` (120 more runs) to the work project's manifest. */
export function addWorkRound(dir: string, round: number, runs = 120): void {
  const file = path.join(dir, 'batchdesk.json')
  const manifest = JSON.parse(readFileSync(file, 'utf8'))
  manifest.batches[0].designs.push({
    kind: 'factorial',
    grid: { i: { $range: [0, runs, 1] }, round: [round] }
  })
  writeFileSync(file, JSON.stringify(manifest, null, 2))
}

const builds = new Map<string, Promise<string>>()

/**
 * Bundles test/reliability/children/<name>.ts with esbuild into out/reliability/<name>.js (under the repo,
 * so better-sqlite3 and the worker script resolve as they do for the CLI) and returns its path.
 */
export function buildChild(name: string): Promise<string> {
  let built = builds.get(name)
  if (!built) {
    built = (async () => {
      const outfile = path.join(repoRoot, 'out', 'reliability', `${name}.js`)
      const result = await build({
        entryPoints: [path.join(__dirname, 'children', `${name}.ts`)],
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        sourcemap: 'inline',
        keepNames: true,
        external: ['better-sqlite3', 'esbuild', 'electron'],
        write: false,
        logLevel: 'silent'
      })
      mkdirSync(path.dirname(outfile), { recursive: true })
      // Written atomically: another test file may be starting the same child right now.
      const temp = `${outfile}.${process.pid}.tmp`
      writeFileSync(temp, result.outputFiles[0].contents)
      renameSync(temp, outfile)
      return outfile
    })()
    builds.set(name, built)
  }
  return built
}

export interface ChildRun {
  child: ChildProcess
  /** Lines printed so far on stdout. */
  lines: string[]
  stderr(): string
  /** Resolves with the exit code (null when killed by a signal) and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Starts `node <script> ...args`, collecting stdout lines and stderr. */
export function startNode(script: string, args: string[], env: Record<string, string> = {}): ChildRun {
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env }
  })
  const lines: string[] = []
  let partial = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    const parts = (partial + text).split('\n')
    partial = parts.pop()!
    lines.push(...parts)
  })
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-64 * 1024)
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      if (partial) lines.push(partial)
      resolve({ code, signal })
    })
  )
  return { child, lines, stderr: () => stderr, exited }
}

/** Runs the CLI to the end. */
export async function runCli(
  args: string[],
  env: Record<string, string> = {}
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = startNode(cliScript, args, env)
  const { code } = await run.exited
  return { code, stdout: run.lines.join('\n'), stderr: run.stderr() }
}

/** Pids of the direct children of `pid` (Linux /proc). */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
  } catch {
    return []
  }
}

/** Pids of the worker processes (out/engine/worker.js) among the children of `pid`. */
export function workerPids(pid: number): number[] {
  return childPids(pid).filter((child) => {
    try {
      return readFileSync(`/proc/${child}/cmdline`, 'utf8').includes(path.join('out', 'engine', 'worker.js'))
    } catch {
      return false
    }
  })
}

/** True while a process with this pid exists (and is not a zombie). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return !/^\d+ \(.*\) [ZX]/.test(stat)
  } catch {
    return false
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Waits until `condition` holds, polling; throws with `what` after `limitMs` (a hang guard, not a timing assertion). */
export async function waitFor(condition: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const deadline = Date.now() + limitMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await sleep(10)
  }
}

export interface RawFolderState {
  /** `.bdr` files that do not hold exactly one complete, valid frame (must be empty: they are renamed into place). */
  brokenRecordFiles: string[]
  /** Segments with bytes after their last complete frame (a torn append), name → torn bytes. */
  tornSegments: Map<string, number>
  /** Damaged frames inside segments (not at the end). */
  damagedFrames: string[]
  /** Leftover temp files of atomic writes, in `_res` and `_res/.batchdesk`. */
  temps: string[]
}

/** What is on disk in a result folder, read without Batchdesk's store (as a crash left it); `records: false` skips .bdr files. */
export function rawFolderState(resDir: string, options: { records?: boolean } = {}): RawFolderState {
  const state: RawFolderState = {
    brokenRecordFiles: [],
    tornSegments: new Map(),
    damagedFrames: [],
    temps: []
  }
  if (!existsSync(resDir)) return state
  const files = classifyResultFiles(readdirSync(resDir))
  for (const record of options.records === false ? [] : files.records) {
    const frame = readOneFrame(readFileSync(path.join(resDir, record.name)))
    if ('reason' in frame) state.brokenRecordFiles.push(`${record.name}: ${frame.reason}`)
    else parseRecordBody(frame.body, record.name, 0)
  }
  for (const segment of files.segments) {
    const bytes = readFileSync(path.join(resDir, segment.name))
    const scan = scanFrames(bytes, 0)
    if (scan.end < bytes.length) state.tornSegments.set(segment.name, bytes.length - scan.end)
    for (const region of scan.damaged)
      state.damagedFrames.push(`${segment.name}@${region.offset}: ${region.reason}`)
    for (const frame of scan.frames) parseRecordBody(frame.body, segment.name, frame.offset)
  }
  state.temps.push(...files.temps)
  const stateDir = path.join(resDir, '.batchdesk')
  if (existsSync(stateDir)) {
    state.temps.push(
      ...readdirSync(stateDir)
        .filter((name) => name.endsWith('.tmp'))
        .map((name) => `.batchdesk/${name}`)
    )
  }
  return state
}

/** `PRAGMA integrity_check` of a result folder's index, opened read-only (call while no store has it open). */
export function indexIntegrity(resDir: string): string {
  const file = path.join(resDir, '.batchdesk', 'index.sqlite')
  if (!existsSync(file)) return 'missing'
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try {
    return String(db.pragma('integrity_check', { simple: true }))
  } finally {
    db.close()
  }
}

/** Total size of the result files in a folder. */
export function storedBytes(resDir: string): number {
  if (!existsSync(resDir)) return 0
  return readdirSync(resDir)
    .filter((name) => name.endsWith('.bdseg') || name.endsWith('.bdr'))
    .reduce((total, name) => total + statSync(path.join(resDir, name)).size, 0)
}
