import Redis from 'ioredis'
import { BatchInputError } from '../batch'

/** Redis could not be reached, refused the credentials, or stayed away too long; the message says what to do. */
export class RedisUnavailableError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RedisUnavailableError'
  }
}

/** A Redis address as the user gave it, and how to name it in messages (the password hidden). */
export interface RedisTarget {
  url: string
  /** The URL with its password replaced by `***`. */
  label: string
}

/**
 * Checks a Redis URL: `redis://[user:password@]host[:port][/db]`, or `rediss://…` for TLS.
 * @throws BatchInputError naming the URL (password hidden) and the expected form.
 */
export function parseRedisUrl(url: string): RedisTarget {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new BatchInputError(
      `${JSON.stringify(redactUrl(url))} is not a Redis URL: write redis://host:6379 (or rediss://host:6380 for TLS, redis://:password@host:6379 with a password)`
    )
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new BatchInputError(
      `${redactUrl(url)} is not a Redis URL: it must start with redis:// (or rediss:// for TLS)`
    )
  }
  if (!parsed.hostname) throw new BatchInputError(`${redactUrl(url)} names no host: write redis://host:6379`)
  if (parsed.pathname.length > 1 && !/^\/\d{1,2}$/.test(parsed.pathname)) {
    throw new BatchInputError(`${redactUrl(url)}: the path must be a database number such as /0`)
  }
  return { url, label: redactUrl(url) }
}

/** The URL with its password (if any) replaced by `***`, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^(rediss?:\/\/[^:@/]*:)[^@/]*@/i, '$1***@')
}

export interface OpenRedisOptions {
  /** Shown in `CLIENT LIST`, e.g. `batchdesk-engine`. */
  name: string
  /** How long the first connection may take. Default 5 s. */
  connectTimeoutMs?: number
  /** What a failure to connect should suggest, after the reason. */
  advice?: string
}

/**
 * Connects to Redis and checks that it answers (so a wrong password shows up now, not mid-batch).
 * The first connection fails fast with a clear message; once connected, the client reconnects on its
 * own for as long as it is open, and commands wait for the connection to come back (nothing is dropped).
 * @throws RedisUnavailableError: unreachable, refused credentials, TLS problems.
 */
export async function openRedis(target: RedisTarget, options: OpenRedisOptions): Promise<Redis> {
  let connected = false
  let lastError: Error | undefined
  const client = new Redis(target.url, {
    lazyConnect: true,
    // BullMQ needs null: commands wait through a reconnect instead of failing after a few retries.
    maxRetriesPerRequest: null,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    connectionName: options.name,
    retryStrategy: (times) => (connected ? Math.min(100 * times, 2000) : null)
  })
  // An 'error' event without a listener would crash the process; the cause is reported where it matters.
  client.on('error', (error: Error) => {
    lastError = error
  })
  try {
    await client.connect()
    await client.ping()
  } catch (error) {
    client.disconnect()
    // "Connection is closed" hides the reason, which came as an 'error' event before it.
    throw connectionError(target, lastError ?? (error as Error), options.advice)
  }
  connected = true
  return client
}

/** A clear error for a failed connection or command: why it failed, and what to do about it. */
export function connectionError(
  target: RedisTarget,
  error: Error | undefined,
  advice?: string
): RedisUnavailableError {
  const text = String(error?.message ?? error ?? 'no answer')
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? ''
  const tail = advice ? ` ${advice}` : ''
  if (/WRONGPASS|invalid password|invalid username-password/i.test(text)) {
    return new RedisUnavailableError(
      `Redis at ${target.label} refused the user name or password (${firstLine(text)}). Check them in the URL: redis://user:password@host:6379.${tail}`
    )
  }
  if (/NOAUTH|Authentication required/i.test(text)) {
    return new RedisUnavailableError(
      `Redis at ${target.label} requires a password (${firstLine(text)}). Put it in the URL: redis://:password@host:6379.${tail}`
    )
  }
  if (/NOPERM/i.test(text)) {
    return new RedisUnavailableError(
      `Redis at ${target.label} does not let this user run the commands Batchdesk needs (${firstLine(text)}). Grant the user access to the batchdesk:* keys and to streams, sets and scripts.${tail}`
    )
  }
  if (/SSL|TLS|certificate|EPROTO|ERR_SSL/i.test(text + code)) {
    return new RedisUnavailableError(
      `The TLS connection to Redis at ${target.label} failed (${firstLine(text)}). rediss:// needs a server that speaks TLS; for a private certificate authority set NODE_EXTRA_CA_CERTS to its certificate file.${tail}`
    )
  }
  const reason =
    code === 'ECONNREFUSED' || /ECONNREFUSED/.test(text)
      ? 'connection refused'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN' || /ENOTFOUND|EAI_AGAIN/.test(text)
        ? 'host not found'
        : code === 'ETIMEDOUT' || /ETIMEDOUT|timed? ?out/i.test(text)
          ? 'no answer in time'
          : firstLine(text)
  return new RedisUnavailableError(
    `Cannot reach Redis at ${target.label} (${reason}). Is redis-server running?${tail}`
  )
}

function firstLine(text: string): string {
  return text.split('\n')[0]
}
