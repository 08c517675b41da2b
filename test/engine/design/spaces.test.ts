import { describe, expect, it } from 'vitest'
import { DesignError } from '../../../src-main/engine/design/design-error'
import { linspace, logspace, rangeValues } from '../../../src-main/engine/design/spaces'

describe('rangeValues', () => {
  it.each<[string, [number, number, number, boolean?], number[]]>([
    ['integers, stop excluded', [0, 5, 1], [0, 1, 2, 3, 4]],
    ['integers, stop included', [0, 5, 1, true], [0, 1, 2, 3, 4, 5]],
    ['0.1 steps without float noise', [0.1, 0.35, 0.1], [0.1, 0.2, 0.3]],
    ['0.1 steps up to 1 included', [0, 1, 0.1, true], [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]],
    ['0.1 steps with 1 excluded', [0, 1, 0.1], [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]],
    ['0.1 steps with 0.3 excluded', [0, 0.3, 0.1], [0, 0.1, 0.2]],
    ['a negative step', [1, 0, -0.25], [1, 0.75, 0.5, 0.25]],
    ['a step that does not reach stop', [0, 1, 0.3, true], [0, 0.3, 0.6, 0.9]],
    ['small decimal steps', [0.001, 0.004, 0.001, true], [0.001, 0.002, 0.003, 0.004]],
    ['exponent steps', [0, 3e-7, 1e-7, true], [0, 1e-7, 2e-7, 3e-7]],
    ['start equal to stop, excluded', [2, 2, 1], []],
    ['start equal to stop, included', [2, 2, 1, true], [2]],
    ['a step with no short decimal form', [0, 1, 1 / 3], [0, 1 / 3, 2 / 3]]
  ])('counts %s', (_name, [start, stop, step, inclusive], expected) => {
    expect(rangeValues(start, stop, step, inclusive)).toEqual(expected)
  })

  it.each<[string, [number, number, number], string]>([
    ['a zero step', [0, 1, 0], 'range: step must not be 0'],
    [
      'a step going away from stop',
      [0, 1, -0.1],
      'range: step -0.1 goes away from stop (start 0, stop 1); use a positive step'
    ],
    ['a positive step going down', [1, 0, 1], 'use a negative step'],
    ['an infinite stop', [0, Infinity, 1], 'range: stop must be a finite number; got Infinity'],
    ['a NaN step', [0, 1, NaN], 'range: step must be a finite number; got NaN'],
    ['more than 10M values', [0, 1, 1e-8], 'range: 100,000,000 values is more than the 10,000,000 allowed']
  ])('refuses %s', (_name, [start, stop, step], message) => {
    expect(() => rangeValues(start, stop, step)).toThrow(DesignError)
    expect(() => rangeValues(start, stop, step)).toThrow(message)
  })
})

describe('linspace', () => {
  it.each<[[number, number, number], number[]]>([
    [
      [0, 1, 5],
      [0, 0.25, 0.5, 0.75, 1]
    ],
    [
      [0, 1, 11],
      [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]
    ],
    [
      [10, 0, 3],
      [10, 5, 0]
    ],
    [
      [-1, 1, 2],
      [-1, 1]
    ],
    [[3, 7, 1], [3]]
  ])('spreads linspace%j evenly with both ends included', ([start, stop, count], expected) => {
    expect(linspace(start, stop, count)).toEqual(expected)
  })

  it.each<[number, string]>([
    [0, 'linspace: count must be a whole number of at least 1; got 0'],
    [2.5, 'got 2.5'],
    [20_000_000, 'linspace: 20,000,000 values is more than the 10,000,000 allowed']
  ])('refuses the count %d', (count, message) => {
    expect(() => linspace(0, 1, count)).toThrow(message)
  })
})

describe('logspace', () => {
  it.each<[[number, number, number], number[]]>([
    [
      [1, 1000, 4],
      [1, 10, 100, 1000]
    ],
    [
      [0.001, 1, 4],
      [0.001, 0.01, 0.1, 1]
    ],
    [
      [1000, 1, 4],
      [1000, 100, 10, 1]
    ],
    [
      [2, 8, 3],
      [2, 4, 8]
    ],
    [[5, 50, 1], [5]]
  ])('spreads logspace%j evenly on a log scale', ([start, stop, count], expected) => {
    const values = logspace(start, stop, count)
    expect(values).toHaveLength(expected.length)
    values.forEach((value, i) => expect(value).toBeCloseTo(expected[i], 12))
  })

  it('returns the end points exactly', () => {
    const values = logspace(0.3, 7, 9)
    expect(values[0]).toBe(0.3)
    expect(values[8]).toBe(7)
  })

  it.each<[number, number]>([
    [0, 10],
    [1, -10],
    [-1, -10]
  ])('refuses start %d and stop %d, explaining they are values, not exponents', (start, stop) => {
    expect(() => logspace(start, stop, 3)).toThrow(DesignError)
    expect(() => logspace(start, stop, 3)).toThrow(
      'logspace: start and stop must both be greater than 0 (they are the first and last values, not exponents)'
    )
  })
})
