import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  canonicalFromPieces,
  canonicalParams,
  canonicalValue,
  idOfCanonical,
  ParameterValueError,
  publicNames,
  runId
} from '../../../src-main/engine/params/canonical'
import { FunctionRef } from '../../../src-main/engine/params/function-ref'

function sha1(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex')
}

function max(xs: number[]): number {
  return Math.max(...xs)
}

describe('canonicalValue', () => {
  it.each<[string, unknown, string]>([
    ['an integer', 2, '2'],
    ['2.0 like 2', 2.0, '2'],
    ['a decimal', 0.1, '0.1'],
    ['an exponent', 1e-7, '1e-7'],
    ['negative zero as zero', -0, '0'],
    ['NaN as a bare token', NaN, 'NaN'],
    ['Infinity as a bare token', Infinity, 'Infinity'],
    ['-Infinity as a bare token', -Infinity, '-Infinity'],
    ['a string, JSON-quoted', 'max', '"max"'],
    ['a string that looks like a token, quoted', 'NaN', '"NaN"'],
    ['a string with quotes and unicode', 'a"b\u00e9\n', '"a\\"b\u00e9\\n"'],
    ['true', true, 'true'],
    ['false', false, 'false'],
    ['null', null, 'null'],
    ['undefined as null', undefined, 'null'],
    ['an array', [1, 'a', null], '[1,"a",null]'],
    ['an empty array', [], '[]'],
    ['a Float64Array like a plain array', new Float64Array([1, 2.5]), '[1,2.5]'],
    ['an Int32Array like a plain array', new Int32Array([3, -4]), '[3,-4]'],
    ['an object with sorted keys', { b: 1, a: 2 }, '{"a":2,"b":1}'],
    ['keys sorted by UTF-16 code unit', { b: 1, B: 2, é: 3, _: 4 }, '{"B":2,"_":4,"b":1,"é":3}'],
    ['a nested value', { x: [{ z: -0, y: NaN }], w: 'v' }, '{"w":"v","x":[{"y":NaN,"z":0}]}'],
    ['a null-prototype object', Object.assign(Object.create(null), { k: 1 }), '{"k":1}'],
    ['a Date', new Date('2026-11-25T20:00:00.123Z'), 'D(2026-11-25T20:00:00.123Z)'],
    ['a function by its name', max, 'F(max)'],
    ['a built-in function by its name', Math.min, 'F(min)'],
    ['a FunctionRef by its last dotted segment', new FunctionRef('Math.max'), 'F(max)'],
    ['a FunctionRef without dots', new FunctionRef('sum'), 'F(sum)']
  ])('encodes %s', (_name, value, expected) => {
    expect(canonicalValue(value)).toBe(expected)
  })

  it.each<[string, unknown, unknown]>([
    ['key order', { a: 1, b: 2 }, { b: 2, a: 1 }],
    ['2 and 2.0', [2], [2.0]],
    ['-0 and 0', -0, 0],
    ['a Float64Array and the same plain array', new Float64Array([0.5, 3]), [0.5, 3]],
    ['a function and a FunctionRef of the same name', max, new FunctionRef('ops.max')],
    ['undefined and null', [undefined], [null]]
  ])('gives equal encodings for %s', (_name, a, b) => {
    expect(canonicalValue(a)).toBe(canonicalValue(b))
  })

  it.each<[string, unknown, unknown]>([
    ['a string and a function of that name', 'max', max],
    ['the string "NaN" and NaN', 'NaN', NaN],
    ['the string "1" and 1', '1', 1],
    ['a nested array and its flattening', [[1, 2]], [1, 2]],
    ['true and 1', true, 1]
  ])('keeps %s apart', (_name, a, b) => {
    expect(canonicalValue(a)).not.toBe(canonicalValue(b))
  })

  it.each<[string, unknown, string]>([
    ['a symbol', Symbol('s'), "parameter 'B' is a Symbol"],
    ['a BigInt', 1n, "parameter 'B' is a BigInt"],
    ['a BigInt inside an array', [1, [2n]], "parameter 'B'[1][0] is a BigInt"],
    ['a Map inside an object', { inner: new Map() }, "parameter 'B'.inner is a Map, not a plain object"],
    ['a class instance', new (class Point {})(), "parameter 'B' is a Point, not a plain object"],
    [
      'an anonymous function',
      [
        (
          () => () =>
            1
        )()
      ],
      "parameter 'B'[0] is an anonymous function"
    ],
    ['a BigInt64Array', new BigInt64Array(1), "parameter 'B' is a BigInt typed array"]
  ])('refuses %s and names where it is', (_name, value, message) => {
    expect(() => canonicalValue(value, "parameter 'B'")).toThrow(ParameterValueError)
    expect(() => canonicalValue(value, "parameter 'B'")).toThrow(message)
  })

  it('refuses a cycle and says where it closes', () => {
    const looped: Record<string, unknown> = { a: [1] }
    ;(looped.a as unknown[]).push(looped)
    expect(() => canonicalValue(looped, 'value')).toThrow('value.a[1] refers back to itself (a cycle)')
  })

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = [1, 2]
    expect(canonicalValue({ a: shared, b: shared })).toBe('{"a":[1,2],"b":[1,2]}')
  })
})

describe('canonicalParams', () => {
  it('includes the parameter names, sorted', () => {
    expect(canonicalParams({ B: [1, 2], A: 1, operator: max })).toBe('{"A":1,"B":[1,2],"operator":F(max)}')
  })

  it('leaves out private parameters (names starting with _)', () => {
    expect(canonicalParams({ A: 1, _seed: 42, _cache: { big: true } })).toBe('{"A":1}')
  })

  it('encodes no parameters as {}', () => {
    expect(canonicalParams({})).toBe('{}')
  })

  it('gives {A:1,B:2} and {A:2,B:1} different encodings, unlike batchpy', () => {
    expect(canonicalParams({ A: 1, B: 2 })).not.toBe(canonicalParams({ A: 2, B: 1 }))
  })

  it('names the parameter whose value cannot be encoded', () => {
    expect(() => canonicalParams({ A: 1, B: [1, 2n] })).toThrow("parameter 'B'[1] is a BigInt")
  })

  it('is what canonicalFromPieces builds from pre-encoded values', () => {
    const params = { operator: new FunctionRef('max'), A: 3, B: [2, 5, 8], _private: 1 }
    const names = publicNames(params)
    expect(names).toEqual(['A', 'B', 'operator'])
    const pieces = names.map((name) => canonicalValue(params[name as keyof typeof params]))
    expect(canonicalFromPieces(names, pieces)).toBe(canonicalParams(params))
  })
})

describe('run ids', () => {
  it('are 40 lowercase hex characters', () => {
    expect(runId({ A: 1 })).toMatch(/^[0-9a-f]{40}$/)
  })

  it.each<[Record<string, unknown>, string]>([
    [{ A: 10, B: [3, 2, 4, 3, 8] }, '{"A":10,"B":[3,2,4,3,8]}'],
    [{ A: 1, B: [2, 5, 8], operator: new FunctionRef('min') }, '{"A":1,"B":[2,5,8],"operator":F(min)}'],
    [{ x: 'é', y: NaN }, '{"x":"é","y":NaN}'],
    [{}, '{}']
  ])('are stable: %j hashes the canonical string %s', (params, canonical) => {
    expect(canonicalParams(params)).toBe(canonical)
    expect(runId(params)).toBe(sha1(canonical))
    expect(idOfCanonical(canonical)).toBe(sha1(canonical))
  })

  it('gives runs with equal parameters the same id', () => {
    expect(runId({ A: 2.0, B: new Float64Array([1, 2]), _seed: 1 })).toBe(
      runId({ B: [1, 2], A: 2, _seed: 2 })
    )
  })

  it('gives runs with swapped values different ids', () => {
    expect(runId({ A: 1, B: 2 })).not.toBe(runId({ A: 2, B: 1 }))
  })
})
