/**
 * ECharts options for each chart kind, from columns of run data. Pure functions (no chart instance), so
 * the options are tested as data and the component only hands them to vue-echarts.
 *
 * Every data point carries its run index as its last dimension: a click selects that run in the table,
 * and the selected runs are drawn again on top in the accent colour.
 * Large inputs use ECharts' large/progressive modes and LTTB sampling so 100,000 points stay responsive.
 */
import type { EChartsOption } from 'echarts'
import { distinctValues, type CellValue } from './chartChoice'
import { roundFloat } from './gridValues'

export interface ChartPalette {
  text: string
  subtext: string
  axis: string
  split: string
  background: string
  accent: string
  series: string[]
  /** Low → high colours for heatmaps. */
  ramp: string[]
}

export const LIGHT_PALETTE: ChartPalette = {
  text: '#1f2933',
  subtext: '#52606d',
  axis: '#9aa5b1',
  split: '#e4e7eb',
  background: '#ffffff',
  accent: '#2563eb',
  series: [
    '#2563eb',
    '#0f9d8a',
    '#d97706',
    '#9333ea',
    '#dc2626',
    '#0891b2',
    '#65a30d',
    '#db2777',
    '#4b5563',
    '#7c3aed'
  ],
  ramp: ['#eff6ff', '#93c5fd', '#3b82f6', '#1e3a8a']
}

export const DARK_PALETTE: ChartPalette = {
  text: '#e5e9f0',
  subtext: '#a0aec0',
  axis: '#4a5568',
  split: '#2d3748',
  background: '#1a1d23',
  accent: '#60a5fa',
  series: [
    '#60a5fa',
    '#34d399',
    '#fbbf24',
    '#c084fc',
    '#f87171',
    '#22d3ee',
    '#a3e635',
    '#f472b6',
    '#9ca3af',
    '#a78bfa'
  ],
  ramp: ['#1e293b', '#1e40af', '#3b82f6', '#bfdbfe']
}

/** Above this many points a series switches to ECharts' large mode (no per-point hover shapes). */
const LARGE_THRESHOLD = 2000
/** Most lines one chart draws; beyond it the chart says to fix a parameter with a filter chip. */
const MAX_SERIES = 24

export interface Column {
  name: string
  values: readonly CellValue[]
}

export interface BuiltChart {
  option: EChartsOption
  /** Something the user should know (lines left out, cells averaged, nothing to draw and why). */
  notes: string[]
  /** True when there is nothing to draw; `notes` says why. */
  empty: boolean
}

function baseOption(palette: ChartPalette): EChartsOption {
  return {
    backgroundColor: palette.background,
    color: palette.series,
    animation: false,
    textStyle: { color: palette.text, fontFamily: 'Inter, "Segoe UI", system-ui, sans-serif' },
    tooltip: { trigger: 'item', confine: true },
    toolbox: { show: false }
  }
}

function axisStyle(palette: ChartPalette, name: string, type: 'value' | 'category' | 'log', data?: string[]) {
  return {
    type,
    name,
    nameLocation: 'middle' as const,
    nameGap: type === 'category' ? 28 : 36,
    nameTextStyle: { color: palette.subtext, fontWeight: 600 as const },
    data,
    scale: type === 'value',
    axisLine: { lineStyle: { color: palette.axis } },
    axisLabel: { color: palette.subtext, hideOverlap: true },
    splitLine: { show: type !== 'category', lineStyle: { color: palette.split } }
  }
}

/** Three significant digits for labels inside small cells: 31.37597 → 31.4, 0.004512 → 0.00451. */
function shortNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  if (value !== 0 && (Math.abs(value) >= 1e6 || Math.abs(value) < 1e-3)) return value.toExponential(2)
  return String(Number(value.toPrecision(3)))
}

function num(value: CellValue): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

function label(value: CellValue): string {
  if (value === null) return '(none)'
  return typeof value === 'number' ? String(roundFloat(value)) : value
}

function groupKey(groups: Column[], row: number): string {
  return groups.map((g) => `${g.name} = ${label(g.values[row])}`).join(', ')
}

/** Splits rows into series by the values of the grouping columns, in the order of their distinct values. */
function groupRows(groups: Column[], rows: number): Map<string, number[]> {
  const order = new Map<string, number[]>()
  if (groups.length === 0) {
    order.set(
      '',
      Array.from({ length: rows }, (_, i) => i)
    )
    return order
  }
  // Sort keys by the distinct-value order of each group column, so legends read 1, 2, 10 and not 1, 10, 2.
  const ranks = groups.map((g) => new Map(distinctValues(g.values).map((v, i) => [v, i])))
  const keyed: { key: string; rank: number[]; row: number }[] = []
  for (let row = 0; row < rows; row++)
    keyed.push({
      key: groupKey(groups, row),
      rank: groups.map((g, i) => ranks[i].get(g.values[row]) ?? 0),
      row
    })
  keyed.sort((a, b) => {
    for (let i = 0; i < a.rank.length; i++) if (a.rank[i] !== b.rank[i]) return a.rank[i] - b.rank[i]
    return 0
  })
  for (const { key, row } of keyed) {
    let list = order.get(key)
    if (!list) order.set(key, (list = []))
    list.push(row)
  }
  return order
}

export interface LineInput {
  indices: readonly number[]
  x: Column
  y: Column
  /** Parameters that split the runs into one line each (the other swept parameters). */
  groups: Column[]
  selected: ReadonlySet<number>
  palette: ChartPalette
  logX?: boolean
}

/** Result field against one swept parameter; one line per combination of the other varying parameters. */
export function lineOption(input: LineInput): BuiltChart {
  const { x, y, groups, indices, palette } = input
  const notes: string[] = []
  const numericX = x.values.every((v) => v === null || typeof v === 'number')
  const categories = numericX ? undefined : distinctValues(x.values).map(label)
  const categoryIndex = categories ? new Map(categories.map((c, i) => [c, i])) : undefined
  const grouped = groupRows(groups, indices.length)
  if (grouped.size > MAX_SERIES)
    notes.push(
      `Showing ${MAX_SERIES} of ${grouped.size} lines; add a filter such as ${groups[0]?.name ?? 'a parameter'} = … to see the others.`
    )
  const series: NonNullable<EChartsOption['series']> = []
  let points = 0
  let missing = 0
  for (const [key, rows] of [...grouped].slice(0, MAX_SERIES)) {
    const data: [number | string, number, number][] = []
    for (const row of rows) {
      const yValue = num(y.values[row])
      const xValue = numericX ? num(x.values[row]) : label(x.values[row])
      if (yValue === null || xValue === null) {
        missing++
        continue
      }
      data.push([
        categoryIndex ? (categoryIndex.get(xValue as string) as number) : (xValue as number),
        yValue,
        indices[row]
      ])
    }
    data.sort((a, b) => (a[0] as number) - (b[0] as number))
    points += data.length
    const large = data.length > LARGE_THRESHOLD
    series.push({
      type: 'line',
      name: key || y.name,
      data,
      showSymbol: !large && data.length <= 200,
      symbolSize: 6,
      sampling: 'lttb',
      large,
      progressive: large ? 5000 : 0,
      progressiveThreshold: 10_000,
      lineStyle: { width: 2 },
      emphasis: { focus: 'series' }
    } as never)
  }
  series.push(selectionSeries(input.selected, series, palette))
  if (missing > 0)
    notes.push(
      `${missing.toLocaleString('en-US')} run${missing > 1 ? 's have' : ' has'} no numeric ${y.name} yet (not run, failed, or not a number) and ${missing > 1 ? 'are' : 'is'} left out.`
    )
  return {
    empty: points === 0,
    notes:
      points === 0
        ? [`No run has a numeric value for ${y.name} yet. Run the batch, or pick another result field.`]
        : notes,
    option: {
      ...baseOption(palette),
      grid: { left: 64, right: grouped.size > 1 ? 180 : 24, top: 24, bottom: 56 },
      legend:
        grouped.size > 1
          ? {
              type: 'scroll',
              orient: 'vertical',
              right: 8,
              top: 24,
              textStyle: { color: palette.subtext },
              data: [...grouped.keys()].slice(0, MAX_SERIES)
            }
          : { show: false },
      tooltip: { trigger: 'axis', confine: true, axisPointer: { type: 'line' } },
      xAxis: {
        ...axisStyle(palette, x.name, categories ? 'category' : input.logX ? 'log' : 'value', categories),
        minInterval: !categories && x.values.every((v) => v === null || Number.isInteger(v)) ? 1 : undefined
      },
      yAxis: axisStyle(palette, y.name, 'value'),
      dataZoom: [{ type: 'inside', xAxisIndex: 0 }],
      series
    }
  }
}

/** The selected runs drawn again on top in the accent colour, so table and chart show one selection. */
function selectionSeries(
  selected: ReadonlySet<number>,
  series: NonNullable<EChartsOption['series']>,
  palette: ChartPalette
): never {
  const points: unknown[] = []
  if (selected.size > 0) {
    for (const s of series as { data?: unknown[] }[]) {
      for (const point of s.data ?? []) {
        const p = point as number[]
        if (selected.has(p[p.length - 1])) points.push(p)
      }
    }
  }
  return {
    type: 'scatter',
    name: 'Selected',
    data: points,
    symbolSize: 12,
    itemStyle: { color: palette.accent, borderColor: palette.background, borderWidth: 2 },
    z: 10,
    silent: false,
    tooltip: { show: true }
  } as never
}

export interface HeatmapInput {
  indices: readonly number[]
  x: Column
  y: Column
  value: Column
  palette: ChartPalette
}

/** Result field over two swept parameters; cells with several runs (other parameters varying) show the mean. */
export function heatmapOption(input: HeatmapInput): BuiltChart {
  const { x, y, value, palette, indices } = input
  const xs = distinctValues(x.values)
  const ys = distinctValues(y.values)
  const xi = new Map(xs.map((v, i) => [v, i]))
  const yi = new Map(ys.map((v, i) => [v, i]))
  const sums = new Map<number, { sum: number; n: number; index: number }>()
  for (let row = 0; row < indices.length; row++) {
    const v = num(value.values[row])
    if (v === null) continue
    const key = (xi.get(x.values[row]) as number) * ys.length + (yi.get(y.values[row]) as number)
    const cell = sums.get(key)
    if (cell) {
      cell.sum += v
      cell.n++
    } else sums.set(key, { sum: v, n: 1, index: indices[row] })
  }
  const data: [number, number, number, number][] = []
  let min = Infinity
  let max = -Infinity
  let averaged = 0
  for (const [key, cell] of sums) {
    const mean = cell.sum / cell.n
    if (cell.n > 1) averaged++
    min = Math.min(min, mean)
    max = Math.max(max, mean)
    data.push([Math.floor(key / ys.length), key % ys.length, roundFloat(mean), cell.index])
  }
  const notes: string[] = []
  if (averaged > 0)
    notes.push(
      `${averaged} cell${averaged > 1 ? 's hold' : ' holds'} several runs (other parameters vary) and show${averaged > 1 ? '' : 's'} their mean; fix the others with filter chips to see single runs.`
    )
  if (data.length === 0)
    notes.push(
      `No run has a numeric value for ${value.name} yet. Run the batch, or pick another result field.`
    )
  return {
    empty: data.length === 0,
    notes,
    option: {
      ...baseOption(palette),
      grid: { left: 88, right: 96, top: 24, bottom: 56 },
      xAxis: { ...axisStyle(palette, x.name, 'category', xs.map(label)), splitArea: { show: false } },
      yAxis: { ...axisStyle(palette, y.name, 'category', ys.map(label)), nameGap: 64 },
      visualMap: {
        // Colour by the value (dimension 2), not by the run index that rides along as the last dimension.
        dimension: 2,
        min: Number.isFinite(min) ? min : 0,
        max: Number.isFinite(max) ? (max === min ? min + 1 : max) : 1,
        calculable: true,
        orient: 'vertical',
        right: 8,
        top: 'middle',
        text: [value.name, ''],
        textStyle: { color: palette.subtext },
        inRange: { color: palette.ramp }
      },
      tooltip: { trigger: 'item', confine: true },
      series: [
        {
          type: 'heatmap',
          name: value.name,
          data,
          // Labels only where a cell is wide enough to hold three significant digits.
          label: {
            show: xs.length <= 16 && ys.length <= 24,
            color: palette.text,
            fontSize: 11,
            formatter: ((p: { data: number[] }) => shortNumber(p.data[2])) as never
          },
          progressive: 5000,
          emphasis: { itemStyle: { borderColor: palette.accent, borderWidth: 2 } }
        } as never
      ]
    }
  }
}

export interface ScatterInput {
  indices: readonly number[]
  x: Column
  y: Column
  selected: ReadonlySet<number>
  palette: ChartPalette
}

/** Any two numeric fields against each other (parameters, results or runtime). */
export function scatterOption(input: ScatterInput): BuiltChart {
  const { x, y, indices, palette } = input
  const data: [number, number, number][] = []
  for (let row = 0; row < indices.length; row++) {
    const a = num(x.values[row])
    const b = num(y.values[row])
    if (a !== null && b !== null) data.push([a, b, indices[row]])
  }
  const large = data.length > LARGE_THRESHOLD
  const series: NonNullable<EChartsOption['series']> = [
    {
      type: 'scatter',
      name: `${y.name} vs ${x.name}`,
      data,
      symbolSize: large ? 3 : 7,
      large,
      largeThreshold: LARGE_THRESHOLD,
      progressive: large ? 5000 : 0,
      itemStyle: { opacity: large ? 0.6 : 0.85 }
    } as never
  ]
  series.push(selectionSeries(input.selected, series, palette))
  return {
    empty: data.length === 0,
    notes:
      data.length === 0
        ? [
            `No run has numbers for both ${x.name} and ${y.name}. Pick two numeric fields, or run the batch first.`
          ]
        : [],
    option: {
      ...baseOption(palette),
      grid: { left: 64, right: 24, top: 24, bottom: 56 },
      xAxis: axisStyle(palette, x.name, 'value'),
      yAxis: axisStyle(palette, y.name, 'value'),
      dataZoom: [
        { type: 'inside', xAxisIndex: 0 },
        { type: 'inside', yAxisIndex: 0 }
      ],
      series
    }
  }
}

export interface ParallelInput {
  indices: readonly number[]
  dimensions: Column[]
  palette: ChartPalette
  /** Colour lines by this dimension's value (usually the result field). */
  colorBy?: number
}

/** One vertical axis per swept parameter and the result field; one polyline per run. */
export function parallelOption(input: ParallelInput): BuiltChart {
  const { dimensions, indices, palette } = input
  const axes = dimensions.map((dim, i) => {
    const numeric = dim.values.every((v) => v === null || typeof v === 'number')
    return {
      dim: i,
      name: dim.name,
      type: numeric ? ('value' as const) : ('category' as const),
      data: numeric ? undefined : distinctValues(dim.values).map(label),
      scale: true
    }
  })
  const data: (number | string)[][] = []
  for (let row = 0; row < indices.length; row++) {
    const line: (number | string)[] = []
    let ok = true
    for (const [i, dim] of dimensions.entries()) {
      const value = dim.values[row]
      if (axes[i].type === 'value') {
        const n = num(value)
        if (n === null) {
          ok = false
          break
        }
        line.push(n)
      } else line.push(label(value))
    }
    if (ok) data.push([...line, indices[row]])
  }
  const colorBy = input.colorBy ?? dimensions.length - 1
  const colorValues = data.map((d) => d[colorBy]).filter((v): v is number => typeof v === 'number')
  return {
    empty: data.length === 0,
    notes: data.length === 0 ? ['No run has values for every axis yet. Run the batch first.'] : [],
    option: {
      ...baseOption(palette),
      parallel: {
        left: 64,
        right: 96,
        top: 48,
        bottom: 32,
        parallelAxisDefault: {
          nameTextStyle: { color: palette.text, fontWeight: 600 },
          axisLine: { lineStyle: { color: palette.axis } },
          axisLabel: { color: palette.subtext }
        }
      },
      parallelAxis: axes,
      visualMap: colorValues.length
        ? {
            dimension: colorBy,
            min: Math.min(...colorValues),
            max:
              Math.max(...colorValues) === Math.min(...colorValues)
                ? Math.min(...colorValues) + 1
                : Math.max(...colorValues),
            right: 8,
            top: 'middle',
            calculable: true,
            inRange: { color: palette.ramp.slice(1) },
            textStyle: { color: palette.subtext }
          }
        : undefined,
      series: [
        {
          type: 'parallel',
          data,
          lineStyle: { width: 1, opacity: data.length > 2000 ? 0.15 : 0.5 },
          progressive: 1000,
          smooth: false
        } as never
      ]
    }
  }
}

export interface SmallMultiplesInput {
  indices: readonly number[]
  x: Column
  /** One line per value of this parameter inside each panel. */
  line: Column | undefined
  /** One panel per combination of these parameters. */
  panels: Column[]
  y: Column
  palette: ChartPalette
  /** Pixel size of the chart area, to lay panels out in a grid. */
  width: number
  height: number
}

/** A small line chart per combination of the parameters beyond the first two, sharing the y scale. */
export function smallMultiplesOption(input: SmallMultiplesInput): BuiltChart {
  const { x, y, panels, indices, palette } = input
  const byPanel = groupRows(panels, indices.length)
  const keys = [...byPanel.keys()].slice(0, 48)
  const columns = Math.ceil(Math.sqrt((keys.length * input.width) / Math.max(1, input.height)))
  const rowsOfPanels = Math.ceil(keys.length / columns)
  const numericX = x.values.every((v) => v === null || typeof v === 'number')
  const categories = numericX ? undefined : distinctValues(x.values).map(label)
  const catIndex = categories ? new Map(categories.map((c, i) => [c, i])) : undefined
  const grids: object[] = []
  const xAxes: object[] = []
  const yAxes: object[] = []
  const titles: object[] = []
  const series: object[] = []
  let yMin = Infinity
  let yMax = -Infinity
  const lineValues = input.line ? distinctValues(input.line.values) : [null]
  for (const [p, key] of keys.entries()) {
    const col = p % columns
    const row = Math.floor(p / columns)
    const left = (col / columns) * 100
    const top = (row / rowsOfPanels) * 100
    grids.push({
      left: `${left + 4}%`,
      top: `${top + 6}%`,
      width: `${100 / columns - 6}%`,
      height: `${100 / rowsOfPanels - 13}%`,
      containLabel: false
    })
    titles.push({
      text: key,
      left: `${left + 4}%`,
      top: `${top + 0.5}%`,
      textStyle: { fontSize: 11, fontWeight: 500, color: palette.subtext }
    })
    xAxes.push({
      ...axisStyle(palette, '', categories ? 'category' : 'value', categories),
      gridIndex: p,
      nameGap: 0,
      axisLabel: { color: palette.subtext, fontSize: 10, hideOverlap: true }
    })
    yAxes.push({
      ...axisStyle(palette, '', 'value'),
      gridIndex: p,
      axisLabel: { color: palette.subtext, fontSize: 10, hideOverlap: true }
    })
    const rows = byPanel.get(key) as number[]
    for (const [l, lineValue] of lineValues.entries()) {
      const data: [number, number, number][] = []
      for (const r of rows) {
        if (input.line && input.line.values[r] !== lineValue) continue
        const yv = num(y.values[r])
        const xv = catIndex ? (catIndex.get(label(x.values[r])) ?? null) : num(x.values[r])
        if (yv === null || xv === null) continue
        yMin = Math.min(yMin, yv)
        yMax = Math.max(yMax, yv)
        data.push([xv, yv, indices[r]])
      }
      data.sort((a, b) => a[0] - b[0])
      series.push({
        type: 'line',
        name: input.line ? `${input.line.name} = ${label(lineValue)}` : y.name,
        xAxisIndex: p,
        yAxisIndex: p,
        data,
        showSymbol: data.length <= 30,
        symbolSize: 4,
        sampling: 'lttb',
        color: palette.series[l % palette.series.length]
      })
    }
  }
  if (Number.isFinite(yMin))
    for (const axis of yAxes as { min?: number; max?: number }[])
      Object.assign(axis, { min: yMin, max: yMax, scale: false })
  const notes: string[] = []
  if (byPanel.size > keys.length)
    notes.push(`Showing ${keys.length} of ${byPanel.size} panels; add a filter chip to fix a parameter.`)
  notes.push(
    `Panels: ${panels.map((c) => c.name).join(' × ')}; x: ${x.name}${input.line ? `; lines: ${input.line.name}` : ''}; y: ${y.name} (same scale in every panel).`
  )
  return {
    empty: !Number.isFinite(yMin),
    notes: Number.isFinite(yMin)
      ? notes
      : [`No run has a numeric value for ${y.name} yet. Run the batch, or pick another result field.`],
    option: {
      ...baseOption(palette),
      tooltip: { trigger: 'item', confine: true },
      legend: input.line
        ? {
            type: 'scroll',
            bottom: 0,
            textStyle: { color: palette.subtext },
            data: lineValues.map((v) => `${input.line!.name} = ${label(v)}`)
          }
        : { show: false },
      title: titles as never,
      grid: grids as never,
      xAxis: xAxes as never,
      yAxis: yAxes as never,
      series: series as never
    }
  }
}

export interface CurvesInput {
  field: string
  /** Another array field of the same runs for the x axis (y against x); undefined: the position. */
  against?: { field: string; series: Map<number, number[] | null> }
  series: { index: number; id: string; values: number[] | null; label: string }[]
  palette: ChartPalette
}

/** Array-valued result fields as curves against their position, one per selected run, overlaid. */
export function curvesOption(input: CurvesInput): BuiltChart {
  const drawn = input.series.filter((s) => s.values && s.values.length > 0)
  const notes: string[] = []
  const missing = input.series.length - drawn.length
  if (missing > 0)
    notes.push(
      `${missing} selected run${missing > 1 ? 's have' : ' has'} no array ${input.field} (not done yet, or the field is not an array).`
    )
  if (input.series.length === 0)
    notes.push(
      `Select runs in the table (or click points) to draw their ${input.field} curves; up to 50 at once.`
    )
  return {
    empty: drawn.length === 0,
    notes,
    option: {
      ...baseOption(input.palette),
      grid: { left: 64, right: drawn.length > 1 ? 200 : 24, top: 24, bottom: 56 },
      legend:
        drawn.length > 1
          ? {
              type: 'scroll',
              orient: 'vertical',
              right: 8,
              top: 24,
              textStyle: { color: input.palette.subtext }
            }
          : { show: false },
      tooltip: { trigger: 'axis', confine: true },
      xAxis: axisStyle(
        input.palette,
        input.against ? input.against.field : `position in ${input.field}`,
        'value'
      ),
      yAxis: axisStyle(input.palette, input.field, 'value'),
      dataZoom: [{ type: 'inside', xAxisIndex: 0 }],
      series: drawn.map((s) => {
        const values = s.values as number[]
        const large = values.length > LARGE_THRESHOLD
        return {
          type: 'line',
          name: s.label,
          data: curvePoints(values, input.against?.series.get(s.index) ?? null, Boolean(input.against)),
          showSymbol: false,
          sampling: 'lttb',
          large,
          progressive: large ? 5000 : 0
        } as never
      })
    }
  }
}

/** Points of one curve: against the other array when there is one of the same length, else the position. */
function curvePoints(values: number[], xs: number[] | null, paired: boolean): [number, number][] {
  if (paired && xs) {
    const n = Math.min(values.length, xs.length)
    return Array.from({ length: n }, (_, i) => [xs[i], values[i]])
  }
  return values.map((v, i) => [i, v])
}

/** Bins for a histogram: about √n bins (10 to 60), edges at round numbers when possible. */
export function histogramBins(values: readonly number[]): { start: number; width: number; counts: number[] } {
  const finite = values.filter((v) => Number.isFinite(v))
  if (finite.length === 0) return { start: 0, width: 1, counts: [] }
  let min = Infinity
  let max = -Infinity
  for (const v of finite) {
    if (v < min) min = v
    if (v > max) max = v
  }
  const bins = Math.max(10, Math.min(60, Math.round(Math.sqrt(finite.length))))
  if (max === min)
    return { start: min, width: min === 0 ? 1 : Math.abs(min) / 10 || 1, counts: [finite.length] }
  const rough = (max - min) / bins
  const magnitude = 10 ** Math.floor(Math.log10(rough))
  const width = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((w) => w >= rough) ?? rough
  const start = Math.floor(min / width) * width
  const n = Math.max(1, Math.ceil((max - start) / width + 1e-9))
  const counts = new Array<number>(n + 1).fill(0)
  for (const v of finite) counts[Math.min(n, Math.floor((v - start) / width + 1e-9))]++
  if (counts[n] === 0) counts.pop()
  return { start, width, counts }
}

/** How long runs take: a histogram of runtimes in seconds. */
export function histogramOption(values: readonly number[], palette: ChartPalette, unit = 's'): BuiltChart {
  const { start, width, counts } = histogramBins(values)
  const data = counts.map((count, i) => [
    roundFloat(start + i * width),
    roundFloat(start + (i + 1) * width),
    count
  ])
  return {
    empty: counts.length === 0,
    notes:
      counts.length === 0
        ? ['No stored runtimes yet: run the batch, and the runtime of each run shows up here.']
        : [],
    option: {
      ...baseOption(palette),
      grid: { left: 64, right: 24, top: 24, bottom: 56 },
      tooltip: {
        trigger: 'item',
        confine: true,
        formatter: ((p: { data: number[] }) =>
          `${p.data[0]}–${p.data[1]} ${unit}: ${p.data[2]} runs`) as never
      },
      xAxis: axisStyle(palette, `runtime (${unit})`, 'value'),
      yAxis: axisStyle(palette, 'runs', 'value'),
      series: [
        {
          type: 'custom',
          name: 'runs',
          data,
          renderItem: ((
            _params: unknown,
            api: { value(i: number): number; coord(p: number[]): number[] }
          ) => {
            const a = api.coord([api.value(0), api.value(2)])
            const b = api.coord([api.value(1), 0])
            return {
              type: 'rect',
              shape: { x: a[0] + 0.5, y: a[1], width: Math.max(1, b[0] - a[0] - 1), height: b[1] - a[1] },
              style: { fill: palette.accent }
            }
          }) as never,
          encode: { x: [0, 1], y: 2 }
        } as never
      ]
    }
  }
}
