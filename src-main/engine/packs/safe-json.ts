/**
 * JSON from untrusted files (pack manifests, record bodies): nesting is measured before parsing, so deep
 * input fails with a clear error instead of a stack overflow in the code that walks it later, and keys that
 * could reach `Object.prototype` when data is merged (`__proto__`, `constructor`, `prototype`) are refused.
 */

/** Keys refused anywhere in imported data. */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACE = 0x7b
const OPEN_BRACKET = 0x5b
const CLOSE_BRACE = 0x7d
const CLOSE_BRACKET = 0x5d

/** Why JSON text was refused; `message` reads as the end of a sentence naming the file. */
export class UnsafeJsonError extends Error {
  constructor(
    readonly kind: 'depth' | 'syntax' | 'key',
    message: string
  ) {
    super(message)
    this.name = 'UnsafeJsonError'
  }
}

/**
 * The deepest nesting of objects and arrays in JSON bytes, stopping early once `limit` is passed.
 * Works on UTF-8 bytes: structural characters are ASCII and never occur inside a multi-byte sequence.
 */
export function jsonDepth(bytes: Uint8Array, limit: number): number {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]
    if (inString) {
      if (byte === BACKSLASH) i++
      else if (byte === QUOTE) inString = false
      continue
    }
    if (byte === QUOTE) inString = true
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > deepest) {
        deepest = depth
        if (deepest > limit) return deepest
      }
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth--
  }
  return deepest
}

/**
 * Parses JSON from an untrusted source.
 * @param maxDepth deepest nesting of objects and arrays accepted.
 * @throws UnsafeJsonError for nesting deeper than `maxDepth`, invalid JSON, or a forbidden key (the message
 *   gives the key's path).
 */
export function parseUntrustedJson(bytes: Uint8Array, maxDepth: number): unknown {
  const depth = jsonDepth(bytes, maxDepth)
  if (depth > maxDepth)
    throw new UnsafeJsonError('depth', `nests objects or arrays deeper than ${maxDepth} levels`)
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'))
  } catch (error) {
    throw new UnsafeJsonError('syntax', `is not valid JSON (${(error as Error).message})`)
  }
  const forbidden = findForbiddenKey(value)
  if (forbidden !== undefined) {
    throw new UnsafeJsonError(
      'key',
      `has the key "${forbidden.key}" at ${forbidden.path}, which Batchdesk refuses in imported data`
    )
  }
  return value
}

/** The first forbidden key in a parsed JSON value (depth-first, iterative), with a readable path. */
export function findForbiddenKey(root: unknown): { key: string; path: string } | undefined {
  const stack: { value: unknown; path: string }[] = [{ value: root, path: '(top level)' }]
  while (stack.length > 0) {
    const { value, path } = stack.pop()!
    if (value === null || typeof value !== 'object') continue
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        const item = value[i]
        if (item !== null && typeof item === 'object') stack.push({ value: item, path: `${path}[${i}]` })
      }
      continue
    }
    const keys = Object.keys(value)
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]
      const childPath = path === '(top level)' ? key : `${path}.${key}`
      if (FORBIDDEN_KEYS.has(key)) return { key, path: childPath }
      const item = (value as Record<string, unknown>)[key]
      if (item !== null && typeof item === 'object') stack.push({ value: item, path: childPath })
    }
  }
  return undefined
}

/** True for keys refused in imported data. */
export function isForbiddenKey(key: string): boolean {
  return FORBIDDEN_KEYS.has(key)
}
