/**
 * A pack source whose reading, inflating, hashing and parsing happen in a worker thread
 * (out/engine/packs-worker.js, built from worker.ts), so the Electron main thread never blocks on a large
 * or hostile pack. The project side (comparing with stored results, writing) stays in the calling thread,
 * which holds the project's store and lock.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import { packageRoot } from '../package-root'
import { PackError, type PackErrorCode } from './errors'
import type { PackLimits } from './format'
import type { PackScan, PackSource } from './pack-source'
import type { VerifiedRecord } from './verify-record'

/** What a source reads: a pack file, or a batchpy result folder for one batch. */
export type SourceSpec =
  { kind: 'pack'; file: string; limits: PackLimits } | { kind: 'legacy'; folder: string; batch: string }

/** Messages to the worker. */
export type ToWorker =
  | { type: 'scan' }
  | { type: 'records'; select: string[]; chunkBytes: number }
  | { type: 'next' }
  | { type: 'close' }

/** Messages from the worker. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'scan'; scan: PackScan }
  | { type: 'chunk'; records: VerifiedRecord[] }
  | { type: 'done' }
  | { type: 'error'; error: { name: string; code?: PackErrorCode; message: string } }

/** The worker script: `out/engine/packs-worker.js` under the package root (built by scripts/build-engine.mjs). */
export function packsWorkerFile(): string {
  return path.join(packageRoot(), 'out', 'engine', 'packs-worker.js')
}

/**
 * Starts a worker that opens `spec`.
 * @throws PackError as openPack / openLegacyFolder do; Error when the worker script is not built.
 */
export async function openSourceInWorker(
  spec: SourceSpec,
  workerFile = packsWorkerFile()
): Promise<PackSource> {
  if (!existsSync(workerFile))
    throw new Error(`${workerFile} is missing: build the engine first (npm run build:engine)`)
  const source = new WorkerSource(new Worker(workerFile, { workerData: spec }))
  try {
    await source.expect('ready')
  } catch (error) {
    await source.close()
    throw error
  }
  return source
}

class WorkerSource implements PackSource {
  readonly #worker: Worker
  readonly #inbox: FromWorker[] = []
  #waiting: ((message: FromWorker) => void) | undefined
  #stopped: Error | undefined
  #closed = false

  constructor(worker: Worker) {
    this.#worker = worker
    worker.on('message', (message: FromWorker) => this.#deliver(message))
    worker.on('error', (error) => this.#stop(error))
    worker.on('exit', (code) => this.#stop(new Error(`the pack reader thread stopped (exit code ${code})`)))
  }

  async scan(): Promise<PackScan> {
    this.#send({ type: 'scan' })
    const { scan } = await this.expect('scan')
    // Buffers cross the thread boundary as plain Uint8Arrays.
    for (const code of scan.code)
      code.content = Buffer.from(code.content.buffer, code.content.byteOffset, code.content.byteLength)
    return scan
  }

  async records(
    select: ReadonlySet<string>,
    chunkBytes: number,
    onChunk: (records: VerifiedRecord[]) => Promise<void>
  ): Promise<void> {
    this.#send({ type: 'records', select: [...select], chunkBytes })
    for (;;) {
      const message = await this.#next()
      if (message.type === 'done') return
      if (message.type !== 'chunk')
        throw new Error(`the pack reader thread answered ${message.type} instead of chunk`)
      await onChunk(message.records)
      this.#send({ type: 'next' })
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#worker.terminate()
  }

  /** The next message, which must be of `type` (an error message is thrown as the error it carries). */
  async expect<T extends FromWorker['type']>(type: T): Promise<Extract<FromWorker, { type: T }>> {
    const message = await this.#next()
    if (message.type !== type)
      throw new Error(`the pack reader thread answered ${message.type} instead of ${type}`)
    return message as Extract<FromWorker, { type: T }>
  }

  #next(): Promise<FromWorker> {
    const queued = this.#inbox.shift()
    const settle = (message: FromWorker): FromWorker => {
      if (message.type !== 'error') return message
      const { name, code, message: text } = message.error
      if (name === 'PackError' && code) throw new PackError(code, text)
      throw Object.assign(new Error(text), { name })
    }
    if (queued) return Promise.resolve().then(() => settle(queued))
    if (this.#stopped) return Promise.reject(this.#stopped)
    return new Promise<FromWorker>((resolve) => (this.#waiting = resolve)).then(settle)
  }

  #deliver(message: FromWorker): void {
    const waiting = this.#waiting
    this.#waiting = undefined
    if (waiting) waiting(message)
    else this.#inbox.push(message)
  }

  #stop(error: Error): void {
    if (this.#stopped) return
    this.#stopped = error
    if (!this.#closed) this.#deliver({ type: 'error', error: { name: error.name, message: error.message } })
  }

  #send(message: ToWorker): void {
    if (this.#stopped) throw this.#stopped
    this.#worker.postMessage(message)
  }
}
