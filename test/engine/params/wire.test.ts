import { describe, expect, it } from 'vitest'
import { FunctionRef } from '../../../src-main/engine/params/function-ref'
import { fromWire, toWire } from '../../../src-main/engine/params/wire'

function max(xs: number[]): number {
  return Math.max(...xs)
}
function min(xs: number[]): number {
  return Math.min(...xs)
}

describe('toWire', () => {
  it('turns functions and FunctionRefs into { $fn: path }, however deep', () => {
    const params = { A: 1, operator: max, nested: { list: [new FunctionRef('ops.min'), 2] } }
    expect(toWire(params)).toEqual({
      A: 1,
      operator: { $fn: 'max' },
      nested: { list: [{ $fn: 'ops.min' }, 2] }
    })
  })

  it('passes typed arrays, Dates, NaN and -0 through untouched', () => {
    const data = new Float64Array([1, NaN])
    const when = new Date(0)
    const wire = toWire({ data, when, x: -0, y: NaN })
    expect(wire.data).toBe(data)
    expect(wire.when).toBe(when)
    expect(Object.is(wire.x, -0)).toBe(true)
    expect(wire.y).toBeNaN()
  })

  it('returns the same object when there is nothing to convert', () => {
    const params = { A: [1, 2, { b: NaN }], B: 'max' }
    expect(toWire(params)).toBe(params)
  })

  it('does not modify its input', () => {
    const params = { list: [max] }
    toWire(params)
    expect(params.list[0]).toBe(max)
  })
})

describe('fromWire', () => {
  const functions: Record<string, (xs: number[]) => number> = { max, min }
  const resolve = (path: string): ((xs: number[]) => number) => {
    const fn = functions[path.split('.').pop()!]
    if (!fn) throw new Error(`no function named ${path}`)
    return fn
  }

  it('resolves every { $fn } object back to a function', () => {
    expect(fromWire({ operator: { $fn: 'max' }, deep: [{ f: { $fn: 'ops.min' } }] }, resolve)).toEqual({
      operator: max,
      deep: [{ f: min }]
    })
  })

  it('round-trips toWire', () => {
    const params = { A: 3, B: [2, 5, 8], operator: min }
    expect(fromWire(toWire(params), resolve)).toEqual(params)
  })

  it('leaves objects with other keys or a non-string $fn alone', () => {
    const params = { a: { $fn: 'max', other: 1 }, b: { $fn: 3 } }
    expect(fromWire(params, resolve)).toBe(params)
  })

  it('lets the resolver report unknown names', () => {
    expect(() => fromWire({ f: { $fn: 'nope' } }, resolve)).toThrow('no function named nope')
  })
})
