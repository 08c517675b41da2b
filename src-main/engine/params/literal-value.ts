import type { Expression, Node, Property, SpreadElement } from 'acorn'
import { FunctionRef } from './function-ref'

/** Thrown when an expression is not a literal value; `node` locates it, `description` says what it is. */
export class NotALiteralError extends Error {
  constructor(
    readonly node: Node,
    readonly description: string
  ) {
    super(`found ${description} where a literal value was expected`)
    this.name = 'NotALiteralError'
  }
}

/**
 * The value of a literal-only expression, computed from its syntax tree without evaluating any code:
 * numbers, strings, booleans, null, regular and template strings without `${}`, arrays and objects of
 * literals, unary minus/plus and arithmetic on numbers, `undefined`, `void 0`, `NaN`, `Infinity`, and the
 * numeric constants of `Math` and `Number`. An identifier or dotted name (`max`, `Math.max`, `ops.sum`)
 * becomes a FunctionRef: functions are kept by name.
 * @throws NotALiteralError for anything else (calls, `new`, functions, `${}` templates, spreads, computed keys).
 */
export function literalValue(node: Expression | SpreadElement | null): unknown {
  if (node === null) return undefined // an array hole
  switch (node.type) {
    case 'Literal':
      if (node.regex) throw new NotALiteralError(node, 'a regular expression')
      if (node.bigint !== undefined) throw new NotALiteralError(node, 'a BigInt')
      return node.value
    case 'TemplateLiteral':
      if (node.expressions.length > 0) throw new NotALiteralError(node, 'a template string with ${…}')
      return node.quasis[0].value.cooked ?? node.quasis[0].value.raw
    case 'ArrayExpression':
      return node.elements.map((element) => literalValue(element))
    case 'ObjectExpression':
      return objectValue(node.properties)
    case 'UnaryExpression':
      return unaryValue(node.operator, node.argument, node)
    case 'BinaryExpression':
      return binaryValue(node)
    case 'Identifier':
      if (node.name === 'undefined') return undefined
      if (node.name === 'NaN') return NaN
      if (node.name === 'Infinity') return Infinity
      return new FunctionRef(node.name)
    case 'MemberExpression': {
      const path = dottedName(node)
      if (path === undefined) throw new NotALiteralError(node, 'a computed member expression')
      return numericConstant(path) ?? new FunctionRef(path)
    }
    case 'SpreadElement':
      throw new NotALiteralError(node, 'a spread (`...`)')
  }
  throw new NotALiteralError(node, describeNode(node))
}

/** `a.b.c` for a chain of plain identifiers, undefined for anything computed or optional. */
export function dottedName(node: Node): string | undefined {
  if (node.type === 'Identifier') return (node as unknown as { name: string }).name
  if (node.type !== 'MemberExpression') return undefined
  const member = node as Extract<Expression, { type: 'MemberExpression' }>
  if (member.computed || member.optional || member.property.type !== 'Identifier') return undefined
  const object = dottedName(member.object)
  return object === undefined ? undefined : `${object}.${member.property.name}`
}

/** What a node is, in words, for error messages. */
export function describeNode(node: Node): string {
  switch (node.type) {
    case 'CallExpression':
      return 'a function call'
    case 'NewExpression':
      return 'a `new` expression'
    case 'ArrowFunctionExpression':
    case 'FunctionExpression':
      return 'a function written inline'
    case 'ClassExpression':
      return 'a class'
    case 'ThisExpression':
      return '`this`'
    case 'AwaitExpression':
      return 'an `await`'
    case 'ConditionalExpression':
      return 'a conditional (`? :`)'
    case 'LogicalExpression':
      return 'a logical expression'
    case 'TaggedTemplateExpression':
      return 'a tagged template'
    case 'ChainExpression':
      return 'an optional chain (`?.`)'
    default:
      return `an expression (${node.type})`
  }
}

function objectValue(properties: (Property | SpreadElement)[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const property of properties) {
    if (property.type === 'SpreadElement') throw new NotALiteralError(property, 'a spread (`...`)')
    if (property.kind !== 'init' || property.method)
      throw new NotALiteralError(property, 'a method or accessor')
    const key = propertyKey(property)
    if (key === undefined) throw new NotALiteralError(property.key, 'a computed key')
    // defineProperty so that a `__proto__` key stays a plain key instead of setting the prototype.
    Object.defineProperty(out, key, {
      value: literalValue(property.value),
      enumerable: true,
      writable: true,
      configurable: true
    })
  }
  return out
}

/** The name of a non-computed property key (`a`, `'a'`, `1`), undefined when computed. */
export function propertyKey(property: { key: Node; computed: boolean }): string | undefined {
  const key = property.key as Expression
  if (key.type === 'Identifier' && !property.computed) return key.name
  if (key.type === 'Literal' && typeof key.value !== 'object') return String(key.value)
  return undefined
}

function unaryValue(operator: string, argument: Expression, node: Node): unknown {
  if (operator === 'void') {
    literalValue(argument)
    return undefined
  }
  if (operator !== '-' && operator !== '+') throw new NotALiteralError(node, `the operator \`${operator}\``)
  const value = literalValue(argument)
  if (typeof value !== 'number')
    throw new NotALiteralError(node, `\`${operator}\` applied to something other than a number`)
  return operator === '-' ? -value : value
}

function binaryValue(node: Extract<Expression, { type: 'BinaryExpression' }>): number {
  if (node.left.type === 'PrivateIdentifier') throw new NotALiteralError(node, 'a private name')
  const left = literalValue(node.left)
  const right = literalValue(node.right)
  if (typeof left !== 'number' || typeof right !== 'number')
    throw new NotALiteralError(node, `\`${node.operator}\` applied to something other than numbers`)
  switch (node.operator) {
    case '+':
      return left + right
    case '-':
      return left - right
    case '*':
      return left * right
    case '/':
      return left / right
    case '%':
      return left % right
    case '**':
      return left ** right
  }
  throw new NotALiteralError(node, `the operator \`${node.operator}\``)
}

/** `Math.PI`, `Number.EPSILON` and the like are values, not functions. */
function numericConstant(path: string): number | undefined {
  const [owner, name, extra] = path.split('.')
  if (extra !== undefined || (owner !== 'Math' && owner !== 'Number')) return undefined
  const value = (owner === 'Math' ? Math : Number)[name as never] as unknown
  return typeof value === 'number' ? value : undefined
}
