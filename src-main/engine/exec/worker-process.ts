import { fork, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { Readable } from 'node:stream'
import type { FromWorkerMessage, ToWorkerMessage } from './protocol'

/** Bytes of a worker's stderr kept for diagnosing a crash (V8 prints "heap out of memory" there). */
const STDERR_TAIL_BYTES = 16 * 1024

export interface WorkerProcessOptions {
  script: string
  maxOldSpaceMb?: number
  env?: Record<string, string | undefined>
  onMessage(worker: WorkerProcess, message: FromWorkerMessage): void
  onClose(worker: WorkerProcess, code: number | null, signal: NodeJS.Signals | null): void
}

/** One forked worker process and what the pool has handed it. */
export class WorkerProcess {
  readonly child: ChildProcess
  /** Indices (into the current task list) of the tasks sent and not yet answered, in the order sent. */
  inFlight: number[] = []
  /** When the first task of `inFlight` started (epoch ms), if the worker said so. */
  headStartedAt: number | undefined
  /** The worker promised to answer the first task before starting another: it is the one running. */
  headStartExact = false
  /** The worker answered its first message. */
  ready = false
  /** The pool itself is ending this process: its exit is not a crash. */
  expectedExit = false
  /** A cancel was sent and not yet answered. */
  cancelling = false
  /** Set when the pool killed this worker for using too much memory: how many MB it used. */
  killedForMemoryMb: number | undefined
  /** The memory limit this worker was killed for exceeding (for the message). */
  maxRssMb: number | undefined
  closed = false
  #stderrTail = ''
  readonly #closeListeners: Array<() => void> = []

  constructor(options: WorkerProcessOptions) {
    const execArgv = ['--enable-source-maps']
    if (options.maxOldSpaceMb !== undefined)
      execArgv.push(`--max-old-space-size=${Math.round(options.maxOldSpaceMb)}`)
    this.child = fork(options.script, [], {
      serialization: 'advanced',
      silent: true,
      execArgv,
      env: options.env ? { ...process.env, ...options.env } : process.env
    })
    // Stray output (module top level, stray timers) is not part of any run: drain it, keep stderr's tail.
    this.child.stdout?.resume()
    this.child.stderr?.setEncoding('utf8')
    this.child.stderr?.on('data', (text: string) => {
      this.#stderrTail = (this.#stderrTail + text).slice(-STDERR_TAIL_BYTES)
    })
    this.child.on('message', (message: FromWorkerMessage) => {
      this.ready = true
      options.onMessage(this, message)
    })
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (this.closed) return
      this.closed = true
      options.onClose(this, code, signal)
      for (const listener of this.#closeListeners.splice(0)) listener()
    }
    // A crash is examined once stderr has been read to the end ("heap out of memory" comes last). 'close'
    // alone is not enough: Node never emits it for a child whose IPC channel the parent disconnected.
    this.child.on('close', finish)
    this.child.on('exit', (code, signal) => {
      const stderr = this.child.stderr
      if (!stderr || stderr.readableEnded || stderr.destroyed) return finish(code, signal)
      const timer = setTimeout(() => finish(code, signal), 200)
      stderr.once('end', () => {
        clearTimeout(timer)
        finish(code, signal)
      })
    })
    this.child.on('error', () => {
      // A failed spawn or kill; 'close' follows and reports the exit.
    })
  }

  /** Calls `listener` once the process has exited and its output has been read (now if it has). */
  onceClosed(listener: () => void): void {
    if (this.closed) listener()
    else this.#closeListeners.push(listener)
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  /** Resident memory of the process in MB, where the OS shows it (Linux); undefined elsewhere or once gone. */
  rssMb(): number | undefined {
    if (this.child.pid === undefined || process.platform !== 'linux') return undefined
    try {
      const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'))
      return match ? Math.round(Number(match[1]) / 1024) : undefined
    } catch {
      return undefined
    }
  }

  /** The last bytes the process wrote to stderr. */
  get stderrTail(): string {
    return this.#stderrTail
  }

  send(message: ToWorkerMessage): void {
    if (this.child.connected) this.child.send(message)
  }

  /** Ends the process now (SIGKILL): for a worker stuck in user code. */
  kill(): void {
    this.expectedExit = true
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
  }

  /** Asks an idle worker to exit by closing its channel. */
  disconnect(): void {
    this.expectedExit = true
    if (this.child.connected) this.child.disconnect()
  }

  /** Whether this process keeps the parent's event loop alive: only while it has work. */
  setKeepsParentAlive(keep: boolean): void {
    const handles = [this.child, this.child.channel, this.child.stdout, this.child.stderr] as Array<
      (ChildProcess | Readable | { ref?(): void; unref?(): void }) | null | undefined
    >
    for (const handle of handles) {
      const h = handle as { ref?(): void; unref?(): void } | null | undefined
      if (keep) h?.ref?.()
      else h?.unref?.()
    }
  }
}
