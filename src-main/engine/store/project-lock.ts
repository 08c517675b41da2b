/**
 * The project lock `<savePath>/.batchdesk/lock`: one writing process per result folder, so two windows (or a
 * window and a CLI run) never append to the same files.
 */
import Database from 'better-sqlite3'
import { randomBytes } from 'node:crypto'
import { unlinkSync } from 'node:fs'
import { hostname } from 'node:os'
import * as path from 'node:path'
import { ProjectInUseError } from './errors'
import { readFullySync, writeFullySync, type StoreFileSystem } from './fs-seam'

interface LockContent {
  pid: number
  host: string
  since: string
  app: string
  /** Random per holder, so a holder only ever removes its own lock. */
  token?: string
}

/** A held lock; `release` removes the file if it is still ours. */
export interface ProjectLock {
  readonly file: string
  readonly token: string
  /** True when a stale lock was taken over: the last writing session did not close cleanly. */
  readonly tookOverStaleLock: boolean
  release(): void
}

const APP = 'batchdesk'

/**
 * Takes the lock of `directory` (the `.batchdesk` folder) for this process.
 * A lock left by a dead process on this host (or an unreadable one) is taken over.
 * @throws ProjectInUseError when a live process (or any process on another host) holds it.
 */
export function acquireProjectLock(
  fileSystem: StoreFileSystem,
  directory: string,
  ownLockTokens: ReadonlySet<string>
): ProjectLock {
  const file = path.join(directory, 'lock')
  const content: LockContent = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    app: APP,
    token: randomBytes(12).toString('hex')
  }
  const text = JSON.stringify(content) + '\n'
  const guard = holdGuardWithRetries(directory)
  if (!guard) {
    const holder = readLiveHolder(fileSystem, file, ownLockTokens)
    throw new ProjectInUseError(
      holder?.host ?? hostname(),
      holder?.pid ?? 0,
      holder?.since ?? 'just now',
      file
    )
  }
  let created: boolean
  try {
    created = createExclusive(fileSystem, file, text)
    if (!created) {
      const holder = readLockPatiently(fileSystem, file)
      if (holder && holderIsAlive(holder, ownLockTokens))
        throw new ProjectInUseError(holder.host, holder.pid, holder.since, file)
      takeOver(fileSystem, directory, file, text, content.token!)
    }
    removeDeadTakeoverTemps(fileSystem, directory)
  } catch (error) {
    releaseGuard(guard, directory)
    throw error
  }
  return {
    file,
    token: content.token!,
    tookOverStaleLock: !created,
    release() {
      try {
        const current = readLock(fileSystem, file)
        if (current?.token === content.token) fileSystem.unlinkSync(file)
      } finally {
        releaseGuard(guard, directory)
      }
    }
  }
}

// Two engines that both find a stale lock would otherwise both take it over (each renames its own lock over
// it and reads its own back). The guard decides between them: an exclusive SQLite lock on
// `.batchdesk/lock.sqlite`, held while the project is locked, which the OS drops when the process dies
// however it dies. The JSON lock file stays what other processes read to say who holds the project.
function holdGuard(directory: string): Database.Database | undefined {
  // In Electron the main process hands over its own build of better-sqlite3 (as for the run index).
  const nativeBinding = process.env.BATCHDESK_SQLITE_BINDING
  const db = new Database(path.join(directory, 'lock.sqlite'), {
    timeout: 0,
    ...(nativeBinding ? { nativeBinding } : {})
  })
  try {
    db.pragma('locking_mode = EXCLUSIVE')
    db.exec('BEGIN EXCLUSIVE; COMMIT')
    return db
  } catch (error) {
    db.close()
    if ((error as { code?: string }).code === 'SQLITE_BUSY') return undefined
    throw error
  }
}

// Engines that open the guard at the same moment can each see the other's shared lock and all back off;
// a few short, randomised retries let one of them win, while a real holder still answers "in use" at once
// after them (about a quarter of a second).
function holdGuardWithRetries(directory: string): Database.Database | undefined {
  for (let attempt = 0; ; attempt++) {
    const guard = holdGuard(directory)
    if (guard || attempt === 5) return guard
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10 + Math.random() * 40)
  }
}

// A clean release leaves nothing behind. (A rival that opened the file just before it is removed may lock
// the removed file; that only matters with a stale JSON lock, which a clean release never leaves.)
function releaseGuard(guard: Database.Database, directory: string): void {
  guard.close()
  try {
    unlinkSync(path.join(directory, 'lock.sqlite'))
  } catch {
    // already removed, or held by a rival by now: either way not ours to worry about
  }
}

// The guard's holder writes the JSON lock right after taking the guard: wait a moment to name it.
function readLiveHolder(
  fileSystem: StoreFileSystem,
  file: string,
  ownLockTokens: ReadonlySet<string>
): LockContent | undefined {
  let holder: LockContent | undefined
  for (let attempt = 0; attempt < 25; attempt++) {
    holder = readLock(fileSystem, file)
    if (holder && holderIsAlive(holder, ownLockTokens)) return holder
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 40)
  }
  return holder
}

function createExclusive(fileSystem: StoreFileSystem, file: string, text: string): boolean {
  let fd: number
  try {
    fd = fileSystem.openSync(file, 'wx')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
  try {
    try {
      writeFullySync(fileSystem, fd, Buffer.from(text), 0)
      fileSystem.fsyncSync(fd)
    } finally {
      fileSystem.closeSync(fd)
    }
  } catch (error) {
    // An empty or partial lock (a full disk) would make the next open wait, then take it over as stale.
    try {
      fileSystem.unlinkSync(file)
    } catch {
      // the next open takes it over
    }
    throw error
  }
  return true
}

// A stale lock is replaced by renaming a complete new lock over it, so no reader ever sees a missing or
// half-written lock; reading it back catches a rival that took it over at the same moment.
function takeOver(
  fileSystem: StoreFileSystem,
  directory: string,
  file: string,
  text: string,
  token: string
): void {
  const temp = path.join(directory, `.lock.${process.pid}.${randomBytes(6).toString('hex')}.tmp`)
  const fd = fileSystem.openSync(temp, 'wx')
  try {
    writeFullySync(fileSystem, fd, Buffer.from(text), 0)
    fileSystem.fsyncSync(fd)
  } finally {
    fileSystem.closeSync(fd)
  }
  fileSystem.renameSync(temp, file)
  fileSystem.fsyncDirectorySync(directory)
  const now = readLock(fileSystem, file)
  if (now?.token !== token) {
    if (now) throw new ProjectInUseError(now.host, now.pid, now.since, file)
    throw new Error(`Could not take over the stale lock ${file}: it changed while taking it over; try again`)
  }
}

// A takeover interrupted by a crash leaves its temp file behind; the holder removes those whose process is
// gone (a live rival's temp is left alone: its rename must not fail). One named with this process's pid is
// a leftover too: a takeover here runs synchronously and has finished by now.
function removeDeadTakeoverTemps(fileSystem: StoreFileSystem, directory: string): void {
  for (const name of fileSystem.readdirSync(directory)) {
    const match = /^\.lock\.(?:(\d+)\.)?[0-9a-f]{12}\.tmp$/.exec(name)
    const pid = match?.[1] === undefined ? undefined : Number(match[1])
    if (!match || (pid !== undefined && pid !== process.pid && processExists(pid))) continue
    try {
      fileSystem.unlinkSync(path.join(directory, name))
    } catch {
      // gone already, or not ours to remove: harmless either way
    }
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function readLock(fileSystem: StoreFileSystem, file: string): LockContent | undefined {
  let fd: number
  try {
    fd = fileSystem.openSync(file, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  try {
    const parsed = JSON.parse(readFullySync(fileSystem, fd, 4096, 0).toString('utf8')) as LockContent
    if (typeof parsed.pid !== 'number' || typeof parsed.host !== 'string') return undefined
    return { ...parsed, since: typeof parsed.since === 'string' ? parsed.since : 'an unknown time' }
  } catch {
    return undefined
  } finally {
    fileSystem.closeSync(fd)
  }
}

// The creator writes the content right after creating the file: give it a moment before calling the lock
// unreadable (and so stale).
function readLockPatiently(fileSystem: StoreFileSystem, file: string): LockContent | undefined {
  for (let attempt = 0; attempt < 5; attempt++) {
    const lock = readLock(fileSystem, file)
    if (lock) return lock
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 40)
  }
  return undefined
}

function holderIsAlive(holder: LockContent, ownLockTokens: ReadonlySet<string>): boolean {
  // Another machine's process cannot be checked from here: assume it is alive (the message tells the user).
  if (holder.host !== hostname()) return true
  if (holder.pid === process.pid) return holder.token !== undefined && ownLockTokens.has(holder.token)
  try {
    process.kill(holder.pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
