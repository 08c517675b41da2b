/**
 * The one seam through which the result store touches the file system (everything except SQLite's own I/O).
 *
 * Keeping every call here lets tests and fault-injection harnesses swap in a file system that fails with
 * ENOSPC or EIO, writes short, or forgets unsynced bytes, without touching the store. Implementations must
 * throw errors the way `node:fs` does (an Error with a `code` such as 'ENOSPC'); the store maps the codes.
 */
import * as fs from 'node:fs'

export interface StoreFileSystem {
  /** Opens a file; `flags` as in `fs.open` ('r', 'r+', 'wx', …). */
  open(path: string, flags: string): Promise<number>
  /** Writes up to `length` bytes at `position`; may write fewer (the caller loops). Resolves with the count. */
  write(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>
  /** Reads up to `length` bytes at `position`; resolves with the count (0 at end of file). */
  read(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number>
  fsync(fd: number): Promise<void>
  ftruncate(fd: number, length: number): Promise<void>
  close(fd: number): Promise<void>
  rename(from: string, to: string): Promise<void>
  unlink(path: string): Promise<void>
  /** Size and modification time of an open file. */
  fstat(fd: number): Promise<{ size: number; mtimeMs: number }>
  /** Flushes a directory's entries (new, renamed or removed files) to disk. */
  fsyncDirectory(path: string): Promise<void>

  openSync(path: string, flags: string): number
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number
  fsyncSync(fd: number): void
  ftruncateSync(fd: number, length: number): void
  closeSync(fd: number): void
  renameSync(from: string, to: string): void
  unlinkSync(path: string): void
  /** Size and modification time, or undefined when the path does not exist. */
  statSync(path: string): { size: number; mtimeMs: number; isFile: boolean } | undefined
  readdirSync(path: string): string[]
  mkdirSync(path: string): void
  realpathSync(path: string): string
  fsyncDirectorySync(path: string): void
}

function promised<T>(
  start: (done: (error: NodeJS.ErrnoException | null, value?: T) => void) => void
): Promise<T> {
  return new Promise((resolve, reject) =>
    start((error, value) => (error ? reject(error) : resolve(value as T)))
  )
}

/** The real file system. The callback API runs fsync in libuv's thread pool, so the main thread keeps going. */
export const nodeFileSystem: StoreFileSystem = {
  open: (path, flags) => promised((done) => fs.open(path, flags, 0o666, done)),
  write: (fd, buffer, offset, length, position) =>
    promised((done) => fs.write(fd, buffer, offset, length, position, done)),
  read: (fd, buffer, offset, length, position) =>
    promised((done) => fs.read(fd, buffer, offset, length, position, done)),
  fsync: (fd) => promised((done) => fs.fsync(fd, done)),
  ftruncate: (fd, length) => promised((done) => fs.ftruncate(fd, length, done)),
  close: (fd) => promised((done) => fs.close(fd, done)),
  rename: (from, to) => promised((done) => fs.rename(from, to, done)),
  unlink: (path) => promised((done) => fs.unlink(path, done)),
  fstat: (fd) =>
    promised<fs.Stats>((done) => fs.fstat(fd, done)).then((stats) => ({
      size: stats.size,
      mtimeMs: stats.mtimeMs
    })),
  fsyncDirectory: async (path) => {
    const fd = await promised<number>((done) => fs.open(path, 'r', done))
    try {
      await promised((done) => fs.fsync(fd, done))
    } catch (error) {
      if (!isDirectorySyncUnsupported(error)) throw error
    } finally {
      await promised((done) => fs.close(fd, done))
    }
  },

  openSync: (path, flags) => fs.openSync(path, flags, 0o666),
  writeSync: (fd, buffer, offset, length, position) => fs.writeSync(fd, buffer, offset, length, position),
  readSync: (fd, buffer, offset, length, position) => fs.readSync(fd, buffer, offset, length, position),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  ftruncateSync: (fd, length) => fs.ftruncateSync(fd, length),
  closeSync: (fd) => fs.closeSync(fd),
  renameSync: (from, to) => fs.renameSync(from, to),
  unlinkSync: (path) => fs.unlinkSync(path),
  statSync: (path) => {
    const stats = fs.statSync(path, { throwIfNoEntry: false })
    return stats && { size: stats.size, mtimeMs: stats.mtimeMs, isFile: stats.isFile() }
  },
  readdirSync: (path) => fs.readdirSync(path),
  mkdirSync: (path) => void fs.mkdirSync(path, { recursive: true }),
  realpathSync: (path) => fs.realpathSync(path),
  fsyncDirectorySync: (path) => {
    const fd = fs.openSync(path, 'r')
    try {
      fs.fsyncSync(fd)
    } catch (error) {
      if (!isDirectorySyncUnsupported(error)) throw error
    } finally {
      fs.closeSync(fd)
    }
  }
}

// Windows cannot open or fsync a directory; its file systems make renames durable on their own.
function isDirectorySyncUnsupported(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'EISDIR' || code === 'EPERM' || code === 'EINVAL' || code === 'EBADF'
}

let active: StoreFileSystem = nodeFileSystem

/** The file system stores opened from now on will use (stores keep the one they were opened with). */
export function activeFileSystem(): StoreFileSystem {
  return active
}

/**
 * Makes stores opened from now on use `fileSystem` (fault injection in tests of the engine above the store).
 * @returns a function that restores the previous file system.
 */
export function installFileSystem(fileSystem: StoreFileSystem): () => void {
  const previous = active
  active = fileSystem
  return () => {
    active = previous
  }
}

/** Writes every byte of `buffer` at `position`, looping because a single write may write fewer bytes than asked. */
export async function writeFully(
  fileSystem: StoreFileSystem,
  fd: number,
  buffer: Uint8Array,
  position: number
): Promise<void> {
  let written = 0
  while (written < buffer.length) {
    const count = await fileSystem.write(fd, buffer, written, buffer.length - written, position + written)
    if (count <= 0)
      throw Object.assign(new Error(`write made no progress at byte ${position + written}`), { code: 'EIO' })
    written += count
  }
}

/** Synchronous `writeFully`. */
export function writeFullySync(
  fileSystem: StoreFileSystem,
  fd: number,
  buffer: Uint8Array,
  position: number
): void {
  let written = 0
  while (written < buffer.length) {
    const count = fileSystem.writeSync(fd, buffer, written, buffer.length - written, position + written)
    if (count <= 0)
      throw Object.assign(new Error(`write made no progress at byte ${position + written}`), { code: 'EIO' })
    written += count
  }
}

/** Reads `length` bytes at `position` (fewer only at end of file). */
export function readFullySync(
  fileSystem: StoreFileSystem,
  fd: number,
  length: number,
  position: number
): Buffer {
  const buffer = Buffer.allocUnsafe(length)
  let total = 0
  while (total < length) {
    const count = fileSystem.readSync(fd, buffer, total, length - total, position + total)
    if (count === 0) break
    total += count
  }
  return total === length ? buffer : buffer.subarray(0, total)
}

/** Asynchronous `readFullySync`. */
export async function readFully(
  fileSystem: StoreFileSystem,
  fd: number,
  length: number,
  position: number
): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length)
  let total = 0
  while (total < length) {
    const count = await fileSystem.read(fd, buffer, total, length - total, position + total)
    if (count === 0) break
    total += count
  }
  return total === length ? buffer : buffer.subarray(0, total)
}
