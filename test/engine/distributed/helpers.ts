/**
 * Helpers of the distributed tests (and the distributed benchmark): a real redis-server on a random
 * loopback port, real `batchdesk worker` processes, projects in temporary folders, and what is on disk.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { acquireStore } from '../../../src-main/engine/store'
import { readOneFrame, scanFrames } from '../../../src-main/engine/store/frame'
import { parseRecordBody } from '../../../src-main/engine/store/record'
import { classifyResultFiles } from '../../../src-main/engine/store/result-files'
import type { Executor, RunOutcome } from '../../../src-main/engine/types'

/** The repository: found from here, so the helpers work from the sources and bundled (benchmarks in out/bench). */
export const repoRoot = findRepoRoot(__dirname)
export const cliScript = path.join(repoRoot, 'bin', 'batchdesk.js')
export const fixtures = path.join(repoRoot, 'test', 'engine', 'distributed', 'fixtures')
export const quickstartClass = path.join(repoRoot, 'resources', 'examples', 'quickstart', 'example_run.ts')

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'bin', 'batchdesk.js'))) return dir
    if (path.dirname(dir) === dir) throw new Error(`no Batchdesk checkout above ${from}`)
  }
}

const madeFolders: string[] = []

/** A fresh temporary folder; removeTempFolders() deletes them all. */
export function makeTempFolder(prefix = 'bd-dist-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix))
  madeFolders.push(dir)
  return dir
}

export function removeTempFolders(): void {
  for (const dir of madeFolders.splice(0)) rmSync(dir, { recursive: true, force: true })
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Polls until `condition` holds; fails naming what it waited for (a safety net, not a timed assertion). */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  limitMs = 30_000
): Promise<void> {
  const deadline = Date.now() + limitMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await sleep(20)
  }
}

// ---- redis-server ------------------------------------------------------------------------------------

export interface RedisServer {
  url: string
  port: number
  /** Kills the server (SIGKILL: nothing is saved, as after a crash). */
  stop(): Promise<void>
  /** Starts it again, empty, on the same port. */
  start(): Promise<void>
}

const servers = new Set<ChildProcess>()

/**
 * Starts `redis-server` on a random loopback port, without persistence.
 * @throws Error saying how to install redis-server when it is not on PATH.
 */
export async function startRedis(options: { password?: string; tls?: TlsFiles } = {}): Promise<RedisServer> {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' })
  if (probe.error) {
    throw new Error(
      'redis-server is not installed (not found on PATH): the distributed tests need it. Install it with `apt-get install -y redis-server` (Debian/Ubuntu) or `brew install redis`.'
    )
  }
  const port = await freePort()
  let child: ChildProcess | undefined
  const server: RedisServer = {
    url: `${options.tls ? 'rediss' : 'redis'}://${options.password ? `:${options.password}@` : ''}127.0.0.1:${port}`,
    port,
    async stop() {
      const running = child
      child = undefined
      if (!running || running.exitCode !== null || running.signalCode !== null) return
      const exited = new Promise((resolve) => running.once('exit', resolve))
      running.kill('SIGKILL')
      await exited
      servers.delete(running)
    },
    async start() {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
      if (options.password) args.push('--requirepass', options.password)
      if (options.tls) {
        args.splice(0, 2, '--port', '0', '--tls-port', String(port))
        args.push(
          '--tls-cert-file',
          options.tls.cert,
          '--tls-key-file',
          options.tls.key,
          '--tls-auth-clients',
          'no'
        )
      }
      const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
      servers.add(started)
      child = started
      let output = ''
      await new Promise<void>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString()
          if (output.includes('Ready to accept connections')) resolve()
        }
        started.stdout!.on('data', onData)
        started.stderr!.on('data', onData)
        started.once('exit', (code) =>
          reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`))
        )
      })
      started.stdout!.resume()
      started.stderr!.resume()
    }
  }
  await server.start()
  return server
}

export interface TlsFiles {
  /** The server's certificate (self-signed for 127.0.0.1): also the CA clients must trust. */
  cert: string
  key: string
}

/** A self-signed certificate for 127.0.0.1, made with openssl in `dir`. */
export function selfSignedCertificate(dir: string): TlsFiles {
  const files = { cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') }
  const made = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'].concat([
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      files.key,
      '-out',
      files.cert
    ]),
    { encoding: 'utf8' }
  )
  if (made.status !== 0)
    throw new Error(`openssl could not make a test certificate: ${made.error?.message ?? made.stderr}`)
  return files
}

/** Runs `node bin/batchdesk.js …args` to the end; resolves to its exit code and output. */
export function runCli(
  args: string[],
  env: Record<string, string> = {}
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliScript, ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env }
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, output }))
  })
}

/** Kills every redis-server these helpers started. */
export async function stopAllRedis(): Promise<void> {
  for (const child of [...servers]) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
    }
    servers.delete(child)
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
}

// ---- batchdesk worker --------------------------------------------------------------------------------

export interface WorkerProcess {
  child: ChildProcess
  pid: number
  /** Everything it printed so far. */
  output(): string
  /** Ends it (SIGKILL by default) and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>
}

const workers = new Set<WorkerProcess>()

/** Starts `node bin/batchdesk.js worker --redis <url> --concurrency 1 …args` and waits until it says it is ready. */
export async function startWorker(
  url: string,
  args: string[] = [],
  env: Record<string, string> = {}
): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    [cliScript, 'worker', '--redis', url, '--concurrency', '1', ...args],
    {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env }
    }
  )
  let text = ''
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()))
  const worker: WorkerProcess = {
    child,
    pid: child.pid!,
    output: () => text,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill(signal)
        await exited
      }
      workers.delete(worker)
    }
  }
  workers.add(worker)
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (text.includes('Batchdesk worker ready')) resolve()
    }
    child.stdout!.on('data', check)
    child.once('exit', (code) =>
      reject(new Error(`batchdesk worker exited (${code}) before it was ready:\n${text}`))
    )
  })
  return worker
}

/** Kills every worker these helpers started. */
export async function stopAllWorkers(): Promise<void> {
  await Promise.all([...workers].map((worker) => worker.kill()))
}

// ---- projects ----------------------------------------------------------------------------------------

/** Writes a project: the run class file (copied) and a manifest with one batch and these designs. */
export function writeProject(
  dir: string,
  options: { batch: string; runClassFile: string; designs: unknown[]; settings?: Record<string, unknown> }
): string {
  mkdirSync(dir, { recursive: true })
  const name = path.basename(options.runClassFile)
  copyFileSync(options.runClassFile, path.join(dir, name))
  const manifest = {
    format: 1,
    name: path.basename(dir),
    batches: [{ name: options.batch, runClass: name, designs: options.designs }],
    settings: options.settings ?? {}
  }
  writeFileSync(path.join(dir, 'batchdesk.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  return dir
}

/** The quickstart's 10,000-run design: A = 0…499 × five lists B × four operators. */
export function tenThousandDesign(): unknown[] {
  return [
    {
      kind: 'factorial',
      grid: {
        A: { $range: [0, 500, 1] },
        B: [
          [2, 5, 8],
          [1, 9, 6, 3, 9],
          [6, 4, 0, 9, 4, 1],
          [7, 7],
          [3, 1, 4, 1, 5]
        ],
        operator: ['min', 'max', 'sum', 'len']
      }
    }
  ]
}

/**
 * The stored record of every run, as bytes, with the fields that differ between two computations of
 * the same run (runtime, started, ended) cut out. Everything else must be identical byte for byte.
 */
export function storedRecords(
  projectDir: string,
  batch: string,
  ids: readonly string[]
): Map<string, string> {
  const store = acquireStore(path.join(projectDir, '_res'), { readOnly: true })
  try {
    const records = new Map<string, string>()
    for (const id of ids) {
      const body = store.readRecordBody(batch, id)
      if (!body) throw new Error(`run ${id} of batch ${batch} has no stored result in ${projectDir}`)
      records.set(id, body.toString('utf8').replace(/,"runtime":[^,]*,"started":"[^"]*","ended":"[^"]*"/, ''))
    }
    return records
  } finally {
    store.release()
  }
}

/** How many records of each run id the result folder holds on disk (segments and record files). */
export function recordsOnDisk(projectDir: string): Map<string, number> {
  const resDir = path.join(projectDir, '_res')
  const counts = new Map<string, number>()
  if (!existsSync(resDir)) return counts
  const count = (id: string) => counts.set(id, (counts.get(id) ?? 0) + 1)
  const files = classifyResultFiles(readdirSync(resDir))
  for (const record of files.records) {
    const frame = readOneFrame(readFileSync(path.join(resDir, record.name)))
    if (!('reason' in frame)) count(parseRecordBody(frame.body, record.name, 0).id)
  }
  for (const segment of files.segments) {
    for (const frame of scanFrames(readFileSync(path.join(resDir, segment.name)), 0).frames) {
      count(parseRecordBody(frame.body, segment.name, frame.offset).id)
    }
  }
  return counts
}

/** Wraps an executor to count how often each run's outcome is handed to the batch. */
export function countingExecutor(inner: Executor): {
  executor: Executor
  deliveries: Map<string, number>
  outcomes: RunOutcome[]
} {
  const deliveries = new Map<string, number>()
  const outcomes: RunOutcome[] = []
  return {
    deliveries,
    outcomes,
    executor: {
      execute: (tasks, options) =>
        inner.execute(tasks, {
          ...options,
          onOutcomes: (group) => {
            for (const outcome of group) {
              deliveries.set(outcome.id, (deliveries.get(outcome.id) ?? 0) + 1)
              outcomes.push(outcome)
            }
            return options.onOutcomes(group)
          }
        }),
      close: () => inner.close()
    }
  }
}

/** Lines of a file the fixtures append run ids to (one line per computation). */
export function computations(file: string): Map<string, number> {
  const counts = new Map<string, number>()
  if (!existsSync(file)) return counts
  for (const line of readFileSync(file, 'utf8').split('\n'))
    if (line) counts.set(line, (counts.get(line) ?? 0) + 1)
  return counts
}
