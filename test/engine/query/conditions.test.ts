import { describe, expect, it } from 'vitest'
import { FunctionRef } from '../../../src-main/engine/params/function-ref'
import {
  type Condition,
  ConditionError,
  conditionsFromKwargs,
  formatCondition,
  parseCondition
} from '../../../src-main/engine/query/conditions'

describe('conditionsFromKwargs', () => {
  it("reads the quickstart's get_runs_with(A__ge=3, B=[2,5,8], operator=max)", () => {
    expect(conditionsFromKwargs({ A__ge: 3, B: [2, 5, 8], operator: 'max' })).toEqual([
      { param: 'A', op: 'ge', value: 3 },
      { param: 'B', op: 'eq', value: [2, 5, 8] },
      { param: 'operator', op: 'eq', value: 'max' }
    ])
  })

  it.each<[string, Condition]>([
    ['A__eq', { param: 'A', op: 'eq', value: 1 }],
    ['A__ne', { param: 'A', op: 'ne', value: 1 }],
    ['A__le', { param: 'A', op: 'le', value: 1 }],
    ['A__gt', { param: 'A', op: 'gt', value: 1 }],
    ['A__lt', { param: 'A', op: 'lt', value: 1 }],
    ['my__name__lt', { param: 'my__name', op: 'lt', value: 1 }],
    ['my__name', { param: 'my__name', op: 'eq', value: 1 }]
  ])('reads the key %s', (key, expected) => {
    expect(conditionsFromKwargs({ [key]: 1 })).toEqual([expected])
  })

  it('takes a list for __in', () => {
    expect(conditionsFromKwargs({ A__in: [1, 2] })).toEqual([{ param: 'A', op: 'in', value: [1, 2] }])
  })

  it('refuses __in without a list and names the key', () => {
    expect(() => conditionsFromKwargs({ A__in: 3 })).toThrow(ConditionError)
    expect(() => conditionsFromKwargs({ A__in: 3 })).toThrow(
      "condition 'A__in' uses 'in' and needs a list of values"
    )
  })
})

describe('parseCondition', () => {
  it.each<[string, Condition]>([
    ['A>=3', { param: 'A', op: 'ge', value: 3 }],
    ['A >= 3', { param: 'A', op: 'ge', value: 3 }],
    ['  A<=3  ', { param: 'A', op: 'le', value: 3 }],
    ['A>3', { param: 'A', op: 'gt', value: 3 }],
    ['B=[2,5,8]', { param: 'B', op: 'eq', value: [2, 5, 8] }],
    ['B == [2,5,8]', { param: 'B', op: 'eq', value: [2, 5, 8] }],
    ['operator=min', { param: 'operator', op: 'eq', value: 'min' }],
    ['operator != max', { param: 'operator', op: 'ne', value: 'max' }],
    ['operator = Math.max', { param: 'operator', op: 'eq', value: 'Math.max' }],
    ['x<1e-3', { param: 'x', op: 'lt', value: 1e-3 }],
    ['x = .5', { param: 'x', op: 'eq', value: 0.5 }],
    ['x = -Infinity', { param: 'x', op: 'eq', value: -Infinity }],
    ['x = NaN', { param: 'x', op: 'eq', value: NaN }],
    ['name in ["a","b"]', { param: 'name', op: 'in', value: ['a', 'b'] }],
    ["name in ['a', 'b']", { param: 'name', op: 'in', value: ['a', 'b'] }],
    ['index = 2', { param: 'index', op: 'eq', value: 2 }],
    ['A__ge=3', { param: 'A', op: 'ge', value: 3 }],
    ['flag = true', { param: 'flag', op: 'eq', value: true }],
    ['label = "true"', { param: 'label', op: 'eq', value: 'true' }],
    ['v = null', { param: 'v', op: 'eq', value: null }],
    ['o = {"k": 1}', { param: 'o', op: 'eq', value: { k: 1 } }],
    ['"odd name" = 1', { param: 'odd name', op: 'eq', value: 1 }],
    ['_seed = 4', { param: '_seed', op: 'eq', value: 4 }],
    ['f = [max, 1]', { param: 'f', op: 'eq', value: [new FunctionRef('max'), 1] }]
  ])('reads %s', (text, expected) => {
    expect(parseCondition(text)).toEqual(expected)
  })

  it.each<[string, string]>([
    ['', "expected a parameter name at the start of ''"],
    ['>= 3', "expected a parameter name at the start of '>= 3'"],
    ['A 3', "expected an operator (=, ==, !=, >=, <=, >, < or in) after 'A' in 'A 3'"],
    ['A >=', "expected a value after '>=' in 'A >='"],
    ['A = [1, 2', "cannot read the value `[1, 2` in 'A = [1, 2'; expected JSON"],
    ['A = f(1)', "the value in 'A = f(1)' is a function call; expected a literal value"],
    ['A in 3', "condition 'A in 3' uses 'in' and needs a list of values"]
  ])('refuses %j and says what was expected', (text, message) => {
    expect(() => parseCondition(text)).toThrow(ConditionError)
    expect(() => parseCondition(text)).toThrow(message)
  })
})

describe('formatCondition', () => {
  function max(xs: number[]): number {
    return Math.max(...xs)
  }

  it.each<[Condition, string]>([
    [{ param: 'A', op: 'ge', value: 3 }, 'A >= 3'],
    [{ param: 'A', op: 'eq', value: -0.5 }, 'A = -0.5'],
    [{ param: 'B', op: 'eq', value: [2, 5, 8] }, 'B = [2, 5, 8]'],
    [{ param: 'operator', op: 'eq', value: 'max' }, 'operator = max'],
    [{ param: 'operator', op: 'ne', value: max }, 'operator != max'],
    [{ param: 'operator', op: 'eq', value: new FunctionRef('Math.min') }, 'operator = min'],
    [{ param: 'label', op: 'eq', value: 'true' }, 'label = "true"'],
    [{ param: 'label', op: 'eq', value: 'two words' }, 'label = "two words"'],
    [{ param: 'name', op: 'in', value: ['a', 'b'] }, 'name in ["a", "b"]'],
    [{ param: 'x', op: 'lt', value: NaN }, 'x < NaN'],
    [{ param: 'odd name', op: 'le', value: 1 }, '"odd name" <= 1'],
    [{ param: 'o', op: 'eq', value: { k: [1, Infinity] } }, 'o = {"k": [1, Infinity]}']
  ])('writes %j as %s', (condition, text) => {
    expect(formatCondition(condition)).toBe(text)
  })

  it.each<Condition>([
    { param: 'A', op: 'ge', value: 3 },
    { param: 'B', op: 'eq', value: [2, 5, 8] },
    { param: 'operator', op: 'ne', value: 'max' },
    { param: 'label', op: 'eq', value: '3' },
    { param: 'name', op: 'in', value: ['a', 'b'] },
    { param: 'x', op: 'gt', value: -Infinity },
    { param: 'o', op: 'eq', value: { k: [1, NaN], s: 'x' } },
    { param: 'my key', op: 'lt', value: 1e-9 }
  ])('reads back what it writes: %j', (condition) => {
    expect(parseCondition(formatCondition(condition))).toEqual(condition)
  })
})
