/**
 * Run class code in Redis: the engine stores each compiled bundle once under its code hash, jobs carry
 * only the hash, and workers fetch a bundle the first time they meet its hash and keep it on disk.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type Redis from 'ioredis'
import type { RunClassRef } from '../types'
import { codeKey, type RedisLayout } from './keys'

/** Bundles stay this long after the last batch that sent them (each execute renews it). */
const CODE_TTL_SECONDS = 7 * 24 * 3600
/** What compile-module puts between the code and its inline source map; the code hash covers only the code. */
const SOURCE_MAP_PREFIX = '//# sourceMappingURL=data:application/json;base64,'

/** A job's run class code could not be had; the job fails and is retried (the engine sends the code again when it reconnects). */
export class RunCodeUnavailableError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RunCodeUnavailableError'
  }
}

/**
 * Stores a run class bundle in Redis under its code hash, unless it is there already (`SET NX`), and
 * renews its expiry.
 * @throws Error naming the bundle file when it cannot be read.
 */
export async function publishRunCode(redis: Redis, layout: RedisLayout, ref: RunClassRef): Promise<void> {
  const key = codeKey(layout, ref.codeHash)
  // Most executes find the code there already: renewing its expiry is enough, and spares reading the file.
  if ((await redis.expire(key, CODE_TTL_SECONDS)) === 1) return
  let code: string
  try {
    code = readFileSync(ref.bundleFile, 'utf8')
  } catch (error) {
    throw new Error(
      `Cannot read the compiled run class ${ref.bundleFile} to send it to the workers (${(error as Error).message}); reopen the project to compile it again`
    )
  }
  await redis.set(key, code, 'EX', CODE_TTL_SECONDS, 'NX')
}

/** sha256 of a bundle without its source map: what compile-module calls the code hash. */
export function bundleCodeHash(code: string): string {
  const mapAt = code.lastIndexOf(SOURCE_MAP_PREFIX)
  return createHash('sha256')
    .update(mapAt < 0 ? code : code.slice(0, mapAt))
    .digest('hex')
}

/** The default folder where workers keep bundles fetched from Redis. */
export function defaultWorkerCodeDir(): string {
  return path.join(tmpdir(), 'batchdesk-worker-modules')
}

/**
 * A worker's bundles: fetched from Redis once per hash, checked against the hash, written to a file the
 * worker processes can `require`.
 */
export class WorkerCodeCache {
  readonly #redis: Redis
  readonly #layout: RedisLayout
  readonly #dir: string
  readonly #files = new Map<string, Promise<string>>()

  constructor(redis: Redis, layout: RedisLayout, dir = defaultWorkerCodeDir()) {
    this.#redis = redis
    this.#layout = layout
    this.#dir = dir
  }

  /**
   * The bundle file for a code hash, fetched when needed.
   * @throws RunCodeUnavailableError when Redis has no code under that hash or the code does not match it.
   */
  bundleFile(codeHash: string): Promise<string> {
    let file = this.#files.get(codeHash)
    if (!file) {
      file = this.#fetch(codeHash)
      this.#files.set(codeHash, file)
      // A failure is not remembered: the engine may send the code again.
      file.catch(() => this.#files.delete(codeHash))
    }
    return file
  }

  async #fetch(codeHash: string): Promise<string> {
    const file = path.join(this.#dir, `${codeHash}.cjs`)
    if (existsSync(file) && bundleCodeHash(readFileSync(file, 'utf8')) === codeHash) return file
    const code = await this.#redis.get(codeKey(this.#layout, codeHash))
    if (code === null) {
      throw new RunCodeUnavailableError(
        `the run class code ${codeHash.slice(0, 12)} is not in Redis (it expires a week after the last batch that used it, and is lost when Redis restarts without saving); the engine sends it again when it reconnects`
      )
    }
    if (bundleCodeHash(code) !== codeHash) {
      throw new RunCodeUnavailableError(
        `the run class code stored under ${codeHash.slice(0, 12)} does not match its hash; it was changed in Redis by something other than Batchdesk`
      )
    }
    mkdirSync(this.#dir, { recursive: true })
    const temp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
    writeFileSync(temp, code)
    renameSync(temp, file)
    return file
  }
}
