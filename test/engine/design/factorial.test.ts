import { describe, expect, it } from 'vitest'
import {
  combinationIndex,
  DesignError,
  factorialColumns,
  factorialSize,
  normalizeAxes,
  normalizeAxis
} from '../../../src-main/engine/design/factorial'

/** itertools.product over the axes, written plainly, to check the fast versions against. */
function product(axes: unknown[][]): unknown[][] {
  return axes.reduce<unknown[][]>(
    (combos, axis) => combos.flatMap((combo) => axis.map((value) => [...combo, value])),
    [[]]
  )
}

const quickstartGrid = {
  A: [1, 2, 3, 4, 5],
  B: [
    [2, 5, 8],
    [1, 9, 6, 3, 9],
    [6, 4, 0, 9, 4, 1]
  ],
  operator: ['min', 'max', 'sum', 'len']
}

describe('normalizeAxis', () => {
  it.each<[string, unknown, unknown[]]>([
    ['a list as is', [1, 2], [1, 2]],
    ['a string as one value', 'abc', ['abc']],
    ['a number as one value', 3, [3]],
    ['a typed array as one value', new Float64Array([1, 2]), [new Float64Array([1, 2])]],
    ['an object as one value', { a: 1 }, [{ a: 1 }]],
    ['null as one value', null, [null]],
    ['an empty list as empty', [], []]
  ])('takes %s', (_name, value, expected) => {
    expect(normalizeAxis(value)).toEqual(expected)
  })
})

describe('normalizeAxes', () => {
  it('keeps the key order of the grid', () => {
    expect(normalizeAxes({ B: [1, 2], A: 'x' })).toEqual({ names: ['B', 'A'], axes: [[1, 2], ['x']] })
  })

  it('names the parameter that has no values', () => {
    expect(() => normalizeAxes({ A: [1], B: [] })).toThrow(DesignError)
    expect(() => normalizeAxes({ A: [1], B: [] })).toThrow("parameter 'B' has no values")
  })
})

describe('factorialSize', () => {
  it('multiplies the axis lengths: 5 × 3 × 4 = 60 for the quickstart', () => {
    expect(factorialSize(normalizeAxes(quickstartGrid).axes)).toBe(60)
  })

  it('is 1 for no axes', () => {
    expect(factorialSize([])).toBe(1)
  })
})

describe('combinationIndex', () => {
  it('varies the last axis fastest', () => {
    const sizes = [5, 3, 4]
    expect(Array.from(combinationIndex(0, sizes))).toEqual([0, 0, 0])
    expect(Array.from(combinationIndex(1, sizes))).toEqual([0, 0, 1])
    expect(Array.from(combinationIndex(4, sizes))).toEqual([0, 1, 0])
    expect(Array.from(combinationIndex(12, sizes))).toEqual([1, 0, 0])
    expect(Array.from(combinationIndex(59, sizes))).toEqual([4, 2, 3])
  })

  it('refuses an index outside the design', () => {
    expect(() => combinationIndex(60, [5, 3, 4])).toThrow(
      'combination 60 is outside the design, which has 60 combinations'
    )
    expect(() => combinationIndex(-1, [2])).toThrow(DesignError)
  })
})

describe('factorialColumns', () => {
  it('gives the quickstart design in itertools.product order', () => {
    const { axes } = normalizeAxes(quickstartGrid)
    const columns = factorialColumns(axes.map((axis) => axis.length))
    const combos = Array.from({ length: 60 }, (_, i) => columns.map((column, a) => axes[a][column[i]]))
    expect(combos).toEqual(product(axes))
    expect(combos[0]).toEqual([1, [2, 5, 8], 'min'])
    expect(combos[1]).toEqual([1, [2, 5, 8], 'max'])
    expect(combos[59]).toEqual([5, [6, 4, 0, 9, 4, 1], 'len'])
  })

  it.each<[number[]]>([[[2, 3]], [[1, 1, 1]], [[7]], [[3, 1, 2, 5]], [[2, 2, 2, 2, 2, 2, 2]]])(
    'matches combinationIndex for every combination of sizes %j',
    (sizes) => {
      const columns = factorialColumns(sizes)
      const total = sizes.reduce((a, b) => a * b, 1)
      for (let i = 0; i < total; i++)
        expect(columns.map((column) => column[i])).toEqual(Array.from(combinationIndex(i, sizes)))
    }
  )

  it('gives one empty-length combination for no axes', () => {
    expect(factorialColumns([])).toEqual([])
  })

  it('names an empty axis when given names', () => {
    expect(() => factorialColumns([2, 0], ['A', 'B'])).toThrow("parameter 'B' has no values")
  })

  it('refuses designs above the limit before allocating', () => {
    expect(() => factorialColumns([10_000, 10_000])).toThrow(
      'the design has 100,000,000 combinations (10000 × 10000); at most 50,000,000 are supported'
    )
  })
})
