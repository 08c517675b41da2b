import * as acorn from 'acorn'
import { functionName } from '../params/function-ref'
import { literalValue, NotALiteralError } from '../params/literal-value'

/** A comparison operator; `eq` compares numbers within numpy's `isclose` tolerance (see match.ts). */
export type ConditionOp = 'eq' | 'ne' | 'ge' | 'le' | 'gt' | 'lt' | 'in'

/** One test on one parameter, as in batchpy's `get_runs_with(A__ge=3)`. `in` takes an array of values. */
export interface Condition {
  param: string
  op: ConditionOp
  value: unknown
}

/** Thrown for a condition that cannot be read; the message quotes it and says what was expected. */
export class ConditionError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConditionError'
  }
}

const OPS: readonly ConditionOp[] = ['eq', 'ne', 'ge', 'le', 'gt', 'lt', 'in']
const SYMBOL_OF: Record<ConditionOp, string> = {
  eq: '=',
  ne: '!=',
  ge: '>=',
  le: '<=',
  gt: '>',
  lt: '<',
  in: 'in'
}
const OP_OF_SYMBOL: Record<string, ConditionOp> = {
  '=': 'eq',
  '==': 'eq',
  '!=': 'ne',
  '>=': 'ge',
  '<=': 'le',
  '>': 'gt',
  '<': 'lt',
  in: 'in'
}
const SUFFIX = /^(.+?)__(eq|ne|ge|le|gt|lt|in)$/
const BARE_WORD = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i
const NAME = /^[A-Za-z_$][\w$]*/
const CONDITION_EXAMPLE =
  'a condition such as `A >= 3`, `B = [2, 5, 8]`, `operator != max` or `name in ["a", "b"]`'

/**
 * Conditions from batchpy-style keyword arguments: `{ A__ge: 3, B: [2, 5, 8], operator: 'max' }`.
 * A name without suffix (or with `__eq`) tests equality; the suffixes are `__ne`, `__ge`, `__le`, `__gt`,
 * `__lt` and `__in`.
 * @throws ConditionError when an `__in` value is not an array.
 */
export function conditionsFromKwargs(kwargs: Record<string, unknown>): Condition[] {
  return Object.entries(kwargs).map(([key, value]) => {
    const suffixed = SUFFIX.exec(key)
    const condition: Condition = suffixed
      ? { param: suffixed[1], op: suffixed[2] as ConditionOp, value }
      : { param: key, op: 'eq', value }
    checkCondition(condition, `'${key}'`)
    return condition
  })
}

/**
 * Reads a condition typed in the CLI or the UI: `A>=3`, `A >= 3`, `B=[2,5,8]`, `B == [2,5,8]`,
 * `operator=min`, `operator != max`, `x<1e-3`, `name in ["a","b"]`, `A__ge=3`, `"odd name" = 1`.
 * The value is read as JSON; failing that, a bare word (`min`, `Math.max`) is a string, a JavaScript
 * number (`.5`, `NaN`, `-Infinity`) a number, and a JavaScript literal (`['a', 'b']`) its value.
 * @throws ConditionError quoting the text and saying what was expected.
 */
export function parseCondition(text: string): Condition {
  const source = text.trim()
  const { name, rest } = splitName(source, text)
  const opMatch = /^(==|=|!=|>=|<=|>|<|in(?![\w$]))/.exec(rest)
  if (!opMatch) {
    throw new ConditionError(
      `expected an operator (=, ==, !=, >=, <=, >, < or in) after '${name}' in ${quote(text)}; write ${CONDITION_EXAMPLE}`
    )
  }
  let param = name
  let op = OP_OF_SYMBOL[opMatch[1]]
  const suffixed = SUFFIX.exec(name)
  if (suffixed && op === 'eq') {
    param = suffixed[1]
    op = suffixed[2] as ConditionOp
  }
  const valueText = rest.slice(opMatch[1].length).trim()
  if (!valueText) throw new ConditionError(`expected a value after '${opMatch[1]}' in ${quote(text)}`)
  const condition: Condition = { param, op, value: parseValue(valueText, text) }
  checkCondition(condition, quote(text))
  return condition
}

/**
 * Writes a condition back as text that `parseCondition` reads again: `A >= 3`, `operator = max`,
 * `B = [2, 5, 8]`, `name in ["a", "b"]`. Functions are written by name.
 */
export function formatCondition(condition: Condition): string {
  const name =
    NAME.exec(condition.param)?.[0] === condition.param ? condition.param : JSON.stringify(condition.param)
  return `${name} ${SYMBOL_OF[condition.op]} ${formatValue(condition.value, true)}`
}

/**
 * Checks that a condition is well formed (a known operator, an array for `in`).
 * @param where how the condition is named in the error.
 * @throws ConditionError
 */
export function checkCondition(condition: Condition, where = `on '${condition.param}'`): void {
  if (!OPS.includes(condition.op))
    throw new ConditionError(
      `unknown operator '${String(condition.op)}' in condition ${where}; expected one of ${OPS.join(', ')}`
    )
  if (condition.op === 'in' && !Array.isArray(condition.value))
    throw new ConditionError(`condition ${where} uses 'in' and needs a list of values, such as [1, 2, 3]`)
}

function splitName(source: string, text: string): { name: string; rest: string } {
  if (source.startsWith('"')) {
    const end = closingQuote(source)
    if (end > 0) {
      try {
        return {
          name: JSON.parse(source.slice(0, end + 1)) as string,
          rest: source.slice(end + 1).trimStart()
        }
      } catch {
        // reported below as a missing name
      }
    }
  }
  const name = NAME.exec(source)?.[0]
  if (!name)
    throw new ConditionError(
      `expected a parameter name at the start of ${quote(text)}; write ${CONDITION_EXAMPLE}`
    )
  return { name, rest: source.slice(name.length).trimStart() }
}

function closingQuote(source: string): number {
  for (let i = 1; i < source.length; i++) {
    if (source[i] === '\\') i++
    else if (source[i] === '"') return i
  }
  return -1
}

function parseValue(valueText: string, text: string): unknown {
  try {
    return JSON.parse(valueText)
  } catch {
    // not JSON: try the friendlier forms below
  }
  if (NUMBER.test(valueText)) return Number(valueText)
  if (
    valueText === 'NaN' ||
    valueText === 'Infinity' ||
    valueText === '-Infinity' ||
    valueText === '+Infinity'
  )
    return Number(valueText)
  if (BARE_WORD.test(valueText)) return valueText === 'undefined' ? undefined : valueText
  try {
    const node = acorn.parseExpressionAt(valueText, 0, { ecmaVersion: 'latest' })
    if (node.end === valueText.length) return literalValue(node)
  } catch (error) {
    if (error instanceof NotALiteralError)
      throw new ConditionError(
        `the value in ${quote(text)} is ${error.description}; expected a literal value`
      )
  }
  throw new ConditionError(
    `cannot read the value \`${valueText}\` in ${quote(text)}; expected JSON (3, "text", [2, 5, 8]) or a bare word (max)`
  )
}

function formatValue(value: unknown, top: boolean): string {
  const fnName = functionName(value)
  if (fnName !== undefined) return fnName
  switch (typeof value) {
    case 'number':
      return String(value)
    case 'string':
      return top && BARE_WORD.test(value) && !isReservedWord(value) ? value : JSON.stringify(value)
    case 'undefined':
      return 'undefined'
  }
  if (value === null) return 'null'
  if (value instanceof Date) return JSON.stringify(value.toISOString())
  if (Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView)))
    return `[${Array.from(value as ArrayLike<unknown>, (item) => formatValue(item, false)).join(', ')}]`
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}: ${formatValue(item, false)}`).join(', ')}}`
  }
  return JSON.stringify(String(value))
}

/** Words that would read back as something other than the string they are. */
function isReservedWord(word: string): boolean {
  return ['true', 'false', 'null', 'undefined', 'NaN', 'Infinity'].includes(word)
}

function quote(text: string): string {
  return `'${text}'`
}
