/**
 * Which chart fits a sweep. The shape of the charted runs decides: how many parameters actually vary among
 * them (the filter chips fix the others). One varying parameter reads best as a line, two as a heatmap,
 * more as small multiples or parallel coordinates; a scatter of two fields and a runtime histogram always work.
 */

export type ChartKind =
  'line' | 'lines' | 'heatmap' | 'small-multiples' | 'parallel' | 'scatter' | 'curves' | 'histogram'

export type CellValue = number | string | null

/** One parameter among the charted runs, with its distinct values in display order. */
export interface SweepAxis {
  name: string
  values: CellValue[]
  /** Every value is a number (so the axis can be a value axis, log scale possible). */
  numeric: boolean
}

export interface SweepShape {
  /** Parameters with more than one distinct value, in the order given. */
  swept: SweepAxis[]
  /** Parameters with a single value among these runs. */
  fixed: { name: string; value: CellValue }[]
  runs: number
}

/** Distinct values of a column, numbers ascending, then text in first-seen order, null last. */
export function distinctValues(values: readonly CellValue[]): CellValue[] {
  const numbers = new Set<number>()
  const texts = new Set<string>()
  let hasNull = false
  for (const value of values) {
    if (typeof value === 'number') numbers.add(value)
    else if (value === null) hasNull = true
    else texts.add(value)
  }
  const out: CellValue[] = [...numbers].sort((a, b) => a - b)
  for (const t of texts) out.push(t)
  if (hasNull) out.push(null)
  return out
}

/** The shape of a set of runs from their parameter columns. */
export function sweepShape(parameters: { name: string; values: readonly CellValue[] }[]): SweepShape {
  const swept: SweepAxis[] = []
  const fixed: SweepShape['fixed'] = []
  let runs = 0
  for (const column of parameters) {
    runs = Math.max(runs, column.values.length)
    const values = distinctValues(column.values)
    if (values.length > 1)
      swept.push({ name: column.name, values, numeric: values.every((v) => typeof v === 'number') })
    else fixed.push({ name: column.name, value: values[0] ?? null })
  }
  return { swept, fixed, runs }
}

/** Most panels small multiples draw before parallel coordinates read better. */
const MAX_PANELS = 12

/** The chart that fits the shape best, before the user picks another. */
export function chooseChart(shape: SweepShape, options: { arrayField?: boolean } = {}): ChartKind {
  if (options.arrayField) return 'curves'
  const n = shape.swept.length
  if (n === 0) return 'scatter'
  if (n === 1) return 'line'
  if (n === 2) return 'heatmap'
  return panelCount(shape) <= MAX_PANELS ? 'small-multiples' : 'parallel'
}

/** Panels of small multiples: one per combination of the parameters after the first two swept ones. */
export function panelCount(shape: SweepShape): number {
  return shape.swept.slice(2).reduce((total, axis) => total * axis.values.length, 1)
}

export interface ChartChoice {
  kind: ChartKind
  label: string
  /** Why it is not available now (shown as a tooltip); undefined when it is. */
  unavailable?: string
}

const LABELS: Record<ChartKind, string> = {
  line: 'Line',
  lines: 'Lines per value',
  heatmap: 'Heatmap',
  'small-multiples': 'Small multiples',
  parallel: 'Parallel coordinates',
  scatter: 'Scatter',
  curves: 'Array curves',
  histogram: 'Runtime histogram'
}

/** Every chart with whether it fits this shape, for the chart-type picker. */
export function chartChoices(shape: SweepShape, options: { arrayFields?: number } = {}): ChartChoice[] {
  const n = shape.swept.length
  const need = (min: number, what: string) =>
    n >= min
      ? undefined
      : `needs ${what}; ${n === 0 ? 'no parameter varies' : `only ${n} varies`} among these runs`
  return [
    { kind: 'line', label: LABELS.line, unavailable: need(1, 'one parameter that varies') },
    { kind: 'lines', label: LABELS.lines, unavailable: need(2, 'two parameters that vary') },
    { kind: 'heatmap', label: LABELS.heatmap, unavailable: need(2, 'two parameters that vary') },
    {
      kind: 'small-multiples',
      label: LABELS['small-multiples'],
      unavailable:
        need(3, 'three parameters that vary') ??
        (panelCount(shape) > 48
          ? `${panelCount(shape)} panels are too many; fix a parameter with a filter`
          : undefined)
    },
    { kind: 'parallel', label: LABELS.parallel, unavailable: need(2, 'two parameters that vary') },
    { kind: 'scatter', label: LABELS.scatter },
    {
      kind: 'curves',
      label: LABELS.curves,
      unavailable: options.arrayFields === 0 ? 'the results have no array fields' : undefined
    },
    { kind: 'histogram', label: LABELS.histogram }
  ]
}

export function chartLabel(kind: ChartKind): string {
  return LABELS[kind]
}
