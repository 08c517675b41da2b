import * as crypto from 'node:crypto'
import { FunctionRef, functionName } from './function-ref'

/**
 * Canonical encoding of parameter values, and run ids made from it. The rules and examples are in
 * docs/ids.md; in short: equal values give equal strings whatever their key order or array type, and the
 * parameter names are part of the string so that `{A:1,B:2}` and `{A:2,B:1}` differ.
 */

/** Thrown when a parameter value has no canonical encoding; the message names the parameter and where in it. */
export class ParameterValueError extends Error {
  constructor(
    /** Where the bad value is, e.g. `parameter 'B'[2].x`. */
    readonly path: string,
    reason: string
  ) {
    super(
      `${path} ${reason}; a parameter must be made of numbers, strings, booleans, null, arrays, typed arrays, ` +
        'plain objects, Dates or functions'
    )
    this.name = 'ParameterValueError'
  }
}

/** Raised inside the encoder and completed with the full path on the way out, so the hot path builds no paths. */
class EncodingProblem {
  constructor(
    readonly reason: string,
    readonly segments: string[] = []
  ) {}
}

/**
 * Encodes one value canonically (see docs/ids.md).
 * @param path how the value is named in error messages; defaults to `value`.
 * @throws ParameterValueError for symbols, BigInts, cycles, anonymous functions and objects that are not
 *   plain objects, arrays, typed arrays or Dates (Maps, Sets, class instances).
 */
export function canonicalValue(value: unknown, path = 'value'): string {
  try {
    return encode(value, undefined)
  } catch (error) {
    throw asParameterValueError(error, path)
  }
}

/**
 * Encodes the public parameters of a run as `{"A":<v>,"B":<v>}`, sorted by name (UTF-16 code units).
 * Names starting with `_` are private: passed to run() but not part of the id, so they are left out.
 * @throws ParameterValueError naming the parameter whose value cannot be encoded.
 */
export function canonicalParams(params: Record<string, unknown>): string {
  const names = publicNames(params)
  let out = '{'
  for (let i = 0; i < names.length; i++) {
    const name = names[i]
    if (i > 0) out += ','
    out += JSON.stringify(name) + ':' + canonicalValue(params[name], `parameter '${name}'`)
  }
  return out + '}'
}

/**
 * Joins pre-encoded values into the same string `canonicalParams` gives, for callers that encode each
 * distinct value of a design once (a 1M-run design then costs one join and one hash per run).
 * @param names public parameter names, already sorted by UTF-16 code units (plain `Array.prototype.sort()`).
 * @param pieces `canonicalValue` of each name's value, in the same order.
 */
export function canonicalFromPieces(names: string[], pieces: string[]): string {
  let out = '{'
  for (let i = 0; i < names.length; i++) {
    if (i > 0) out += ','
    out += JSON.stringify(names[i]) + ':' + pieces[i]
  }
  return out + '}'
}

/**
 * The default run id: the SHA-1 (40 lowercase hex characters) of `canonicalParams(params)`.
 * @throws ParameterValueError as canonicalParams does.
 */
export function runId(params: Record<string, unknown>): string {
  return idOfCanonical(canonicalParams(params))
}

const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash

/** SHA-1 hex of the UTF-8 bytes of a canonical string. */
export function idOfCanonical(canonical: string): string {
  // crypto.hash (Node ≥ 20.12) skips the Hash object and is about twice as fast for short strings.
  if (oneShotHash) return oneShotHash('sha1', canonical, 'hex')
  return crypto.createHash('sha1').update(canonical, 'utf8').digest('hex')
}

/** Public parameter names (not starting with `_`), sorted by UTF-16 code units. */
export function publicNames(params: Record<string, unknown>): string[] {
  const names: string[] = []
  for (const name of Object.keys(params)) if (name.charCodeAt(0) !== 95 /* _ */) names.push(name)
  return names.sort()
}

function encode(value: unknown, ancestors: object[] | undefined): string {
  switch (typeof value) {
    case 'number':
      // String() already has one spelling per number: 2 and 2.0 are the same double, -0 prints as 0,
      // and NaN / Infinity / -Infinity come out as bare tokens that no quoted string can equal.
      return String(value)
    case 'string':
      return JSON.stringify(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'undefined':
      return 'null'
    case 'function': {
      const name = functionName(value)
      if (name === undefined)
        throw new EncodingProblem('is an anonymous function (a function parameter is kept by name)')
      return `F(${name})`
    }
    case 'bigint':
      throw new EncodingProblem('is a BigInt')
    case 'symbol':
      throw new EncodingProblem('is a Symbol')
  }
  if (value === null) return 'null'
  const object = value as object
  if (object instanceof FunctionRef) {
    if (!object.name) throw new EncodingProblem('is a FunctionRef with an empty path')
    return `F(${object.name})`
  }
  if (object instanceof Date) {
    const time = object.getTime()
    return Number.isNaN(time) ? 'D(Invalid)' : `D(${object.toISOString()})`
  }
  if (ArrayBuffer.isView(object)) {
    if (object instanceof DataView) throw new EncodingProblem('is a DataView')
    if (object instanceof BigInt64Array || object instanceof BigUint64Array)
      throw new EncodingProblem('is a BigInt typed array')
    const numbers = object as unknown as ArrayLike<number>
    let out = '['
    for (let i = 0; i < numbers.length; i++) out += (i > 0 ? ',' : '') + String(numbers[i])
    return out + ']'
  }
  if (ancestors?.includes(object)) throw new EncodingProblem('refers back to itself (a cycle)')
  const chain = ancestors ? [...ancestors, object] : [object]
  if (Array.isArray(object)) {
    let out = '['
    for (let i = 0; i < object.length; i++) {
      if (i > 0) out += ','
      out += encodeChild(object[i], chain, i)
    }
    return out + ']'
  }
  const prototype = Object.getPrototypeOf(object)
  if (prototype !== Object.prototype && prototype !== null) {
    const kind = (object.constructor as { name?: string } | undefined)?.name || 'object'
    throw new EncodingProblem(`is a ${kind}, not a plain object`)
  }
  const record = object as Record<string, unknown>
  const keys = Object.keys(record).sort()
  let out = '{'
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]
    if (i > 0) out += ','
    out += JSON.stringify(key) + ':' + encodeChild(record[key], chain, key)
  }
  return out + '}'
}

function encodeChild(value: unknown, chain: object[], key: string | number): string {
  if (typeof value === 'number') return String(value)
  if (typeof value === 'string') return JSON.stringify(value)
  try {
    return encode(value, chain)
  } catch (error) {
    if (error instanceof EncodingProblem) error.segments.unshift(pathSegment(key))
    throw error
  }
}

function pathSegment(key: string | number): string {
  if (typeof key === 'number') return `[${key}]`
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`
}

function asParameterValueError(error: unknown, path: string): unknown {
  if (!(error instanceof EncodingProblem)) return error
  return new ParameterValueError(path + error.segments.join(''), error.reason)
}
