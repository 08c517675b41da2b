/**
 * The grid builder's value parsing: what a user types for one parameter becomes the list of values the
 * factorial design sweeps over, plus the JSON the engine stores in the manifest. Pure, so it is tested
 * without a browser and the preview count is instant while typing.
 */

export type ParameterKind =
  'number' | 'string' | 'boolean' | 'array' | 'object' | 'function' | 'null' | 'unknown'

/** How one parameter takes part in a design. */
export type FactorMode = 'default' | 'value' | 'list' | 'range' | 'linspace' | 'logspace' | 'functions'

/** Everything a factor row can hold; only the fields of its mode are read. */
export interface FactorInput {
  mode: FactorMode
  /** `value` mode: one value as typed (JSON or bare text). */
  value: string
  /** `list` mode: comma separated values, a JSON array, or one JSON value per line. */
  list: string
  start: string
  stop: string
  step: string
  /** Whether a range includes its stop value when a step lands on it. */
  inclusive: boolean
  count: string
  /** `functions` mode: the names of the exported functions picked. */
  functions: string[]
}

/** The outcome of parsing one factor. */
export type ParsedFactor =
  { ok: true; values: unknown[]; manifestValue: unknown; swept: boolean } | { ok: false; error: string }

/** A design axis in the manifest's JSON form, as `expandAxis` in the engine reads it. */
export type AxisSpec =
  | unknown[]
  | { $range: [number, number, number]; inclusive?: boolean }
  | { $linspace: [number, number, number] }
  | { $logspace: [number, number, number] }

export function emptyFactorInput(mode: FactorMode = 'default'): FactorInput {
  return {
    mode,
    value: '',
    list: '',
    start: '',
    stop: '',
    step: '',
    inclusive: true,
    count: '',
    functions: []
  }
}

/** Whether a number has float noise worth hiding: `0.1 + 0.2` → 0.3. Rounds to 12 significant digits. */
export function roundFloat(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value
  return Number(value.toPrecision(12))
}

function decimalsOf(value: number): number {
  if (!Number.isFinite(value)) return 0
  const text = String(value)
  const exp = /e-(\d+)$/.exec(text)
  if (exp) {
    const mantissa = text.split('e')[0]
    const dot = mantissa.indexOf('.')
    return Number(exp[1]) + (dot < 0 ? 0 : mantissa.length - dot - 1)
  }
  const dot = text.indexOf('.')
  return dot < 0 ? 0 : text.length - dot - 1
}

/** Most values one axis may produce; beyond this the design is almost certainly a typo (step 0.0001 for 0.1). */
const MAX_AXIS_VALUES = 1_000_000

/**
 * Values of a range from start towards stop by step. Each value is computed as start + i·step and
 * rounded to the decimals the user wrote, so 0.1 + 0.2 shows (and is stored as) 0.3, and the count
 * does not drift by one from accumulated error.
 */
export function rangeValues(start: number, stop: number, step: number, inclusive: boolean): number[] {
  if (!Number.isFinite(start) || !Number.isFinite(stop) || !Number.isFinite(step))
    throw new RangeError('start, stop and step must be numbers')
  if (step === 0) throw new RangeError('the step cannot be 0')
  if ((stop - start) / step < 0)
    throw new RangeError(
      `a step of ${step} never goes from ${start} to ${stop}; ${step > 0 ? 'make the step negative' : 'make the step positive'} or swap start and stop`
    )
  const decimals = Math.min(15, Math.max(decimalsOf(start), decimalsOf(step)))
  const factor = 10 ** decimals
  const at = (i: number) => Math.round((start + i * step) * factor) / factor
  // Tolerance on the division: (0.3 - 0) / 0.1 is 2.9999999999999996, which must count as 3 steps.
  const exact = (stop - start) / step
  let steps = Math.floor(exact + 1e-9)
  if (steps + 1 > MAX_AXIS_VALUES)
    throw new RangeError(`this range has ${(steps + 1).toLocaleString('en-US')} values; use a larger step`)
  const landsOnStop = Math.abs(at(steps) - stop) <= Math.abs(step) * 1e-9
  if (landsOnStop && !inclusive) steps -= 1
  const values: number[] = []
  for (let i = 0; i <= steps; i++) values.push(at(i))
  return values
}

/** `count` evenly spaced values from start to stop, both included. */
export function linspaceValues(start: number, stop: number, count: number): number[] {
  checkCount(count)
  if (!Number.isFinite(start) || !Number.isFinite(stop))
    throw new RangeError('start and stop must be numbers')
  if (count === 1) return [start]
  return Array.from({ length: count }, (_, i) =>
    i === count - 1 ? stop : roundFloat(start + ((stop - start) * i) / (count - 1))
  )
}

/**
 * `count` values spaced evenly on a log scale from start to stop, both included (numpy's geomspace, as
 * the engine expands `$logspace`): 1 to 1000 with 4 values gives 1, 10, 100, 1000.
 */
export function logspaceValues(start: number, stop: number, count: number): number[] {
  checkCount(count)
  if (!(start > 0 && stop > 0))
    throw new RangeError(
      'a log space needs start and stop above 0 (they are the first and last values, e.g. 0.001 to 1000)'
    )
  if (count === 1) return [start]
  const a = Math.log10(start)
  const b = Math.log10(stop)
  return Array.from({ length: count }, (_, i) =>
    i === 0 ? start : i === count - 1 ? stop : roundFloat(10 ** (a + ((b - a) * i) / (count - 1)))
  )
}

function checkCount(count: number): void {
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError('the number of values must be a whole number of at least 1')
  if (count > MAX_AXIS_VALUES)
    throw new RangeError(`at most ${MAX_AXIS_VALUES.toLocaleString('en-US')} values per parameter`)
}

function parseNumber(text: string, label: string): number {
  const trimmed = text.trim()
  if (trimmed === '') throw new RangeError(`enter the ${label}`)
  const value = Number(trimmed)
  if (!Number.isFinite(value)) throw new RangeError(`the ${label} "${trimmed}" is not a number`)
  return value
}

/**
 * One value as typed. JSON when it parses (numbers, arrays, objects, quoted strings, true/false/null);
 * otherwise bare text, which is a string (or a function name for function-valued parameters).
 */
export function parseScalar(text: string, kind: ParameterKind): unknown {
  const trimmed = text.trim()
  if (trimmed === '') throw new RangeError('enter a value')
  let parsed: unknown
  let isJson = true
  try {
    parsed = JSON.parse(trimmed)
  } catch {
    isJson = false
  }
  if (kind === 'array' || kind === 'object') {
    if (!isJson) throw new RangeError(jsonHint(trimmed, kind))
    if (kind === 'array' && !Array.isArray(parsed))
      throw new RangeError(`expected an array such as [1, 2, 3], got ${trimmed}`)
    if (kind === 'object' && (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)))
      throw new RangeError(`expected an object such as {"a": 1}, got ${trimmed}`)
    return parsed
  }
  if (kind === 'number') {
    if (typeof parsed === 'number') return parsed
    throw new RangeError(`"${trimmed}" is not a number`)
  }
  if (kind === 'boolean') {
    if (typeof parsed === 'boolean') return parsed
    throw new RangeError(`"${trimmed}" is not true or false`)
  }
  if (kind === 'string') return isJson && typeof parsed === 'string' ? parsed : trimmed
  if (kind === 'function') return isJson && typeof parsed === 'string' ? parsed : trimmed
  return isJson ? parsed : trimmed
}

/** Says what is wrong with JSON text in words, with the position when JSON.parse gives one. */
function jsonHint(text: string, kind: ParameterKind): string {
  let detail = ''
  try {
    JSON.parse(text)
  } catch (error) {
    const message = String((error as Error).message)
    const position = /position (\d+)/.exec(message)
    detail = position ? ` (problem near character ${Number(position[1]) + 1})` : ''
  }
  const example = kind === 'object' ? '{"a": 1, "b": [2, 3]}' : '[1, 2, 3]'
  return `this is not valid JSON${detail}; write it like ${example} — strings need "double quotes"`
}

/**
 * A list of values. Accepted forms, tried in order:
 * - a JSON array: `[1, 2, 3]`, `["a", "b"]`, `[[2,5,8],[1,9]]` (for array-valued parameters: an array of arrays);
 * - one JSON value per line (handy for arrays and objects);
 * - comma separated values: `1, 2, 3`, `min, max` (bare words are strings).
 */
export function parseList(text: string, kind: ParameterKind): unknown[] {
  const trimmed = text.trim()
  if (trimmed === '') throw new RangeError('enter at least one value, e.g. 1, 2, 3')
  const structured = kind === 'array' || kind === 'object'
  if (trimmed.startsWith('[')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(trimmed)
    } catch {
      parsed = undefined
    }
    if (Array.isArray(parsed)) {
      if (kind === 'array' && parsed.length > 0 && !parsed.every(Array.isArray)) {
        throw new RangeError(
          `each value of this parameter is an array, so a list of them is an array of arrays: write [${trimmed}] for this one array, or one array per line`
        )
      }
      if (parsed.length === 0) throw new RangeError('the list is empty; enter at least one value')
      return parsed.map((value) => checkKind(value, kind))
    }
    if (!structured) throw new RangeError(jsonHint(trimmed, kind))
  }
  if (structured) {
    // Comma separated JSON values: [2,5,8], [1,9]
    let values: unknown
    try {
      values = JSON.parse(`[${trimmed}]`)
    } catch {
      values = undefined
    }
    if (Array.isArray(values) && values.length > 1)
      return values.map((value) => parseScalar(JSON.stringify(value), kind))
    if (!trimmed.includes('\n')) throw new RangeError(jsonHint(trimmed, kind))
  }
  const lines = trimmed
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
  if (structured) {
    return lines.map((line, i) => {
      try {
        return parseScalar(line.replace(/,\s*$/, ''), kind)
      } catch (error) {
        throw new RangeError(`line ${i + 1}: ${(error as Error).message}`)
      }
    })
  }
  const tokens = splitTopLevel(lines.join(','))
  if (tokens.length === 0) throw new RangeError('enter at least one value, e.g. 1, 2, 3')
  return tokens.map((token, i) => {
    try {
      return parseScalar(token, kind)
    } catch (error) {
      throw new RangeError(`value ${i + 1}: ${(error as Error).message}`)
    }
  })
}

function checkKind(value: unknown, kind: ParameterKind): unknown {
  if (kind === 'number' && typeof value !== 'number')
    throw new RangeError(`${JSON.stringify(value)} is not a number`)
  if (kind === 'boolean' && typeof value !== 'boolean')
    throw new RangeError(`${JSON.stringify(value)} is not true or false`)
  if (kind === 'object' && (value === null || typeof value !== 'object' || Array.isArray(value)))
    throw new RangeError(`${JSON.stringify(value)} is not an object`)
  return value
}

/** Splits on commas that are not inside quotes, brackets or braces. */
function splitTopLevel(text: string): string[] {
  const out: string[] = []
  let depth = 0
  let quote = false
  let current = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quote) {
      current += c
      if (c === '\\') current += text[++i] ?? ''
      else if (c === '"') quote = false
      continue
    }
    if (c === '"') quote = true
    if (c === '[' || c === '{') depth++
    if (c === ']' || c === '}') depth--
    if (c === ',' && depth === 0) {
      out.push(current)
      current = ''
      continue
    }
    current += c
  }
  out.push(current)
  return out.map((t) => t.trim()).filter((t) => t !== '')
}

/**
 * Parses one factor row into its values and its manifest form. A parameter left at its default is not
 * part of the grid at all (the engine fills in defaults), so changing the default later changes those runs.
 */
export function parseFactor(input: FactorInput, kind: ParameterKind, defaultValue: unknown): ParsedFactor {
  try {
    switch (input.mode) {
      case 'default':
        return { ok: true, values: [defaultValue], manifestValue: undefined, swept: false }
      case 'value': {
        const value = parseScalar(input.value, kind)
        return { ok: true, values: [value], manifestValue: [value], swept: false }
      }
      case 'list': {
        const values = parseList(input.list, kind)
        const unique = uniqueCount(values)
        if (unique < values.length)
          throw new RangeError(
            `the list repeats a value (${values.length - unique} duplicate${values.length - unique > 1 ? 's' : ''}); each run would be the same`
          )
        return { ok: true, values, manifestValue: values, swept: values.length > 1 }
      }
      case 'range': {
        const start = parseNumber(input.start, 'start')
        const stop = parseNumber(input.stop, 'stop')
        const step = parseNumber(input.step, 'step')
        const values = rangeValues(start, stop, step, input.inclusive)
        if (values.length === 0) throw new RangeError('this range has no values; check start, stop and step')
        const spec: AxisSpec = input.inclusive
          ? { $range: [start, stop, step], inclusive: true }
          : { $range: [start, stop, step] }
        return { ok: true, values, manifestValue: spec, swept: values.length > 1 }
      }
      case 'linspace':
      case 'logspace': {
        const start = parseNumber(input.start, 'start')
        const stop = parseNumber(input.stop, 'stop')
        const count = parseNumber(input.count, 'number of values')
        const values =
          input.mode === 'linspace' ? linspaceValues(start, stop, count) : logspaceValues(start, stop, count)
        const spec: AxisSpec =
          input.mode === 'linspace'
            ? { $linspace: [start, stop, count] }
            : { $logspace: [start, stop, count] }
        return { ok: true, values, manifestValue: spec, swept: values.length > 1 }
      }
      case 'functions': {
        if (input.functions.length === 0) throw new RangeError('tick at least one function')
        return {
          ok: true,
          values: [...input.functions],
          manifestValue: [...input.functions],
          swept: input.functions.length > 1
        }
      }
    }
  } catch (error) {
    return { ok: false, error: (error as Error).message }
  }
}

function uniqueCount(values: unknown[]): number {
  return new Set(values.map((v) => JSON.stringify(v))).size
}

/** Total runs of a factorial design: the product of the axis lengths (an empty grid is one run of defaults). */
export function designSize(factors: ParsedFactor[]): number {
  let total = 1
  for (const factor of factors) if (factor.ok) total *= factor.values.length
  return total
}

/** Above this many new runs the preview warns before running: it usually means a step or a list is wrong. */
export const LARGE_DESIGN_WARNING = 100_000

/**
 * The manifest grid for a set of parsed factors: parameters at their default are left out.
 * Returns the first error (with the parameter's name) when a row does not parse.
 */
export function buildGrid(
  rows: { name: string; parsed: ParsedFactor }[]
): { ok: true; grid: Record<string, unknown> } | { ok: false; error: string; name: string } {
  const grid: Record<string, unknown> = {}
  for (const row of rows) {
    if (!row.parsed.ok) return { ok: false, name: row.name, error: `${row.name}: ${row.parsed.error}` }
    if (row.parsed.manifestValue !== undefined) grid[row.name] = row.parsed.manifestValue
  }
  return { ok: true, grid }
}

/** A short text for a value in the grid's preview chips: numbers without float noise, JSON otherwise. */
export function formatValue(value: unknown, maxLength = 40): string {
  let text: string
  if (typeof value === 'number') text = String(roundFloat(value))
  else if (typeof value === 'string') text = value
  else if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { $fn?: unknown }).$fn === 'string'
  )
    text = (value as { $fn: string }).$fn
  else text = JSON.stringify(value) ?? String(value)
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text
}

/**
 * The row input that describes a saved design axis (`undefined`: the parameter is not in the grid, so it
 * keeps its default), or null when the grid's fields cannot express it. Callers check the round trip
 * with `axisRoundTrips` before trusting it.
 */
export function factorInputFromAxis(axis: unknown, kind: ParameterKind): FactorInput | null {
  if (axis === undefined) return emptyFactorInput()
  if (Array.isArray(axis)) {
    if (axis.length === 0) return null
    if (kind === 'function') {
      if (!axis.every((name) => typeof name === 'string')) return null
      return { ...emptyFactorInput('functions'), functions: [...(axis as string[])] }
    }
    if (axis.length === 1) return { ...emptyFactorInput('value'), value: valueText(axis[0]) }
    const structured = axis.some((value) => value !== null && typeof value === 'object')
    return {
      ...emptyFactorInput('list'),
      // Arrays and objects one per line; plain values comma separated, as people type them.
      list: structured
        ? axis.map((value) => JSON.stringify(value)).join('\n')
        : axis.map(valueText).join(', ')
    }
  }
  if (axis === null || typeof axis !== 'object') return null
  const spec = axis as Record<string, unknown>
  const triple = (key: string): [string, string, string] | null => {
    const numbers = spec[key]
    if (!Array.isArray(numbers) || numbers.length !== 3 || !numbers.every((n) => typeof n === 'number'))
      return null
    return numbers.map((n) => String(n)) as [string, string, string]
  }
  const range = triple('$range')
  if (range) {
    return {
      ...emptyFactorInput('range'),
      start: range[0],
      stop: range[1],
      step: range[2],
      inclusive: spec.inclusive === true
    }
  }
  for (const mode of ['linspace', 'logspace'] as const) {
    const numbers = triple(`$${mode}`)
    if (numbers) return { ...emptyFactorInput(mode), start: numbers[0], stop: numbers[1], count: numbers[2] }
  }
  return null
}

/** A value as typed in a row: strings bare when that reads back the same, everything else as JSON. */
function valueText(value: unknown): string {
  const bare =
    typeof value === 'string' &&
    /^[^\s",[\]{}][^",[\]{}]*$/.test(value) &&
    value.trim() === value &&
    // "true", "12" or "null" typed bare would read back as a boolean, number or null.
    !parsesAsJson(value)
  return bare ? value : JSON.stringify(value)
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/** Whether the row input, parsed again, gives exactly the saved axis. */
export function axisRoundTrips(
  axis: unknown,
  input: FactorInput,
  kind: ParameterKind,
  defaultValue: unknown
): boolean {
  const parsed = parseFactor(input, kind, defaultValue)
  if (!parsed.ok) return false
  return JSON.stringify(parsed.manifestValue) === JSON.stringify(axis)
}
