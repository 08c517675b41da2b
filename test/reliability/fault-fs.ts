/**
 * A fault-injecting file system for the store's seam: counts every call and, from call number `at`, makes
 * calls fail the way a full or failing disk does. The real file system does the work otherwise.
 */
import { nodeFileSystem, type StoreFileSystem } from '../../src-main/engine/store'

export type FaultMode =
  /** The first call from `at` on that needs space fails with ENOSPC; later calls work (space was freed). */
  | 'enospc-once'
  /** From `at` on, every call that needs space fails with ENOSPC (reads and closes still work). */
  | 'enospc-forever'
  /** The call at `at` fails with EIO. */
  | 'eio-once'
  /** From `at` on, every call fails with EIO, reads and closes included (a dying disk). */
  | 'eio-forever'
  /** The write at or after `at` writes half of what it was asked; nothing fails. */
  | 'short-write'
  /** From `at` on, a write writes half, the next fails with ENOSPC: how a disk fills up mid-write. */
  | 'short-then-enospc'

export const faultModes: readonly FaultMode[] = [
  'enospc-once',
  'enospc-forever',
  'eio-once',
  'eio-forever',
  'short-write',
  'short-then-enospc'
]

// Calls that need space on the disk (a rename or unlink may need a directory block; a close may flush).
const NEEDS_SPACE = new Set([
  'open',
  'openSync',
  'write',
  'writeSync',
  'fsync',
  'fsyncSync',
  'ftruncate',
  'ftruncateSync',
  'rename',
  'renameSync',
  'mkdirSync',
  'fsyncDirectory',
  'fsyncDirectorySync'
])
const WRITES = new Set(['write', 'writeSync'])

export interface FaultyFileSystem {
  fileSystem: StoreFileSystem
  /** Calls made so far. */
  readonly calls: number
  /** Calls that failed (or wrote short) because of the fault. */
  readonly injected: number
  /** Names of the calls, in order (for messages). */
  readonly log: string[]
  /** Stops injecting: the disk has space again. */
  heal(): void
}

function failure(code: 'ENOSPC' | 'EIO', call: string): NodeJS.ErrnoException {
  const text = code === 'ENOSPC' ? 'no space left on device' : 'i/o error'
  return Object.assign(new Error(`${code}: ${text}, ${call}`), {
    code,
    errno: code === 'ENOSPC' ? -28 : -5,
    syscall: call
  })
}

/** A file system that injects `mode` from call number `at` (1-based); `at` = Infinity never injects. */
export function faultyFileSystem(mode: FaultMode, at: number): FaultyFileSystem {
  let calls = 0
  let injected = 0
  let healed = false
  let shortPending = false
  let onceDone = false
  const log: string[] = []

  /** What to do with call `name`: undefined passes it through, 'short' halves a write, else an error code. */
  const decide = (name: string, args: unknown[]): 'short' | 'ENOSPC' | 'EIO' | undefined => {
    calls++
    log.push(name)
    // Opening a file only to read it needs no space.
    const needsSpace = NEEDS_SPACE.has(name) && !(name.startsWith('open') && args[1] === 'r')
    if (healed || calls < at) return undefined
    switch (mode) {
      case 'enospc-once':
        // Only calls that need space can run out of it: the first such call from `at` on fails.
        if (onceDone || !needsSpace) return undefined
        onceDone = true
        return 'ENOSPC'
      case 'eio-once':
        if (onceDone) return undefined
        onceDone = true
        return 'EIO'
      case 'enospc-forever':
        return needsSpace ? 'ENOSPC' : undefined
      case 'eio-forever':
        return 'EIO'
      case 'short-write':
        if (onceDone || !WRITES.has(name)) return undefined
        onceDone = true
        return 'short'
      case 'short-then-enospc':
        if (!needsSpace) return undefined
        if (WRITES.has(name) && !shortPending) {
          shortPending = true
          return 'short'
        }
        return 'ENOSPC'
    }
  }

  const wrap = <K extends keyof StoreFileSystem>(name: K): StoreFileSystem[K] => {
    const real = nodeFileSystem[name] as (...args: unknown[]) => unknown
    const isAsync = !name.endsWith('Sync')
    return ((...args: unknown[]) => {
      const decision = decide(name, args)
      if (decision === 'short') {
        injected++
        const [fd, buffer, offset, length, position] = args as [number, Uint8Array, number, number, number]
        const half = Math.max(1, Math.floor(length / 2))
        return real(fd, buffer, offset, length > 1 ? half : length, position)
      }
      if (decision) {
        injected++
        const error = failure(decision, name)
        if (isAsync) return Promise.reject(error)
        throw error
      }
      return real(...args)
    }) as StoreFileSystem[K]
  }

  const fileSystem = Object.fromEntries(
    (Object.keys(nodeFileSystem) as (keyof StoreFileSystem)[]).map((name) => [name, wrap(name)])
  ) as unknown as StoreFileSystem
  return {
    fileSystem,
    get calls() {
      return calls
    },
    get injected() {
      return injected
    },
    log,
    heal() {
      healed = true
    }
  }
}
