import { describe, expect, it } from 'vitest'
import { decodeFromJson, encodeToJson, scalarFields, UnstorableValueError } from '../../../src-main/engine/store/codec'

function roundTrip(value: unknown): unknown {
  return decodeFromJson(encodeToJson(value))
}

describe('result codec', () => {
  it.each([
    ['a plain JSON value', { val: 80, list: [1, 'a', null, true], nested: { x: [{ y: 2 }] } }],
    ['NaN and infinities', [NaN, Infinity, -Infinity]],
    ['negative zero', -0],
    ['undefined inside arrays and objects', { a: undefined, b: [undefined, 1] }],
    ['a Date', new Date('2026-11-25T20:00:00.123Z')],
    ['typed arrays', { f64: new Float64Array([1.5, NaN, -0]), i32: new Int32Array([-1, 2]), u8: new Uint8Array([0, 255]) }],
    ['Maps and Sets', { m: new Map<unknown, unknown>([['a', 1], [2, [3]]]), s: new Set([1, 'x']) }],
    ['an object with a $bd key of its own', { $bd: 'NaN', other: 1 }],
    ['a nested mix', [{ when: new Date(0), data: new Float32Array([0.5]), bad: [NaN, { deep: -Infinity }] }]]
  ])('round-trips %s exactly', (_name, value) => {
    expect(roundTrip(value)).toStrictEqual(value)
  })

  it('keeps -0 distinct from 0', () => {
    expect(Object.is(roundTrip(-0), -0)).toBe(true)
    expect(Object.is(roundTrip(0), 0)).toBe(true)
  })

  it('keeps a typed array view of a larger buffer to its own bytes', () => {
    const big = new Float64Array([1, 2, 3, 4])
    const view = big.subarray(1, 3)
    expect(roundTrip(view)).toStrictEqual(new Float64Array([2, 3]))
  })

  it.each([
    ['a function', { f: () => 1 }, 'result.f is a function'],
    ['a BigInt', { n: [1n] }, 'result.n[0] is a BigInt'],
    ['a symbol', Symbol('s'), 'result is a Symbol']
  ])('refuses %s and says where it is', (_name, value, message) => {
    expect(() => encodeToJson(value)).toThrow(UnstorableValueError)
    expect(() => encodeToJson(value)).toThrow(message)
  })

  it('refuses a cycle but accepts a shared reference', () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    expect(() => encodeToJson(cyclic)).toThrow('result.self refers back to itself (a cycle)')
    const shared = [1, 2]
    expect(roundTrip({ x: shared, y: shared })).toStrictEqual({ x: [1, 2], y: [1, 2] })
  })

  it('never lets a __proto__ key change the prototype of a decoded object', () => {
    const decoded = decodeFromJson('{"__proto__":{"polluted":true},"a":1}') as Record<string, unknown>
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.keys(decoded)).toEqual(['__proto__', 'a'])
  })

  it('rejects an unknown tag with a clear message', () => {
    expect(() => decodeFromJson('{"$bd":"Quaternion"}')).toThrow('unknown value tag "Quaternion"')
  })

  it('picks the scalar fields of a result for the index', () => {
    expect(scalarFields({ val: 80, name: 'x', ok: true, arr: [1], nan: NaN, nested: { a: 1 } })).toEqual({ val: 80, name: 'x', ok: true })
    expect(scalarFields([1, 2])).toEqual({})
    expect(scalarFields(3)).toEqual({})
  })
})
