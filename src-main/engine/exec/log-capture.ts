import { format } from 'node:util'

/** Bytes of console output kept per run; the rest is dropped and the run's log is marked truncated. */
export const LOG_CAP_BYTES = 64 * 1024

const consoleMethods = ['log', 'info', 'warn', 'error', 'debug'] as const
type ConsoleMethod = (typeof consoleMethods)[number]

/** What one run printed. */
export interface CapturedLog {
  log: string
  logTruncated: boolean
}

/**
 * Captures what runs print: console.log/info/warn/error/debug and process.stdout/stderr.write while a run
 * is active (`begin` … `end`), and passes everything else through untouched. Installed once per process
 * (a worker) or for the duration of an in-process execute.
 */
export class LogCapture {
  readonly #capBytes: number
  #parts: string[] = []
  #bytes = 0
  #truncated = false
  #active = false
  #restore: (() => void) | undefined

  constructor(capBytes = LOG_CAP_BYTES) {
    this.#capBytes = capBytes
  }

  /** Replaces the console methods and the stdout/stderr writers. Idempotent. */
  install(): void {
    if (this.#restore) return
    const originals = new Map<ConsoleMethod, (...args: unknown[]) => void>()
    for (const method of consoleMethods) {
      const original = console[method]
      originals.set(method, original)
      console[method] = (...args: unknown[]) => {
        if (!this.#active) original.apply(console, args)
        else if (!this.#truncated) this.#append(format(...args) + '\n')
      }
    }
    const streams = [process.stdout, process.stderr]
    const writers = streams.map((stream) => stream.write)
    streams.forEach((stream, i) => {
      const original = writers[i]
      stream.write = ((chunk: unknown, encoding?: unknown, callback?: unknown) => {
        if (!this.#active)
          return original.call(stream, chunk as string, encoding as BufferEncoding, callback as () => void)
        this.#append(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'))
        const done = typeof encoding === 'function' ? encoding : callback
        if (typeof done === 'function') queueMicrotask(() => done())
        return true
      }) as typeof stream.write
    })
    this.#restore = () => {
      for (const [method, original] of originals) console[method] = original
      streams.forEach((stream, i) => (stream.write = writers[i]))
    }
  }

  /** Puts back the original console methods and stream writers. */
  uninstall(): void {
    this.#restore?.()
    this.#restore = undefined
    this.#active = false
  }

  /** Starts collecting output for a run. */
  begin(): void {
    this.#parts = []
    this.#bytes = 0
    this.#truncated = false
    this.#active = true
  }

  /** Stops collecting and returns what the run printed, at most the cap. */
  end(): CapturedLog {
    this.#active = false
    const log = this.#parts.length === 1 ? this.#parts[0] : this.#parts.join('')
    this.#parts = []
    return { log, logTruncated: this.#truncated }
  }

  #append(text: string): void {
    if (this.#truncated || text.length === 0) return
    const bytes = Buffer.byteLength(text)
    if (this.#bytes + bytes <= this.#capBytes) {
      this.#parts.push(text)
      this.#bytes += bytes
      return
    }
    // Keep the head of the output: the first lines usually say what the run was doing.
    const room = this.#capBytes - this.#bytes
    const head = Buffer.from(text)
      .subarray(0, room)
      .toString('utf8')
      .replace(/\uFFFD$/, '')
    if (head) this.#parts.push(head)
    this.#bytes = this.#capBytes
    this.#truncated = true
  }
}
