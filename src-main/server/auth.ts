import { randomBytes, timingSafeEqual } from 'node:crypto'

/** Name of the session cookie that carries the per-start token. */
export const SESSION_COOKIE = 'batchdesk_session'

/** A random per-start token: 32 bytes, URL-safe. */
export function createToken(): string {
  return randomBytes(32).toString('base64url')
}

/** Compares a presented token with the real one in constant time; false for anything that is not a string. */
export function tokenMatches(presented: unknown, token: string): boolean {
  if (typeof presented !== 'string' || presented.length !== token.length) return false
  return timingSafeEqual(Buffer.from(presented), Buffer.from(token))
}

/** The session cookie's value from a Cookie header, if any. */
export function tokenFromCookie(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined
  for (const part of cookieHeader.split(';')) {
    const [name, ...rest] = part.trim().split('=')
    if (name === SESSION_COOKIE) return rest.join('=')
  }
  return undefined
}

/** Set-Cookie value: HttpOnly so page scripts cannot read it, SameSite=Strict so other sites cannot send it. */
export function sessionCookie(token: string): string {
  return `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`
}

/**
 * The Host header values the server answers to. Anything else is refused: a page on another site that
 * points its own DNS name at 127.0.0.1 (DNS rebinding) then gets nothing.
 */
export function allowedHosts(host: string, port: number): Set<string> {
  const hosts = new Set([`${host}:${port}`])
  if (host === '127.0.0.1' || host === 'localhost') {
    hosts.add(`127.0.0.1:${port}`)
    hosts.add(`localhost:${port}`)
  }
  if (host === '::1') hosts.add(`[::1]:${port}`)
  return hosts
}

/** True when the Host header names this server. */
export function hostAllowed(hostHeader: string | undefined, hosts: Set<string>): boolean {
  return hostHeader !== undefined && hosts.has(hostHeader.toLowerCase())
}

/**
 * True when a request's Origin is this server's own (http://<allowed host>), or absent. Browsers always
 * send Origin on WebSocket handshakes, so an absent one means a non-browser client, which still needs the token.
 */
export function originAllowed(origin: string | undefined, hosts: Set<string>): boolean {
  if (origin === undefined) return true
  const match = /^http:\/\/([^/]+)$/.exec(origin.toLowerCase())
  return match !== null && hosts.has(match[1])
}
