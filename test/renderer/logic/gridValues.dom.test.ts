import { describe, expect, it } from 'vitest'
import {
  axisRoundTrips,
  buildGrid,
  designSize,
  emptyFactorInput,
  factorInputFromAxis,
  linspaceValues,
  logspaceValues,
  parseFactor,
  parseList,
  rangeValues,
  type FactorInput,
  type FactorMode,
  type ParameterKind
} from '../../../src-renderer/logic/gridValues'

const input = (patch: Partial<FactorInput>): FactorInput => ({ ...emptyFactorInput(), ...patch })

describe('ranges', () => {
  it('rounds float steps so 0.1 + 0.2 shows 0.3', () => {
    expect(rangeValues(0, 0.5, 0.1, true)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5])
    expect(rangeValues(0.1, 0.3, 0.1, true)).toEqual([0.1, 0.2, 0.3])
  })

  it('counts a stop reached through float error as reached', () => {
    expect(rangeValues(0, 0.3, 0.1, true)).toHaveLength(4)
    expect(rangeValues(0, 0.3, 0.1, false)).toEqual([0, 0.1, 0.2])
  })

  it('includes or excludes the stop as asked, like Python range when exclusive', () => {
    expect(rangeValues(1, 5, 1, false)).toEqual([1, 2, 3, 4])
    expect(rangeValues(1, 5, 1, true)).toEqual([1, 2, 3, 4, 5])
    expect(rangeValues(1, 5.5, 1, false)).toEqual([1, 2, 3, 4, 5])
  })

  it('goes down with a negative step', () => {
    expect(rangeValues(1, 0, -0.25, true)).toEqual([1, 0.75, 0.5, 0.25, 0])
  })

  it.each([
    [0, 1, 0, 'cannot be 0'],
    [0, 1, -0.1, 'never goes'],
    [0, 1e9, 1e-3, 'use a larger step']
  ])('refuses start %s stop %s step %s with a message', (start, stop, step, message) => {
    expect(() => rangeValues(start, stop, step, true)).toThrow(message)
  })
})

describe('linear and log spaces', () => {
  it('spaces values evenly with both ends included and no float noise', () => {
    expect(linspaceValues(0, 1, 11)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1])
    expect(linspaceValues(5, 5, 1)).toEqual([5])
  })

  it('spaces values by factors on a log scale', () => {
    expect(logspaceValues(1, 1000, 4)).toEqual([1, 10, 100, 1000])
    expect(logspaceValues(0.001, 1, 4)).toEqual([0.001, 0.01, 0.1, 1])
  })

  it('refuses a log space through zero', () => {
    expect(() => logspaceValues(0, 10, 3)).toThrow('above 0')
    expect(() => linspaceValues(0, 1, 0)).toThrow('at least 1')
  })
})

describe('lists', () => {
  it.each([
    ['1, 2, 3', 'number', [1, 2, 3]],
    ['[1, 2, 3]', 'number', [1, 2, 3]],
    ['1\n2\n3', 'number', [1, 2, 3]],
    ['a, b, "c, d"', 'string', ['a', 'b', 'c, d']],
    ['true, false', 'boolean', [true, false]],
    [
      '[[2,5,8],[1,9,6,3,9],[6,4,0,9,4,1]]',
      'array',
      [
        [2, 5, 8],
        [1, 9, 6, 3, 9],
        [6, 4, 0, 9, 4, 1]
      ]
    ],
    [
      '[2,5,8]\n[1,9]',
      'array',
      [
        [2, 5, 8],
        [1, 9]
      ]
    ],
    [
      '[2,5,8], [1,9]',
      'array',
      [
        [2, 5, 8],
        [1, 9]
      ]
    ],
    ['{"a": 1}\n{"a": 2}', 'object', [{ a: 1 }, { a: 2 }]],
    ['min, max', 'function', ['min', 'max']]
  ] as const)('reads %j as %s values', (text, kind, expected) => {
    expect(parseList(text, kind)).toEqual(expected)
  })

  it.each([
    ['1, two, 3', 'number', 'value 2: "two" is not a number'],
    ['[1, 2', 'number', 'not valid JSON'],
    ['[2,5,8]', 'array', 'array of arrays'],
    ['{a: 1}', 'object', 'strings need "double quotes"'],
    ['', 'number', 'enter at least one value']
  ] as const)('explains what is wrong with %j', (text, kind, message) => {
    expect(() => parseList(text, kind)).toThrow(message)
  })
})

describe('factor rows', () => {
  it('leaves a parameter at its default out of the grid', () => {
    const parsed = parseFactor(input({ mode: 'default' }), 'number', 0)
    expect(parsed).toEqual({ ok: true, values: [0], manifestValue: undefined, swept: false })
  })

  it('writes ranges and spaces as the specs the engine expands', () => {
    expect(
      parseFactor(input({ mode: 'range', start: '0', stop: '1', step: '0.25', inclusive: true }), 'number', 0)
    ).toMatchObject({
      ok: true,
      values: [0, 0.25, 0.5, 0.75, 1],
      manifestValue: { $range: [0, 1, 0.25], inclusive: true }
    })
    expect(
      parseFactor(input({ mode: 'logspace', start: '1', stop: '100', count: '3' }), 'number', 0)
    ).toMatchObject({ manifestValue: { $logspace: [1, 100, 3] }, values: [1, 10, 100] })
  })

  it('sweeps the functions ticked for a function-valued parameter', () => {
    expect(
      parseFactor(input({ mode: 'functions', functions: ['min', 'sum'] }), 'function', { $fn: 'max' })
    ).toMatchObject({ ok: true, values: ['min', 'sum'], swept: true })
    expect(parseFactor(input({ mode: 'functions', functions: [] }), 'function', { $fn: 'max' })).toEqual({
      ok: false,
      error: 'tick at least one function'
    })
  })

  it('validates a JSON value for an array parameter', () => {
    expect(parseFactor(input({ mode: 'value', value: '[1, 2' }), 'array', [])).toMatchObject({
      ok: false,
      error: expect.stringContaining('not valid JSON')
    })
    expect(parseFactor(input({ mode: 'value', value: '[1, 2]' }), 'array', [])).toMatchObject({
      ok: true,
      manifestValue: [[1, 2]]
    })
  })

  it('refuses a list that repeats a value', () => {
    expect(parseFactor(input({ mode: 'list', list: '1, 2, 1' }), 'number', 0)).toMatchObject({
      ok: false,
      error: expect.stringContaining('repeats')
    })
  })
})

describe('design size', () => {
  it('multiplies the axis lengths: the quickstart grid is 5 × 3 × 4 = 60 runs', () => {
    const A = parseFactor(input({ mode: 'range', start: '1', stop: '5', step: '1' }), 'number', 0)
    const B = parseFactor(
      input({ mode: 'list', list: '[[2,5,8],[1,9,6,3,9],[6,4,0,9,4,1]]' }),
      'array',
      [1, 2, 3]
    )
    const op = parseFactor(
      input({ mode: 'functions', functions: ['min', 'max', 'sum', 'len'] }),
      'function',
      { $fn: 'max' }
    )
    expect(designSize([A, B, op])).toBe(60)
    expect(
      buildGrid([
        { name: 'A', parsed: A },
        { name: 'B', parsed: B },
        { name: 'operator', parsed: op }
      ])
    ).toEqual({
      ok: true,
      grid: {
        A: { $range: [1, 5, 1], inclusive: true },
        B: [
          [2, 5, 8],
          [1, 9, 6, 3, 9],
          [6, 4, 0, 9, 4, 1]
        ],
        operator: ['min', 'max', 'sum', 'len']
      }
    })
  })

  it('names the parameter of the first row that does not parse', () => {
    const bad = parseFactor(input({ mode: 'list', list: 'x' }), 'number', 0)
    expect(buildGrid([{ name: 'A', parsed: bad }])).toMatchObject({
      ok: false,
      name: 'A',
      error: expect.stringMatching(/^A: /)
    })
  })
})

describe('loading a saved design back into the rows', () => {
  const cases: [string, unknown, ParameterKind, FactorMode][] = [
    ['a number list', [1, 2, 3, 4, 5], 'number', 'list'],
    ['one value', [0.5], 'number', 'value'],
    [
      'an array of arrays',
      [
        [2, 5, 8],
        [1, 9, 6, 3, 9],
        [6, 4, 0, 9, 4, 1]
      ],
      'array',
      'list'
    ],
    ['one array', [[2, 5, 8]], 'array', 'value'],
    ['functions', ['min', 'max', 'sum', 'len'], 'function', 'functions'],
    ['strings that look like other things', ['true', '12', 'plain', 'a b'], 'string', 'list'],
    ['an inclusive range', { $range: [0, 1, 0.1], inclusive: true }, 'number', 'range'],
    ['an exclusive range', { $range: [0, 10, 2] }, 'number', 'range'],
    ['a linear space', { $linspace: [0, 1, 5] }, 'number', 'linspace'],
    ['a log space', { $logspace: [0.001, 1000, 7] }, 'number', 'logspace'],
    ['objects', [{ a: 1 }, { a: 2, b: [1] }], 'object', 'list']
  ]
  it.each(cases)('gives the same axis back for %s', (_, axis, kind, mode) => {
    const input = factorInputFromAxis(axis, kind)
    expect(input?.mode).toBe(mode)
    expect(axisRoundTrips(axis, input!, kind, undefined)).toBe(true)
  })

  it('leaves a parameter the design does not set at its default', () => {
    expect(factorInputFromAxis(undefined, 'number')).toEqual(emptyFactorInput())
  })

  it('says when the fields cannot express an axis', () => {
    expect(factorInputFromAxis({ $somethingElse: 1 }, 'number')).toBeNull()
    expect(factorInputFromAxis([], 'number')).toBeNull()
    expect(factorInputFromAxis([{ $fn: 'min' }], 'function')).toBeNull()
    // A duplicated value is refused by the list field, so the round trip fails and nothing is loaded.
    const duplicated = [1, 1, 2]
    expect(axisRoundTrips(duplicated, factorInputFromAxis(duplicated, 'number')!, 'number', 0)).toBe(false)
  })
})
