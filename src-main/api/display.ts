import { FunctionRef } from '../engine/params/function-ref'
import { formatValue } from '../cli/format'
import type { DisplayValue } from '../../src-preload/contract'

/** Arrays longer than this are cut in run details and try-once results. */
export const SUMMARY_ARRAY_ITEMS = 1000
const SUMMARY_DEPTH = 12

/**
 * A value as a table cell: finite numbers, strings and booleans as they are; functions by name; arrays,
 * objects and non-finite numbers as text (the same text the CLI prints).
 */
export function displayValue(value: unknown): DisplayValue {
  if (value === undefined || value === null) return null
  if (typeof value === 'number')
    return Number.isFinite(value) ? (Object.is(value, -0) ? 0 : value) : String(value)
  if (typeof value === 'string' || typeof value === 'boolean') return value
  return formatValue(value)
}

/**
 * Turns a value into plain JSON data that crosses both transports the same way (IPC's structured clone
 * and the WebSocket's JSON): typed arrays become arrays, functions `{ $fn: name }`, dates ISO strings,
 * NaN and ±Infinity the strings "NaN", "Infinity", "-Infinity". Arrays longer than `maxItems` are cut,
 * with a last element saying how many items were left out.
 */
export function plainData(value: unknown, maxItems = Number.POSITIVE_INFINITY, depth = 0): unknown {
  if (value === null || value === undefined) return null
  if (typeof value === 'number')
    return Number.isFinite(value) ? (Object.is(value, -0) ? 0 : value) : String(value)
  if (typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'bigint') return String(value)
  if (value instanceof FunctionRef) return { $fn: value.path }
  if (typeof value === 'function') return { $fn: value.name || 'anonymous' }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()
  if (depth >= SUMMARY_DEPTH) return '…'
  if (ArrayBuffer.isView(value) && !(value instanceof DataView))
    return plainData(Array.from(value as unknown as ArrayLike<number>), maxItems, depth)
  if (Array.isArray(value)) {
    const items = value.slice(0, maxItems).map((item) => plainData(item, maxItems, depth + 1))
    if (value.length > maxItems)
      items.push(`… ${value.length - maxItems} more items (${value.length} in all)`)
    return items
  }
  if (value instanceof Map) return plainData(Object.fromEntries(value), maxItems, depth)
  if (value instanceof Set) return plainData([...value], maxItems, depth)
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value))
      out[key] = plainData((value as Record<string, unknown>)[key], maxItems, depth + 1)
    return out
  }
  return String(value)
}

/** A result for the details panel: plain data with long arrays shortened. */
export function summarizeResult(value: unknown): unknown {
  return plainData(value, SUMMARY_ARRAY_ITEMS)
}

/** A default value as the run class source would write it: `max`, `[1, 2, 3]`, `"text"`. */
export function sourceText(value: unknown): string {
  if (value instanceof FunctionRef) return value.path
  if (typeof value === 'string') return JSON.stringify(value)
  if (value === undefined) return 'undefined'
  const text = JSON.stringify(plainData(value), null, 0)
  return text.replace(/,/g, ', ')
}

/** Numbers of an array-valued field, or undefined when the value is not a list of numbers. */
export function numericArray(value: unknown, maxItems: number): number[] | undefined {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView))
    return Array.from(value as unknown as ArrayLike<number>).slice(0, maxItems)
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'number')) return undefined
  return value.slice(0, maxItems)
}
