import { describe, expect, it } from 'vitest'
import {
  chipText,
  conditionsAsCode,
  parseChip,
  type ChipCondition
} from '../../../src-renderer/logic/conditions'

describe('filter chips', () => {
  it.each([
    ['A >= 3', { name: 'A', op: 'ge', value: 3 }],
    ['A<=3', { name: 'A', op: 'le', value: 3 }],
    ['A ≤ 3', { name: 'A', op: 'le', value: 3 }],
    ['B = [2,5,8]', { name: 'B', op: 'eq', value: [2, 5, 8] }],
    ['B == [2, 5, 8]', { name: 'B', op: 'eq', value: [2, 5, 8] }],
    ['operator = min', { name: 'operator', op: 'eq', value: 'min' }],
    ['operator != max', { name: 'operator', op: 'ne', value: 'max' }],
    ['x < 1e-3', { name: 'x', op: 'lt', value: 0.001 }],
    ['name in ["a", "b"]', { name: 'name', op: 'in', value: ['a', 'b'] }],
    ['operator in [min, max]', { name: 'operator', op: 'in', value: ['min', 'max'] }],
    ['A__ge=3', { name: 'A', op: 'ge', value: 3 }],
    ['label = "two words"', { name: 'label', op: 'eq', value: 'two words' }]
  ] as const)('reads %j', (text, condition) => {
    expect(parseChip(text)).toEqual({ ok: true, condition })
  })

  it.each([
    ['', 'type a condition'],
    ['>= 3', 'does not start with a parameter name'],
    ['A 3', 'after A comes a comparison'],
    ['A >=', 'A >= what?'],
    ['A in 3', '"in" takes a list'],
    ['A >= [1]', 'compares numbers']
  ])('explains what is wrong with %j', (text, message) => {
    const parsed = parseChip(text)
    expect(parsed.ok).toBe(false)
    expect(parsed.ok ? '' : parsed.error).toContain(message)
  })

  it.each([
    'A >= 3',
    'B = [2,5,8]',
    'operator = min',
    'A != 2.5',
    'name in ["a b",c]',
    'flag = true',
    'label = "true"'
  ])('writes %j back as the same text', (text) => {
    const parsed = parseChip(text)
    expect(parsed.ok && chipText(parsed.condition)).toBe(text)
  })

  it('copies the filter as getRunsWith code', () => {
    const conditions: ChipCondition[] = [
      { name: 'A', op: 'le', value: 3 },
      { name: 'B', op: 'eq', value: [2, 5, 8] },
      { name: 'operator', op: 'eq', value: 'min' }
    ]
    expect(conditionsAsCode(conditions)).toBe(
      "batch.getRunsWith({ A__le: 3, B: [2, 5, 8], operator: 'min' })"
    )
    expect(conditionsAsCode([])).toBe('batch.runs')
  })
})
