/**
 * Filter chips: the text a user types (`A >= 3`, `B = [2,5,8]`, `operator = min`) and the getRunsWith
 * conditions the engine evaluates, in both directions, plus the "copy as code" text. The engine does the
 * matching (numeric tolerance, deep equality, function names); this module only reads and writes chips.
 */

export type ConditionOp = 'eq' | 'ne' | 'ge' | 'le' | 'gt' | 'lt' | 'in'

export interface ChipCondition {
  name: string
  op: ConditionOp
  value: unknown
}

/** Symbols as typed and shown, longest first so `>=` wins over `>`. */
const SYMBOLS: [string, ConditionOp][] = [
  ['>=', 'ge'],
  ['<=', 'le'],
  ['!=', 'ne'],
  ['==', 'eq'],
  ['≥', 'ge'],
  ['≤', 'le'],
  ['≠', 'ne'],
  ['>', 'gt'],
  ['<', 'lt'],
  ['=', 'eq']
]

const SHOWN: Record<ConditionOp, string> = {
  eq: '=',
  ne: '!=',
  ge: '>=',
  le: '<=',
  gt: '>',
  lt: '<',
  in: 'in'
}

export type ParsedChip = { ok: true; condition: ChipCondition } | { ok: false; error: string }

/**
 * Reads one chip. Forms: `name op value` with op one of = != >= <= > < (also ≥ ≤ ≠ and ==), `name in [v1, v2]`,
 * and batchpy's keyword form `name__ge=3`. Values are JSON when they parse, bare words otherwise (strings
 * or function names such as `min`).
 */
export function parseChip(text: string): ParsedChip {
  const trimmed = text.trim()
  if (trimmed === '') return { ok: false, error: 'type a condition such as A >= 3' }
  const kwargs = /^([A-Za-z_$][\w$]*?)__(eq|ne|ge|le|gt|lt|in)\s*=\s*(.+)$/.exec(trimmed)
  if (kwargs) return finish(kwargs[1], kwargs[2] as ConditionOp, kwargs[3])
  const inForm = /^([A-Za-z_$][\w$]*)\s+in\s+(.+)$/i.exec(trimmed)
  if (inForm) return finish(inForm[1], 'in', inForm[2])
  const nameMatch = /^([A-Za-z_$][\w$]*)\s*/.exec(trimmed)
  if (!nameMatch)
    return { ok: false, error: `"${trimmed}" does not start with a parameter name; write it like A >= 3` }
  const rest = trimmed.slice(nameMatch[0].length)
  const symbol = SYMBOLS.find(([s]) => rest.startsWith(s))
  if (!symbol)
    return {
      ok: false,
      error: `after ${nameMatch[1]} comes a comparison: =, !=, >=, <=, >, < or in (e.g. ${nameMatch[1]} >= 3)`
    }
  return finish(nameMatch[1], symbol[1], rest.slice(symbol[0].length))
}

function finish(name: string, op: ConditionOp, valueText: string): ParsedChip {
  const text = valueText.trim()
  if (text === '')
    return {
      ok: false,
      error: `${name} ${SHOWN[op]} what? Add a value, e.g. ${name} ${SHOWN[op]} ${op === 'in' ? '[1, 2]' : '3'}`
    }
  const value = parseChipValue(text)
  if (op === 'in' && !Array.isArray(value))
    return { ok: false, error: `"in" takes a list in brackets, e.g. ${name} in [1, 2, 3]` }
  if (
    (op === 'ge' || op === 'le' || op === 'gt' || op === 'lt') &&
    typeof value !== 'number' &&
    typeof value !== 'string'
  ) {
    return { ok: false, error: `${SHOWN[op]} compares numbers (or text); ${text} is neither` }
  }
  return { ok: true, condition: { name, op, value } }
}

function parseChipValue(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    // A bracketed list of bare words (`[min, max]`) is a list of names.
    if (text.startsWith('[') && text.endsWith(']')) {
      return text
        .slice(1, -1)
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== '')
        .map((part) => parseChipValue(part))
    }
    return text.replace(/^'(.*)'$/, '$1')
  }
}

/** The chip's text, the same form parseChip reads: `A >= 3`, `B = [2,5,8]`, `operator = min`. */
export function chipText(condition: ChipCondition): string {
  return `${condition.name} ${SHOWN[condition.op]} ${valueText(condition.value)}`
}

function valueText(value: unknown): string {
  if (typeof value === 'string')
    return /^[A-Za-z_$][\w$.]*$/.test(value) && !['true', 'false', 'null'].includes(value)
      ? value
      : JSON.stringify(value)
  if (value !== null && typeof value === 'object' && typeof (value as { $fn?: unknown }).$fn === 'string')
    return (value as { $fn: string }).$fn
  if (Array.isArray(value)) return `[${value.map(valueText).join(',')}]`
  return JSON.stringify(value)
}

/** The batchpy keyword form of one condition: `A__le`, or just `A` for equality. */
function kwargName(condition: ChipCondition): string {
  return condition.op === 'eq' ? condition.name : `${condition.name}__${condition.op}`
}

/**
 * The current filter as code a user can paste into a script: `batch.getRunsWith({ A__le: 3 })`.
 * Function names are written as strings, which getRunsWith matches against function-valued parameters.
 */
export function conditionsAsCode(conditions: ChipCondition[], batchVariable = 'batch'): string {
  if (conditions.length === 0) return `${batchVariable}.runs`
  const entries = conditions.map((c) => `${kwargName(c)}: ${codeValue(c.value)}`)
  return `${batchVariable}.getRunsWith({ ${entries.join(', ')} })`
}

function codeValue(value: unknown): string {
  if (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    typeof (value as { $fn?: unknown }).$fn === 'string'
  )
    return `'${(value as { $fn: string }).$fn}'`
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
  if (Array.isArray(value)) return `[${value.map(codeValue).join(', ')}]`
  if (value !== null && typeof value === 'object')
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${codeValue(v)}`)
      .join(', ')} }`
  return JSON.stringify(value)
}
