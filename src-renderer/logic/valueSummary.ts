/** Short descriptions of result values for the details panel: a big array reads as its size and range. */
import { formatCell } from './format'
import { roundFloat } from './gridValues'

/** Arrays longer than this are summarised instead of listed in full. */
export const ARRAY_PREVIEW = 20

/** "array of 1,000 numbers, 0.01 … 9.98" or "object with 3 fields". */
export function summarize(value: unknown): string {
  if (Array.isArray(value)) {
    const numbers = value.filter((v): v is number => typeof v === 'number')
    if (value.length > 0 && numbers.length === value.length) {
      let min = Infinity
      let max = -Infinity
      for (const n of numbers) {
        if (n < min) min = n
        if (n > max) max = n
      }
      return `${value.length.toLocaleString('en-US')} numbers, ${roundFloat(min)} … ${roundFloat(max)}`
    }
    return `${value.length.toLocaleString('en-US')} item${value.length === 1 ? '' : 's'}`
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value)
    return `${keys.length} field${keys.length === 1 ? '' : 's'}`
  }
  return formatCell(value, 200)
}

/** Whether a value is shown as a foldable node (arrays and objects) rather than a single line. */
export function isBranch(value: unknown): value is object {
  return (
    value !== null &&
    typeof value === 'object' &&
    (!Array.isArray(value) || value.length > 0) &&
    (Array.isArray(value) || Object.keys(value).length > 0)
  )
}
