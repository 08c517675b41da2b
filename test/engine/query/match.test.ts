import { describe, expect, it } from 'vitest'
import { FunctionRef } from '../../../src-main/engine/params/function-ref'
import type { Condition, ConditionOp } from '../../../src-main/engine/query/conditions'
import { compileConditions, conditionMask, matchValue } from '../../../src-main/engine/query/match'

function max(xs: number[]): number {
  return Math.max(...xs)
}
function min(xs: number[]): number {
  return Math.min(...xs)
}

describe('matchValue', () => {
  it.each<[string, unknown, ConditionOp, unknown, boolean]>([
    ['equal numbers', 3, 'eq', 3, true],
    ['numbers within isclose', 0.1 + 0.2, 'eq', 0.3, true],
    ['numbers within the relative tolerance', 1000000, 'eq', 1000001, true],
    ['numbers outside the tolerance', 1, 'eq', 1.001, false],
    ['tiny numbers within the absolute tolerance', 1e-9, 'eq', 0, true],
    ['NaN and NaN', NaN, 'eq', NaN, true],
    ['Infinity and Infinity', Infinity, 'eq', Infinity, true],
    ['Infinity and -Infinity', Infinity, 'eq', -Infinity, false],
    ['a number and a numeric string', 1, 'eq', '1', false],
    ['true and 1', true, 'eq', 1, false],
    ['arrays elementwise within isclose', [2, 5, 8.000000001], 'eq', [2, 5, 8], true],
    ['arrays of different lengths', [2, 5], 'eq', [2, 5, 8], false],
    ['a Float64Array and a plain array', new Float64Array([1, 2]), 'eq', [1, 2], true],
    [
      'nested objects in any key order',
      { a: [1, { b: 'x' }], c: 2 },
      'eq',
      { c: 2, a: [1, { b: 'x' }] },
      true
    ],
    ['objects with different keys', { a: 1 }, 'eq', { b: 1 }, false],
    ['an object and an array', { 0: 1 }, 'eq', [1], false],
    ['two Maps', new Map([[1, 2]]), 'eq', new Map(), false],
    ['equal Dates', new Date(5), 'eq', new Date(5), true],
    ['a function and its name', max, 'eq', 'max', true],
    ['a function and another name', max, 'eq', 'min', false],
    ['a FunctionRef and its name', new FunctionRef('Math.max'), 'eq', 'max', true],
    ['a FunctionRef and its path', new FunctionRef('Math.max'), 'eq', 'Math.max', true],
    ['a function and a FunctionRef of the same name', max, 'eq', new FunctionRef('max'), true],
    ['a string and a function target', 'min', 'eq', min, true],
    ['null and undefined', null, 'eq', undefined, true],
    ['null and 0', null, 'eq', 0, false],
    ['different strings (ne)', 'a', 'ne', 'b', true],
    ['close numbers (ne)', 1, 'ne', 1 + 1e-12, false],
    ['a function not named (ne)', max, 'ne', 'min', true],
    ['a value in a list', 3, 'in', [1, 2, 3], true],
    ['a close value in a list', 3.0000000001, 'in', [3], true],
    ['an array in a list of arrays', [2, 5, 8], 'in', [[1], [2, 5, 8]], true],
    ['a function in a list of names', max, 'in', ['min', 'max'], true],
    ['a value not in a list', 4, 'in', [1, 2, 3], false],
    ['a greater number (ge)', 4, 'ge', 3, true],
    ['an equal number (ge)', 3, 'ge', 3, true],
    ['a smaller number (ge)', 2, 'ge', 3, false],
    ['an equal number (gt)', 3, 'gt', 3, false],
    ['a smaller number (lt)', 2, 'lt', 3, true],
    ['an equal number (le)', 3, 'le', 3, true],
    ['strings lexicographically (lt)', 'apple', 'lt', 'banana', true],
    ['strings lexicographically (ge)', 'b', 'ge', 'abc', true],
    ['a number and a string (ge)', 3, 'ge', '2', false],
    ['arrays (ge)', [3], 'ge', [2], false],
    ['NaN (ge)', NaN, 'ge', 0, false]
  ])('compares %s', (_name, actual, op, target, expected) => {
    expect(matchValue(actual, op, target)).toBe(expected)
  })
})

describe('conditionMask', () => {
  it('evaluates a condition once per distinct value', () => {
    const values = [1, 2, 3, 4, 5]
    expect(Array.from(conditionMask({ param: 'A', op: 'ge', value: 3 }, values))).toEqual([0, 0, 1, 1, 1])
  })

  it('matches functions by name among distinct values', () => {
    const values = [min, max, new FunctionRef('sum'), new FunctionRef('len')]
    expect(Array.from(conditionMask({ param: 'operator', op: 'in', value: ['max', 'sum'] }, values))).toEqual(
      [0, 1, 1, 0]
    )
  })

  it('refuses an in condition without a list', () => {
    expect(() => conditionMask({ param: 'A', op: 'in', value: 3 }, [1])).toThrow('needs a list of values')
  })
})

describe('compileConditions', () => {
  const runs = [
    { A: 1, B: [2, 5, 8], operator: min },
    { A: 3, B: [2, 5, 8], operator: max },
    { A: 5, B: [1, 9, 6, 3, 9], operator: max },
    { A: 4, operator: max }
  ]

  function select(conditions: Condition[]): number[] {
    const test = compileConditions(conditions)
    return runs.flatMap((run, index) => (test(run) ? [index] : []))
  }

  it('keeps runs that meet every condition', () => {
    expect(
      select([
        { param: 'A', op: 'ge', value: 3 },
        { param: 'B', op: 'eq', value: [2, 5, 8] },
        { param: 'operator', op: 'eq', value: 'max' }
      ])
    ).toEqual([1])
  })

  it('never matches a run lacking the parameter, except with ne', () => {
    expect(select([{ param: 'B', op: 'eq', value: [1, 9, 6, 3, 9] }])).toEqual([2])
    expect(select([{ param: 'B', op: 'ne', value: [2, 5, 8] }])).toEqual([2, 3])
  })

  it('keeps every run when there are no conditions', () => {
    expect(select([])).toEqual([0, 1, 2, 3])
  })
})
