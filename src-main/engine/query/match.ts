import { FunctionRef } from '../params/function-ref'
import { checkCondition, type Condition, type ConditionOp } from './conditions'

// numpy.isclose defaults: |a - b| <= atol + rtol * |b|.
const RTOL = 1e-5
const ATOL = 1e-8

/**
 * Whether a parameter value meets a test.
 * - `eq`: numbers are equal within numpy's `isclose` (rtol 1e-5, atol 1e-8; NaN equals NaN, as in ids);
 *   arrays, typed arrays and plain objects compare deeply (elementwise isclose); Dates by time; a function
 *   or FunctionRef equals a string that is its name (or its full dotted path) and any function or
 *   FunctionRef of the same name; null equals undefined; anything else must be identical.
 * - `ne`: not `eq`. `in`: `eq` to any element of the target array.
 * - `ge`, `le`, `gt`, `lt`: numbers numerically, strings by UTF-16 code units; false for anything else.
 */
export function matchValue(actual: unknown, op: ConditionOp, target: unknown): boolean {
  switch (op) {
    case 'eq':
      return valuesEqual(actual, target)
    case 'ne':
      return !valuesEqual(actual, target)
    case 'in':
      return Array.isArray(target) && target.some((item) => valuesEqual(actual, item))
    case 'ge':
    case 'le':
    case 'gt':
    case 'lt':
      return compareOrdered(actual, op, target)
  }
}

/**
 * Evaluates a condition once per distinct value of a parameter: `mask[i]` is 1 when `distinctValues[i]`
 * matches. Callers scan runs by their value slot; a run lacking the parameter matches only `ne`, which the
 * caller decides since it is not one of the values.
 * @throws ConditionError for an unknown operator or an `in` whose value is not an array.
 */
export function conditionMask(condition: Condition, distinctValues: unknown[]): Uint8Array {
  checkCondition(condition)
  const mask = new Uint8Array(distinctValues.length)
  for (let i = 0; i < distinctValues.length; i++)
    mask[i] = matchValue(distinctValues[i], condition.op, condition.value) ? 1 : 0
  return mask
}

/**
 * A predicate that is true when a run's parameters meet every condition. A run lacking a parameter
 * matches only an `ne` condition on it. For a few runs; a batch uses `conditionMask` on interned values.
 * @throws ConditionError as conditionMask does.
 */
export function compileConditions(conditions: Condition[]): (params: Record<string, unknown>) => boolean {
  for (const condition of conditions) checkCondition(condition)
  const tests = conditions.slice()
  return (params) => {
    for (const { param, op, value } of tests) {
      if (!Object.hasOwn(params, param)) {
        if (op === 'ne') continue
        return false
      }
      if (!matchValue(params[param], op, value)) return false
    }
    return true
  }
}

function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a === 'number' && typeof b === 'number') return isClose(a, b)
  if (a == null || b == null) return a == null && b == null
  const nameA = nameOf(a)
  const nameB = nameOf(b)
  if (nameA !== undefined || nameB !== undefined) return functionMatches(a, nameA, b, nameB)
  if (typeof a !== 'object' || typeof b !== 'object') return false
  if (a instanceof Date || b instanceof Date)
    return a instanceof Date && b instanceof Date && Object.is(a.getTime(), b.getTime())
  const listA = asList(a)
  const listB = asList(b)
  if (listA || listB) {
    if (!listA || !listB || listA.length !== listB.length) return false
    for (let i = 0; i < listA.length; i++) if (!valuesEqual(listA[i], listB[i])) return false
    return true
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false
  const recordA = a as Record<string, unknown>
  const recordB = b as Record<string, unknown>
  const keys = Object.keys(recordA)
  if (keys.length !== Object.keys(recordB).length) return false
  for (const key of keys)
    if (!Object.hasOwn(recordB, key) || !valuesEqual(recordA[key], recordB[key])) return false
  return true
}

function isClose(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b)
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b
  return Math.abs(a - b) <= ATOL + RTOL * Math.abs(b)
}

function nameOf(value: unknown): string | undefined {
  if (typeof value === 'function') return value.name
  if (value instanceof FunctionRef) return value.name
  return undefined
}

/** A function matches another function of the same name, or a string naming it (`max` or `Math.max`). */
function functionMatches(
  a: unknown,
  nameA: string | undefined,
  b: unknown,
  nameB: string | undefined
): boolean {
  if (nameA !== undefined && nameB !== undefined) return nameA !== '' && nameA === nameB
  const [fn, name, other] = nameA !== undefined ? [a, nameA, b] : [b, nameB!, a]
  if (typeof other !== 'string' || name === '') return false
  return other === name || (fn instanceof FunctionRef && other === fn.path)
}

function asList(value: object): ArrayLike<unknown> | undefined {
  if (Array.isArray(value)) return value
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return value as unknown as ArrayLike<unknown>
  return undefined
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

function compareOrdered(actual: unknown, op: 'ge' | 'le' | 'gt' | 'lt', target: unknown): boolean {
  const bothNumbers = typeof actual === 'number' && typeof target === 'number'
  const bothStrings = typeof actual === 'string' && typeof target === 'string'
  if (!bothNumbers && !bothStrings) return false
  const a = actual as number | string
  const b = target as number | string
  switch (op) {
    case 'ge':
      return a >= b
    case 'le':
      return a <= b
    case 'gt':
      return a > b
    case 'lt':
      return a < b
  }
}
