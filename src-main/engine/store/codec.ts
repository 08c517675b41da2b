/**
 * Result codec: turns any storable JavaScript value into plain JSON and back, exactly.
 *
 * JSON alone loses NaN, ±Infinity, -0, undefined, Dates and typed arrays, so those become tagged objects
 * `{ "$bd": "<tag>", … }`. A user object that itself has a `$bd` key is wrapped as
 * `{ "$bd": "object", "value": { … } }`, so decoding is never ambiguous. The tags are listed in
 * docs/result-format.md for readers in other languages.
 */

import { FunctionRef } from '../params/function-ref'

const TAG = '$bd'

const typedArrayConstructors = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array
} as const
type TypedArrayName = keyof typeof typedArrayConstructors

/** Thrown when a value cannot be stored; the message names where in the value the problem is. */
export class UnstorableValueError extends Error {
  constructor(
    readonly path: string,
    reason: string
  ) {
    super(`${path} ${reason}; a result must be made of numbers, strings, booleans, null, arrays, plain objects, Dates or typed arrays`)
    this.name = 'UnstorableValueError'
  }
}

/** Thrown when stored JSON does not decode (a foreign or damaged file). */
export class ResultDecodeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ResultDecodeError'
  }
}

/**
 * Encodes a value into a JSON-safe form.
 * @param path how the value is named in error messages, e.g. `result` or `parameters.B`.
 * @throws UnstorableValueError for functions, symbols, BigInts and cycles.
 */
export function encodeResult(value: unknown, path = 'result'): unknown {
  return encodeValue(value, path, new Set(), false)
}

/**
 * Encodes a parameter value: like a result, but functions are kept by name (`{ "$bd": "fn", "name": "max" }`),
 * as batchpy keeps them; they decode to a FunctionRef.
 */
export function encodeParameterValue(value: unknown, path = 'parameters'): unknown {
  return encodeValue(value, path, new Set(), true)
}

function encodeValue(value: unknown, path: string, ancestors: Set<object>, functionsByName: boolean): unknown {
  if (functionsByName) {
    if (value instanceof FunctionRef) return { [TAG]: 'fn', name: value.path }
    if (typeof value === 'function') return { [TAG]: 'fn', name: value.name || 'anonymous' }
  }
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      if (Number.isFinite(value)) return Object.is(value, -0) ? { [TAG]: '-0' } : value
      return { [TAG]: Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity' }
    case 'undefined':
      return { [TAG]: 'undefined' }
    case 'function':
      return unstorable(path, 'is a function')
    case 'bigint':
      return unstorable(path, 'is a BigInt')
    case 'symbol':
      return unstorable(path, 'is a Symbol')
  }
  if (value === null) return null
  const object = value as object
  if (ancestors.has(object)) return unstorable(path, 'refers back to itself (a cycle)')
  if (ArrayBuffer.isView(object) && !(object instanceof DataView)) return encodeTypedArray(object)
  if (object instanceof Date) return { [TAG]: 'Date', iso: Number.isNaN(object.getTime()) ? null : object.toISOString() }
  if (object instanceof ArrayBuffer) return { [TAG]: 'ArrayBuffer', base64: Buffer.from(object).toString('base64') }
  ancestors.add(object)
  try {
    if (Array.isArray(object)) {
      const out = new Array(object.length)
      for (let i = 0; i < object.length; i++) out[i] = encodeValue(object[i], `${path}[${i}]`, ancestors, functionsByName)
      return out
    }
    if (object instanceof Map) {
      const entries: unknown[] = []
      let i = 0
      for (const [k, v] of object) {
        entries.push([
          encodeValue(k, `${path} key ${i}`, ancestors, functionsByName),
          encodeValue(v, `${path}.get(${i})`, ancestors, functionsByName)
        ])
        i++
      }
      return { [TAG]: 'Map', entries }
    }
    if (object instanceof Set) {
      const values: unknown[] = []
      let i = 0
      for (const v of object) values.push(encodeValue(v, `${path} item ${i++}`, ancestors, functionsByName))
      return { [TAG]: 'Set', values }
    }
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(object)) {
      out[key] = encodeValue((object as Record<string, unknown>)[key], `${path}.${key}`, ancestors, functionsByName)
    }
    return Object.prototype.hasOwnProperty.call(object, TAG) ? { [TAG]: 'object', value: out } : out
  } finally {
    ancestors.delete(object)
  }
}

function unstorable(path: string, reason: string): never {
  throw new UnstorableValueError(path, reason)
}

function encodeTypedArray(view: ArrayBufferView): unknown {
  const name = view.constructor.name as TypedArrayName
  // Little-endian bytes as in memory on every platform Batchdesk runs on; numpy: frombuffer(b, '<f8').
  const bytes = Buffer.from(view.buffer, view.byteOffset, view.byteLength)
  return { [TAG]: name, base64: bytes.toString('base64') }
}

/**
 * Decodes what `encodeResult` produced. A `__proto__` key stays an own property (copied with
 * defineProperty), so untrusted data can never change an object's prototype.
 * @throws ResultDecodeError for an unknown tag.
 */
export function decodeResult(json: unknown): unknown {
  if (json === null || typeof json !== 'object') return json
  if (Array.isArray(json)) return json.map(decodeResult)
  const object = json as Record<string, unknown>
  const tag = object[TAG]
  if (typeof tag === 'string') return decodeTagged(tag, object)
  return decodePlainObject(object)
}

function decodePlainObject(object: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(object)) {
    Object.defineProperty(out, key, { value: decodeResult(object[key]), enumerable: true, writable: true, configurable: true })
  }
  return out
}

function decodeTagged(tag: string, object: Record<string, unknown>): unknown {
  switch (tag) {
    case 'NaN':
      return NaN
    case 'Infinity':
      return Infinity
    case '-Infinity':
      return -Infinity
    case '-0':
      return -0
    case 'undefined':
      return undefined
    case 'Date':
      return new Date(typeof object.iso === 'string' ? object.iso : NaN)
    case 'fn':
      return new FunctionRef(String(object.name))
    case 'object':
      return decodePlainObject(object.value as Record<string, unknown>)
    case 'Map':
      return new Map((object.entries as [unknown, unknown][]).map(([k, v]) => [decodeResult(k), decodeResult(v)]))
    case 'Set':
      return new Set((object.values as unknown[]).map(decodeResult))
    case 'ArrayBuffer':
      return toArrayBuffer(base64Bytes(object))
  }
  if (Object.prototype.hasOwnProperty.call(typedArrayConstructors, tag)) {
    const Ctor = typedArrayConstructors[tag as TypedArrayName]
    const buffer = toArrayBuffer(base64Bytes(object))
    if (buffer.byteLength % Ctor.BYTES_PER_ELEMENT !== 0) throw new ResultDecodeError(`a ${tag} has ${buffer.byteLength} bytes, not a whole number of elements`)
    return new Ctor(buffer)
  }
  throw new ResultDecodeError(`unknown value tag "${tag}" (written by a newer Batchdesk?)`)
}

function base64Bytes(object: Record<string, unknown>): Buffer {
  if (typeof object.base64 !== 'string') throw new ResultDecodeError(`a ${String(object[TAG])} value has no base64 data`)
  return Buffer.from(object.base64, 'base64')
}

function toArrayBuffer(bytes: Buffer): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.byteLength)
  new Uint8Array(copy).set(bytes)
  return copy
}

/** `JSON.stringify(encodeResult(value, path))`. */
export function encodeToJson(value: unknown, path = 'result'): string {
  return JSON.stringify(encodeResult(value, path))
}

/** `decodeResult(JSON.parse(text))`. */
export function decodeFromJson(text: string): unknown {
  return decodeResult(JSON.parse(text))
}

/** Longer strings are not scalar fields: they would bloat the index and the run table. */
export const MAX_SCALAR_STRING = 200

/** The top-level fields of a plain-object result that are finite numbers, short strings or booleans (for the index and table). */
export function scalarFields(result: unknown): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {}
  if (result === null || typeof result !== 'object' || Array.isArray(result) || ArrayBuffer.isView(result)) return out
  for (const [key, value] of Object.entries(result)) {
    if (
      (typeof value === 'number' && Number.isFinite(value)) ||
      (typeof value === 'string' && value.length <= MAX_SCALAR_STRING) ||
      typeof value === 'boolean'
    ) {
      out[key] = value
    }
  }
  return out
}
