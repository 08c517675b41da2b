import { describe, expect, it } from 'vitest'
import { FunctionRef, functionName } from '../../../src-main/engine/params/function-ref'

describe('FunctionRef', () => {
  it('is named by the last dotted segment of its path', () => {
    expect(new FunctionRef('Math.max').name).toBe('max')
    expect(new FunctionRef('max').name).toBe('max')
    expect(String(new FunctionRef('ops.stats.mean'))).toBe('mean')
  })

  it('serialises to JSON as { $fn: path }', () => {
    expect(JSON.stringify({ operator: new FunctionRef('Math.max') })).toBe('{"operator":{"$fn":"Math.max"}}')
  })
})

describe('functionName', () => {
  function sum(xs: number[]): number {
    return xs.reduce((a, b) => a + b, 0)
  }

  it.each<[string, unknown, string | undefined]>([
    ['a function declaration', sum, 'sum'],
    ['a built-in', Math.max, 'max'],
    ['a FunctionRef', new FunctionRef('ops.len'), 'len'],
    ['a string', 'max', undefined],
    [
      'an anonymous function',
      (
        () => () =>
          0
      )(),
      undefined
    ]
  ])('names %s', (_name, value, expected) => {
    expect(functionName(value)).toBe(expected)
  })
})
