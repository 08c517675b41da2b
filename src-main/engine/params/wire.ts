import { FunctionRef } from './function-ref'

/** The wire form of a function-valued parameter: its path, resolved by name in the worker. */
export interface WireFunction {
  $fn: string
}

/**
 * Makes parameters safe to send to a worker: functions and FunctionRefs (anywhere in arrays and plain
 * objects) become `{ $fn: path }`, a real function by its `name`. Everything else passes as is, since
 * structured clone carries typed arrays, Dates, NaN and -0. Containers are copied only when something
 * inside them changed, so plain parameters cost nothing.
 */
export function toWire(params: Record<string, unknown>): Record<string, unknown> {
  return convert(params, toWireLeaf) as Record<string, unknown>
}

/**
 * The reverse of `toWire`: every object that is exactly `{ $fn: <string> }` (that one key, a string value)
 * becomes `resolveFunction(path)`. Errors thrown by `resolveFunction` (an unknown name) propagate.
 */
export function fromWire(
  params: Record<string, unknown>,
  resolveFunction: (path: string) => (...args: any[]) => unknown
): Record<string, unknown> {
  return convert(params, (value) => {
    const path = wireFunctionPath(value)
    return path === undefined ? value : resolveFunction(path)
  }) as Record<string, unknown>
}

function toWireLeaf(value: unknown): unknown {
  if (typeof value === 'function') return { $fn: value.name } satisfies WireFunction
  if (value instanceof FunctionRef) return { $fn: value.path } satisfies WireFunction
  return value
}

function wireFunctionPath(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const fn = (value as { $fn?: unknown }).$fn
  if (typeof fn !== 'string') return undefined
  for (const key in value) if (key !== '$fn') return undefined
  return fn
}

/** Applies `leaf` to every value, descending into arrays and plain objects whose leaf result is themselves. */
function convert(value: unknown, leaf: (value: unknown) => unknown): unknown {
  const replaced = leaf(value)
  if (replaced !== value || typeof value !== 'object' || value === null) return replaced
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined
    for (let i = 0; i < value.length; i++) {
      const item = convert(value[i], leaf)
      if (!Object.is(item, value[i])) {
        copy ??= value.slice()
        copy[i] = item
      }
    }
    return copy ?? value
  }
  const prototype = Object.getPrototypeOf(value)
  if (prototype !== Object.prototype && prototype !== null) return value
  let copy: Record<string, unknown> | undefined
  const record = value as Record<string, unknown>
  for (const key of Object.keys(record)) {
    const item = convert(record[key], leaf)
    if (!Object.is(item, record[key])) {
      copy ??= { ...record }
      copy[key] = item
    }
  }
  return copy ?? value
}
