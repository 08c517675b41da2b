import { describe, expect, it } from 'vitest'
import { chartChoices, chooseChart, sweepShape } from '../../../src-renderer/logic/chartChoice'
import {
  heatmapOption,
  histogramBins,
  lineOption,
  LIGHT_PALETTE
} from '../../../src-renderer/logic/chartOptions'

/** Parameter columns of a full factorial design over the given axes. */
function factorial(
  axes: Record<string, (number | string)[]>
): { name: string; values: (number | string)[] }[] {
  let rows: Record<string, number | string>[] = [{}]
  for (const [name, values] of Object.entries(axes))
    rows = rows.flatMap((row) => values.map((v) => ({ ...row, [name]: v })))
  return Object.keys(axes).map((name) => ({ name, values: rows.map((row) => row[name]) }))
}

describe('chart choice from the sweep shape', () => {
  it('draws a line when one parameter varies', () => {
    const shape = sweepShape(factorial({ A: [1, 2, 3], B: ['[2,5,8]'] }))
    expect(shape.swept.map((a) => a.name)).toEqual(['A'])
    expect(shape.fixed).toEqual([{ name: 'B', value: '[2,5,8]' }])
    expect(chooseChart(shape)).toBe('line')
  })

  it('draws a heatmap when two vary', () => {
    expect(chooseChart(sweepShape(factorial({ A: [1, 2, 3], operator: ['min', 'max'] })))).toBe('heatmap')
  })

  it('draws small multiples for three, parallel coordinates when panels would be too many', () => {
    expect(chooseChart(sweepShape(factorial({ A: [1, 2, 3], B: [1, 2, 3], C: [1, 2, 3, 4] })))).toBe(
      'small-multiples'
    )
    expect(
      chooseChart(sweepShape(factorial({ A: [1, 2], B: [1, 2], C: [1, 2, 3, 4], D: [1, 2, 3, 4] })))
    ).toBe('parallel')
  })

  it('falls back to a scatter when nothing varies, and to curves for array fields', () => {
    expect(chooseChart(sweepShape(factorial({ A: [1] })))).toBe('scatter')
    expect(chooseChart(sweepShape(factorial({ A: [1, 2] })), { arrayField: true })).toBe('curves')
  })

  it('says why a chart does not fit', () => {
    const choices = chartChoices(sweepShape(factorial({ A: [1, 2, 3] })), { arrayFields: 0 })
    expect(choices.find((c) => c.kind === 'line')?.unavailable).toBeUndefined()
    expect(choices.find((c) => c.kind === 'heatmap')?.unavailable).toContain('only 1 varies')
    expect(choices.find((c) => c.kind === 'curves')?.unavailable).toContain('no array fields')
    expect(choices.find((c) => c.kind === 'scatter')?.unavailable).toBeUndefined()
  })
})

describe('chart options', () => {
  it('draws one line per value of the other swept parameter, points sorted by x, run index kept', () => {
    const cols = factorial({ A: [3, 1, 2], op: ['min', 'max'] })
    const y = cols[0].values.map((a, i) => (a as number) * (cols[1].values[i] === 'min' ? 1 : 10))
    const built = lineOption({
      indices: y.map((_, i) => i + 100),
      x: cols[0],
      y: { name: 'val', values: y },
      groups: [cols[1]],
      selected: new Set([100]),
      palette: LIGHT_PALETTE
    })
    const series = built.option.series as { name: string; type: string; data: number[][] }[]
    expect(series.map((s) => s.name)).toEqual(['op = min', 'op = max', 'Selected'])
    expect(series[0].data.map((p) => p[0])).toEqual([1, 2, 3])
    expect(series[2].data).toEqual([[3, 3, 100]])
    expect(built.empty).toBe(false)
  })

  it('uses large mode and LTTB sampling for 100,000 points', () => {
    const n = 100_000
    const x = Array.from({ length: n }, (_, i) => i)
    const built = lineOption({
      indices: x,
      x: { name: 'A', values: x },
      y: { name: 'val', values: x.map((v) => Math.sin(v)) },
      groups: [],
      selected: new Set(),
      palette: LIGHT_PALETTE
    })
    const [series] = built.option.series as {
      large: boolean
      sampling: string
      showSymbol: boolean
      data: unknown[]
    }[]
    expect(series).toMatchObject({ large: true, sampling: 'lttb', showSymbol: false })
    expect(series.data).toHaveLength(n)
  })

  it('averages heatmap cells that hold several runs and says so', () => {
    const built = heatmapOption({
      indices: [0, 1, 2, 3],
      x: { name: 'A', values: [1, 1, 2, 2] },
      y: { name: 'B', values: ['a', 'a', 'a', 'b'] },
      value: { name: 'val', values: [1, 3, 5, 7] },
      palette: LIGHT_PALETTE
    })
    const [series] = built.option.series as { data: number[][] }[]
    expect(series.data.map((d) => d.slice(0, 3))).toEqual([
      [0, 0, 2],
      [1, 0, 5],
      [1, 1, 7]
    ])
    expect(built.notes[0]).toContain('mean')
    expect(built.option.visualMap).toMatchObject({ dimension: 2, min: 2, max: 7 })
  })

  it('bins runtimes at round widths', () => {
    const bins = histogramBins(Array.from({ length: 100 }, (_, i) => i / 100))
    expect(bins.width).toBe(0.1)
    expect(bins.counts.reduce((a, b) => a + b, 0)).toBe(100)
  })

  it('says what to do when no run has a value yet', () => {
    const built = lineOption({
      indices: [0],
      x: { name: 'A', values: [1] },
      y: { name: 'val', values: [null] },
      groups: [],
      selected: new Set(),
      palette: LIGHT_PALETTE
    })
    expect(built.empty).toBe(true)
    expect(built.notes[0]).toContain('Run the batch')
  })
})
