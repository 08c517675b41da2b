import { DesignError } from './design-error'

/** Generators of evenly spaced axis values: ranges by step, linear and logarithmic spaces by count. */

/** The most values a generator returns; a larger axis is almost certainly a typo in its bounds. */
export const MAX_SPACE_VALUES = 10_000_000

/**
 * Values from `start` towards `stop` by `step`, like Python's `range` for decimals: `stop` is excluded
 * unless `inclusive` (default false). Values are computed as `start + i * step` rounded at the decimals of
 * the inputs, so 0.1 steps give 0.1, 0.2, 0.3 (not 0.30000000000000004) and the end point is found
 * reliably (`rangeValues(0, 1, 0.1, true)` ends at 1).
 * @throws DesignError for a non-finite bound or step, a zero step, a step pointing away from `stop`, or
 *   more than MAX_SPACE_VALUES values.
 */
export function rangeValues(start: number, stop: number, step: number, inclusive = false): number[] {
  requireFinite({ start, stop, step }, 'range')
  if (step === 0) throw new DesignError('range: step must not be 0')
  if ((stop - start) * step < 0)
    throw new DesignError(
      `range: step ${step} goes away from stop (start ${start}, stop ${stop}); use a ${step > 0 ? 'negative' : 'positive'} step`
    )
  // A little slack absorbs the rounding of (stop - start) / step, e.g. (1 - 0) / 0.1 = 9.999999999999998.
  const steps = (stop - start) / step
  const slack = 1e-9 * Math.max(1, Math.abs(steps))
  const count = inclusive ? Math.floor(steps + slack) + 1 : Math.max(0, Math.ceil(steps - slack))
  checkCount(count, 'range')
  const scale = 10 ** Math.max(decimals(start), decimals(step))
  const scaledStart = Math.round(start * scale)
  const scaledStep = Math.round(step * scale)
  const exact =
    scale <= 1e15 &&
    Math.abs(scaledStart) + Math.abs(scaledStep) * count < Number.MAX_SAFE_INTEGER &&
    scaledStart / scale === start &&
    scaledStep / scale === step
  const values = new Array<number>(count)
  for (let i = 0; i < count; i++) {
    // Integer arithmetic then one division gives the double nearest the decimal result.
    values[i] = exact ? (scaledStart + i * scaledStep) / scale : start + i * step
  }
  return values
}

/**
 * `count` evenly spaced values from `start` to `stop`, both included (numpy's linspace); one value is `[start]`.
 * @throws DesignError for non-finite bounds, a count that is not a whole number ≥ 1, or above MAX_SPACE_VALUES.
 */
export function linspace(start: number, stop: number, count: number): number[] {
  requireFinite({ start, stop }, 'linspace')
  requireCount(count, 'linspace')
  if (count === 1) return [start]
  const intervals = count - 1
  const values = new Array<number>(count)
  // Multiplying before dividing keeps decimal points exact: linspace(0, 1, 11) gives 0.3, not 0.30000000000000004.
  for (let i = 0; i < count; i++) values[i] = start + ((stop - start) * i) / intervals
  values[intervals] = stop
  return values
}

/**
 * `count` values from `start` to `stop`, both included, evenly spaced on a log scale (numpy's geomspace):
 * `logspace(1, 1000, 4)` gives 1, 10, 100, 1000. `start` and `stop` are the values themselves, not exponents.
 * @throws DesignError when start or stop is not a finite number greater than 0, or for a bad count.
 */
export function logspace(start: number, stop: number, count: number): number[] {
  requireFinite({ start, stop }, 'logspace')
  if (!(start > 0) || !(stop > 0))
    throw new DesignError(
      `logspace: start and stop must both be greater than 0 (they are the first and last values, not exponents); got start ${start}, stop ${stop}`
    )
  requireCount(count, 'logspace')
  if (count === 1) return [start]
  const intervals = count - 1
  const low = Math.log10(start)
  const high = Math.log10(stop)
  const values = new Array<number>(count)
  for (let i = 0; i < count; i++) values[i] = 10 ** (low + ((high - low) * i) / intervals)
  values[0] = start
  values[intervals] = stop
  return values
}

/** Digits after the decimal point in the shortest representation of `value` (1e-7 → 7, 2.5e-3 → 4). */
function decimals(value: number): number {
  const [mantissa, exponent] = String(Math.abs(value)).split('e')
  const dot = mantissa.indexOf('.')
  const fraction = dot < 0 ? 0 : mantissa.length - dot - 1
  return Math.max(0, fraction - Number(exponent ?? 0))
}

function requireFinite(values: Record<string, number>, what: string): void {
  for (const [name, value] of Object.entries(values))
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new DesignError(`${what}: ${name} must be a finite number; got ${String(value)}`)
}

function requireCount(count: number, what: string): void {
  if (!Number.isInteger(count) || count < 1)
    throw new DesignError(`${what}: count must be a whole number of at least 1; got ${String(count)}`)
  checkCount(count, what)
}

function checkCount(count: number, what: string): void {
  if (count > MAX_SPACE_VALUES)
    throw new DesignError(
      `${what}: ${count.toLocaleString('en')} values is more than the ${MAX_SPACE_VALUES.toLocaleString('en')} allowed; check the bounds and step`
    )
}
