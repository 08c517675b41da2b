/**
 * A file system for power-loss simulation: it passes every call to the real file system and keeps a model
 * of what a power cut would leave behind after each mutating operation (a "crash point").
 *
 * The model follows POSIX durability rules as the pessimistic file systems apply them: a file's bytes are
 * durable only once the file is fsynced; a directory entry (a new file, a rename, an unlink) is durable only
 * once its directory is fsynced. Directories themselves are created durable (the store creates them once,
 * before any result is written). After the run, `image(k, variant)` writes the folder as it would be after a
 * crash right after operation k, for several ways the disk may have reordered unsynced work.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { nodeFileSystem, type StoreFileSystem } from '../../../src-main/engine/store'

/** How much of the unsynced work reached the disk before the crash. */
export type CrashVariant =
  /** Only what was fsynced: unsynced bytes and unsynced directory entries are lost. */
  | 'power-cut'
  /** Every byte written reached the disk, but no unsynced directory entry did. */
  | 'data-without-entries'
  /** Every directory change reached the disk, but no unsynced byte did (a renamed file may come back empty). */
  | 'entries-without-data'
  /** Like power-cut, but half of each file's unsynced appended bytes made it (a torn write). */
  | 'torn-append'
  /** Everything the process did reached the disk (the process died, the machine did not). */
  | 'process-crash'

export const crashVariants: readonly CrashVariant[] = [
  'power-cut',
  'data-without-entries',
  'entries-without-data',
  'torn-append',
  'process-crash'
]

interface Inode {
  current: Buffer
  durable: Buffer
}

interface Directory {
  current: Map<string, number>
  durable: Map<string, number>
}

/** The model after one operation: inode contents are immutable Buffers, so a snapshot is a shallow copy. */
interface ModelSnapshot {
  operation: string
  inodes: Map<number, Inode>
  directories: Map<string, Directory>
  /** Files outside the model (the SQLite index) as they were at that moment, relative path → bytes. */
  extras: Map<string, Buffer>
}

export class PowerLossFileSystem implements StoreFileSystem {
  readonly root: string
  readonly #inodes = new Map<number, Inode>()
  readonly #directories = new Map<string, Directory>()
  readonly #fds = new Map<number, number>()
  readonly #snapshots: ModelSnapshot[] = []
  readonly #extraFiles: string[]
  #nextInode = 1

  /**
   * @param root the folder being recorded (must be empty or missing).
   * @param extraFiles files under `root` written behind the seam's back (the SQLite index and its WAL),
   *   copied as they are at every crash point.
   */
  constructor(root: string, extraFiles: string[] = []) {
    this.root = path.resolve(root)
    this.#extraFiles = extraFiles
    this.#snapshot('start')
  }

  /** Number of crash points recorded (crash point 0 is the start). */
  get crashPoints(): number {
    return this.#snapshots.length
  }

  /** What operation crash point `k` follows. */
  operation(k: number): string {
    return this.#snapshots[k].operation
  }

  /** Writes into `target` (an empty folder) what `root` would hold after a crash right after operation `k`. */
  image(k: number, variant: CrashVariant, target: string, options: { withExtras?: boolean } = {}): void {
    const snapshot = this.#snapshots[k]
    const useCurrentEntries = variant === 'entries-without-data' || variant === 'process-crash'
    for (const [dir, directory] of snapshot.directories) {
      const targetDir = path.join(target, path.relative(this.root, dir))
      fs.mkdirSync(targetDir, { recursive: true })
      for (const [name, inodeNumber] of useCurrentEntries ? directory.current : directory.durable) {
        const inode = snapshot.inodes.get(inodeNumber)!
        fs.writeFileSync(path.join(targetDir, name), contentAfterCrash(inode, variant))
      }
    }
    if (options.withExtras !== false) {
      for (const [relative, bytes] of snapshot.extras) {
        fs.mkdirSync(path.dirname(path.join(target, relative)), { recursive: true })
        fs.writeFileSync(path.join(target, relative), bytes)
      }
    }
  }

  #directory(dir: string): Directory {
    let directory = this.#directories.get(dir)
    if (!directory) this.#directories.set(dir, (directory = { current: new Map(), durable: new Map() }))
    return directory
  }

  #entry(file: string): { directory: Directory; name: string } {
    const resolved = path.resolve(file)
    return { directory: this.#directory(path.dirname(resolved)), name: path.basename(resolved) }
  }

  #inside(file: string): boolean {
    const relative = path.relative(this.root, path.resolve(file))
    return !relative.startsWith('..') && !path.isAbsolute(relative)
  }

  #snapshot(operation: string): void {
    const extras = new Map<string, Buffer>()
    for (const relative of this.#extraFiles) {
      const file = path.join(this.root, relative)
      if (fs.existsSync(file)) extras.set(relative, fs.readFileSync(file))
    }
    const directories = new Map<string, Directory>()
    for (const [dir, directory] of this.#directories)
      directories.set(dir, { current: new Map(directory.current), durable: new Map(directory.durable) })
    const inodes = new Map<number, Inode>()
    for (const [number, inode] of this.#inodes) inodes.set(number, { ...inode })
    this.#snapshots.push({ operation, inodes, directories, extras })
  }

  #opened(file: string, flags: string, fd: number): void {
    if (!this.#inside(file)) return
    const { directory, name } = this.#entry(file)
    let inodeNumber = directory.current.get(name)
    const creates = /[wxa]/.test(flags)
    if (inodeNumber === undefined) {
      if (!creates) return
      inodeNumber = this.#nextInode++
      this.#inodes.set(inodeNumber, { current: Buffer.alloc(0), durable: Buffer.alloc(0) })
      directory.current.set(name, inodeNumber)
      this.#fds.set(fd, inodeNumber)
      this.#snapshot(`create ${path.relative(this.root, file)}`)
      return
    }
    this.#fds.set(fd, inodeNumber)
    if (flags.startsWith('w')) {
      this.#inodes.get(inodeNumber)!.current = Buffer.alloc(0)
      this.#snapshot(`truncate-open ${path.relative(this.root, file)}`)
    }
  }

  #wrote(fd: number, buffer: Uint8Array, offset: number, count: number, position: number): void {
    const inodeNumber = this.#fds.get(fd)
    if (inodeNumber === undefined || count <= 0) return
    const inode = this.#inodes.get(inodeNumber)!
    const end = position + count
    const next = Buffer.alloc(Math.max(inode.current.length, end))
    inode.current.copy(next)
    Buffer.from(buffer.buffer, buffer.byteOffset + offset, count).copy(next, position)
    inode.current = next
    this.#snapshot(`write ${count} bytes at ${position} (inode ${inodeNumber})`)
  }

  #synced(fd: number): void {
    const inodeNumber = this.#fds.get(fd)
    if (inodeNumber === undefined) return
    const inode = this.#inodes.get(inodeNumber)!
    inode.durable = inode.current
    this.#snapshot(`fsync inode ${inodeNumber}`)
  }

  #truncated(fd: number, length: number): void {
    const inodeNumber = this.#fds.get(fd)
    if (inodeNumber === undefined) return
    const inode = this.#inodes.get(inodeNumber)!
    const next = Buffer.alloc(length)
    inode.current.copy(next, 0, 0, Math.min(length, inode.current.length))
    inode.current = next
    this.#snapshot(`ftruncate inode ${inodeNumber} to ${length}`)
  }

  #renamed(from: string, to: string): void {
    if (!this.#inside(from)) return
    const source = this.#entry(from)
    const inodeNumber = source.directory.current.get(source.name)
    if (inodeNumber === undefined) return
    source.directory.current.delete(source.name)
    const target = this.#entry(to)
    target.directory.current.set(target.name, inodeNumber)
    this.#snapshot(`rename ${path.relative(this.root, from)} -> ${path.relative(this.root, to)}`)
  }

  #unlinked(file: string): void {
    if (!this.#inside(file)) return
    const { directory, name } = this.#entry(file)
    if (directory.current.delete(name)) this.#snapshot(`unlink ${path.relative(this.root, file)}`)
  }

  #directorySynced(dir: string): void {
    if (!this.#inside(dir) && path.resolve(dir) !== this.root) return
    const directory = this.#directory(path.resolve(dir))
    directory.durable = new Map(directory.current)
    this.#snapshot(`fsync directory ${path.relative(this.root, dir) || '.'}`)
  }

  async open(file: string, flags: string): Promise<number> {
    const fd = await nodeFileSystem.open(file, flags)
    this.#opened(file, flags, fd)
    return fd
  }
  async write(
    fd: number,
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number
  ): Promise<number> {
    const count = await nodeFileSystem.write(fd, buffer, offset, length, position)
    this.#wrote(fd, buffer, offset, count, position)
    return count
  }
  read(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return nodeFileSystem.read(fd, buffer, offset, length, position)
  }
  async fsync(fd: number): Promise<void> {
    await nodeFileSystem.fsync(fd)
    this.#synced(fd)
  }
  async ftruncate(fd: number, length: number): Promise<void> {
    await nodeFileSystem.ftruncate(fd, length)
    this.#truncated(fd, length)
  }
  async close(fd: number): Promise<void> {
    await nodeFileSystem.close(fd)
    this.#fds.delete(fd)
  }
  async rename(from: string, to: string): Promise<void> {
    await nodeFileSystem.rename(from, to)
    this.#renamed(from, to)
  }
  async unlink(file: string): Promise<void> {
    await nodeFileSystem.unlink(file)
    this.#unlinked(file)
  }
  fstat(fd: number): Promise<{ size: number; mtimeMs: number }> {
    return nodeFileSystem.fstat(fd)
  }
  async fsyncDirectory(dir: string): Promise<void> {
    await nodeFileSystem.fsyncDirectory(dir)
    this.#directorySynced(dir)
  }

  openSync(file: string, flags: string): number {
    const fd = nodeFileSystem.openSync(file, flags)
    this.#opened(file, flags, fd)
    return fd
  }
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number {
    const count = nodeFileSystem.writeSync(fd, buffer, offset, length, position)
    this.#wrote(fd, buffer, offset, count, position)
    return count
  }
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number): number {
    return nodeFileSystem.readSync(fd, buffer, offset, length, position)
  }
  fsyncSync(fd: number): void {
    nodeFileSystem.fsyncSync(fd)
    this.#synced(fd)
  }
  ftruncateSync(fd: number, length: number): void {
    nodeFileSystem.ftruncateSync(fd, length)
    this.#truncated(fd, length)
  }
  closeSync(fd: number): void {
    nodeFileSystem.closeSync(fd)
    this.#fds.delete(fd)
  }
  renameSync(from: string, to: string): void {
    nodeFileSystem.renameSync(from, to)
    this.#renamed(from, to)
  }
  unlinkSync(file: string): void {
    nodeFileSystem.unlinkSync(file)
    this.#unlinked(file)
  }
  statSync(file: string): { size: number; mtimeMs: number; isFile: boolean } | undefined {
    return nodeFileSystem.statSync(file)
  }
  readdirSync(dir: string): string[] {
    return nodeFileSystem.readdirSync(dir)
  }
  mkdirSync(dir: string): void {
    nodeFileSystem.mkdirSync(dir)
    // Directories are modelled as durable from their creation (see the file comment).
    for (let at = path.resolve(dir); this.#inside(at) || at === this.root; at = path.dirname(at)) {
      this.#directory(at)
      if (at === this.root) break
    }
  }
  realpathSync(file: string): string {
    return nodeFileSystem.realpathSync(file)
  }
  fsyncDirectorySync(dir: string): void {
    nodeFileSystem.fsyncDirectorySync(dir)
    this.#directorySynced(dir)
  }
}

function contentAfterCrash(inode: Inode, variant: CrashVariant): Buffer {
  switch (variant) {
    case 'power-cut':
    case 'entries-without-data':
      return inode.durable
    case 'data-without-entries':
    case 'process-crash':
      return inode.current
    case 'torn-append': {
      const { durable, current } = inode
      const appendedOnly =
        current.length > durable.length && current.subarray(0, durable.length).equals(durable)
      if (!appendedOnly) return durable
      return current.subarray(0, durable.length + Math.floor((current.length - durable.length) / 2))
    }
  }
}
