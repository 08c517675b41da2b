import * as acorn from 'acorn'
import type {
  Class,
  Expression,
  Function as FunctionNode,
  MethodDefinition,
  Node,
  Pattern,
  Program,
  Statement
} from 'acorn'
import type { ParameterSpec } from '../types'
import { canonicalValue, ParameterValueError } from './canonical'
import { FunctionRef } from './function-ref'
import { dottedName, literalValue, NotALiteralError, propertyKey } from './literal-value'

/**
 * Reads the parameters a run class declares, the way batchpy reads keyword defaults: from the destructured
 * first parameter of `run({ A = 0, B = [1, 2, 3], operator = max })`, or from `static parameters`.
 * Source is parsed with acorn and never evaluated.
 */

/** Thrown when a run class cannot be used: no run(), a default that is not a literal, a bad `static parameters`. */
export class RunClassError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RunClassError'
  }
}

/** Marks a `run` that only throws "not implemented" (the base Run's), so a subclass without run() is reported. */
export const PLACEHOLDER_RUN = Symbol.for('batchdesk.placeholderRun')

/** Any class, whatever its constructor takes. */
export type AnyClass = abstract new (...args: never[]) => unknown
type AnyFunction = (...args: never[]) => unknown

const STATIC_ADVICE = 'write the default as a literal value or declare `static parameters`'
const SPEC_KEYS = new Set(['default', 'unit', 'description'])

/**
 * The parameters of an evaluated run class, in declaration order.
 *
 * `static parameters = { name: { default, unit?, description? } }` wins when present. Otherwise the source
 * of the nearest `run` on the prototype chain is parsed: its first parameter must be a destructured object
 * whose defaults are literal values (an identifier or dotted name such as `max` or `Math.max` becomes a
 * FunctionRef); a name without default gets `undefined` and kind 'unknown'. A run() without parameters gives [].
 * @throws RunClassError when the class has no run(), the first parameter is not a destructured object, a
 *   default is a call, `new`, an inline function or other non-literal, a rest element is used, or
 *   `static parameters` is malformed. The message names the class and the parameter.
 */
export function readParametersFromClass(cls: AnyClass): ParameterSpec[] {
  const className = cls.name || 'The run class'
  const declared = (cls as { parameters?: unknown }).parameters
  if (declared !== undefined) return specsFromDeclared(declared, `${className}.parameters`)
  const run = findRunMethod(cls)
  if (!run) throw new RunClassError(`${className} has no run() method: add run({ … }) to the class`)
  const source = Function.prototype.toString.call(run)
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source))
    throw new RunClassError(
      `${className}.run is a built-in or bound function; its parameters cannot be read: declare \`static parameters\``
    )
  const fn = parseFunctionSource(source, className)
  return specsFromRunParams(fn, source, (message) => new RunClassError(`${className}.run(): ${message}`))
}

/**
 * Describes a run class module without evaluating it: the class (the default export, or the only exported
 * class), its parameters (from `static parameters` written as a literal, else from run()'s destructured
 * defaults, following superclasses declared in the same file), whether it overrides generateId(), and the
 * names of the functions the module exports (`export function f`, `export const f = () => …`,
 * `export { a as b }`, re-exports).
 * @param jsCode JavaScript module source, e.g. esbuild `transform` output of the user's TypeScript file.
 * @param fileLabel how the file is named in error messages.
 * @throws RunClassError naming `fileLabel` and the line: a syntax error, no class, no run(), a non-literal
 *   default, a malformed `static parameters`.
 */
export function describeModuleSource(
  jsCode: string,
  fileLabel: string
): {
  className: string
  parameters: ParameterSpec[]
  overridesGenerateId: boolean
  functionExports: string[]
} {
  let program: Program
  try {
    program = acorn.parse(jsCode, { ecmaVersion: 'latest', sourceType: 'module', locations: true })
  } catch (error) {
    const line = (error as { loc?: { line: number } }).loc?.line
    throw new RunClassError(
      `${fileLabel}${line ? `:${line}` : ''}: not valid JavaScript: ${(error as Error).message}`
    )
  }
  const module = new ModuleScan(program, fileLabel)
  const runClass = module.runClass()
  const className = runClass.id?.name ?? baseName(fileLabel)
  const at = (node: Node) => `${fileLabel}:${node.loc?.start.line ?? '?'}`
  const chain = module.localClassChain(runClass)

  let parameters: ParameterSpec[] | undefined
  for (const cls of chain) {
    const declared = module.staticParameters(cls)
    if (!declared) continue
    const name = cls.id?.name ?? className
    let value: unknown
    try {
      value = literalValue(declared)
    } catch (error) {
      if (!(error instanceof NotALiteralError)) throw error
      throw new RunClassError(
        `${at(error.node)}: ${name}.parameters contains ${error.description}; write it as a literal object { name: { default, unit?, description? } }`
      )
    }
    parameters = specsFromDeclared(value, `${at(declared)}: ${name}.parameters`)
    break
  }
  if (!parameters) {
    const run = chain.map((cls) => findRunMember(cls)).find((member) => member !== undefined)
    if (!run) {
      const inherited = chain[chain.length - 1].superClass
      const parent = inherited ? dottedName(inherited) : undefined
      const reason =
        parent && parent !== 'Run' && !parent.endsWith('.Run')
          ? `${className} has no run() method in this file (it extends ${parent}, which is not declared here)`
          : `${className} has no run() method`
      throw new RunClassError(`${at(runClass)}: ${reason}: add run({ … }) to the class`)
    }
    parameters = specsFromRunParams(
      run.value,
      jsCode,
      (message, node) => new RunClassError(`${at(node ?? run)}: ${className}.run(): ${message}`)
    )
  }
  return {
    className,
    parameters,
    overridesGenerateId: chain.some((cls) => findMethod(cls, 'generateId') !== undefined),
    functionExports: module.functionExports()
  }
}

/** The kind of a parameter, inferred from its default value. */
export function parameterKind(value: unknown): ParameterSpec['kind'] {
  if (value === undefined) return 'unknown'
  if (value === null) return 'null'
  if (typeof value === 'function' || value instanceof FunctionRef) return 'function'
  if (Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView))) return 'array'
  switch (typeof value) {
    case 'number':
      return 'number'
    case 'string':
      return 'string'
    case 'boolean':
      return 'boolean'
    case 'object':
      return 'object'
  }
  return 'unknown'
}

function makeSpec(
  name: string,
  value: unknown,
  extra?: { unit?: string; description?: string }
): ParameterSpec {
  const spec: ParameterSpec = {
    name,
    default: value,
    kind: parameterKind(value),
    isPrivate: name.startsWith('_')
  }
  if (extra?.unit !== undefined) spec.unit = extra.unit
  if (extra?.description !== undefined) spec.description = extra.description
  return spec
}

/** Validates `{ name: { default, unit?, description? } }`; `where` prefixes messages (class, file and line). */
function specsFromDeclared(declared: unknown, where: string): ParameterSpec[] {
  const expected = 'an object { name: { default, unit?, description? } }'
  if (!isPlainObject(declared))
    throw new RunClassError(`${where} must be ${expected}; found ${describeValue(declared)}`)
  const specs: ParameterSpec[] = []
  for (const [name, entry] of Object.entries(declared)) {
    const key = `${where}.${name}`
    if (!isPlainObject(entry))
      throw new RunClassError(
        `${key} must be an object { default, unit?, description? }; found ${describeValue(entry)}`
      )
    for (const field of Object.keys(entry))
      if (!SPEC_KEYS.has(field))
        throw new RunClassError(
          `${key} has an unknown field '${field}'; expected only default, unit and description`
        )
    for (const field of ['unit', 'description'] as const)
      if (entry[field] !== undefined && typeof entry[field] !== 'string')
        throw new RunClassError(`${key}.${field} must be a string; found ${describeValue(entry[field])}`)
    try {
      canonicalValue(entry.default, `${key}.default`)
    } catch (error) {
      if (error instanceof ParameterValueError) throw new RunClassError(error.message)
      throw error
    }
    specs.push(makeSpec(name, entry.default, entry as { unit?: string; description?: string }))
  }
  return specs
}

/** Parameters from the destructured first parameter of a parsed run function. */
function specsFromRunParams(
  fn: FunctionNode,
  source: string,
  fail: (message: string, node?: Node) => RunClassError
): ParameterSpec[] {
  if (fn.params.length === 0) return []
  let pattern: Pattern = fn.params[0]
  if (pattern.type === 'AssignmentPattern') pattern = pattern.left
  if (pattern.type !== 'ObjectPattern') {
    const written = source.slice(fn.params[0].start, fn.params[0].end)
    throw fail(
      `the first parameter must be a destructured object such as run({ A = 0, B = [1, 2, 3] }), found \`${written}\`; ` +
        'or declare `static parameters`',
      fn.params[0]
    )
  }
  const specs: ParameterSpec[] = []
  for (const property of pattern.properties) {
    if (property.type === 'RestElement') {
      const written = source.slice(property.start, property.end)
      throw fail(
        `\`${written}\` collects unnamed parameters; list every parameter by name with its default`,
        property
      )
    }
    const name = propertyKey(property)
    if (name === undefined)
      throw fail('a computed parameter name cannot be read; write the name itself', property)
    if (property.value.type !== 'AssignmentPattern') {
      specs.push(makeSpec(name, undefined))
      continue
    }
    const defaultNode = property.value.right
    let value: unknown
    try {
      value = literalValue(defaultNode)
    } catch (error) {
      if (!(error instanceof NotALiteralError)) throw error
      const written = source.slice(defaultNode.start, defaultNode.end)
      throw fail(
        `the default of parameter '${name}' is ${error.description} (\`${shorten(written)}\`); ${STATIC_ADVICE}`,
        defaultNode
      )
    }
    specs.push(makeSpec(name, value))
  }
  return specs
}

/** The nearest own `run` on the prototype chain, skipping the base class's placeholder. */
function findRunMethod(cls: AnyClass): AnyFunction | undefined {
  for (let proto = cls.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, 'run')
    if (!descriptor) continue
    if (typeof descriptor.value !== 'function') return undefined
    return isPlaceholderRun(descriptor.value, proto, cls) ? undefined : descriptor.value
  }
  return undefined
}

function isPlaceholderRun(run: AnyFunction, owner: object, cls: AnyClass): boolean {
  if ((run as unknown as Record<symbol, unknown>)[PLACEHOLDER_RUN] === true) return true
  // The engine's base Run declares run(_parameters) that only throws; it sits at the top of the chain.
  return (
    owner !== cls.prototype &&
    Object.getPrototypeOf(owner) === Object.prototype &&
    (owner as { constructor?: { name?: string } }).constructor?.name === 'Run'
  )
}

/** Parses `fn.toString()` of a method (`run({…}) {…}`), a function expression or an arrow function. */
function parseFunctionSource(source: string, className: string): FunctionNode {
  const options: acorn.Options = {
    ecmaVersion: 'latest',
    checkPrivateFields: false,
    allowSuperOutsideMethod: true
  }
  try {
    const wrapped = acorn.parseExpressionAt(`({${source}\n})`, 0, options)
    if (wrapped.type === 'ObjectExpression') {
      const property = wrapped.properties[0]
      if (property?.type === 'Property' && property.value.type === 'FunctionExpression')
        return shiftBy(property.value, -2)
    }
  } catch {
    // not method syntax: try it as a function expression below
  }
  try {
    const expression = acorn.parseExpressionAt(`(${source}\n)`, 0, options)
    if (expression.type === 'FunctionExpression' || expression.type === 'ArrowFunctionExpression')
      return shiftBy(expression, -1)
  } catch (error) {
    throw new RunClassError(`${className}.run could not be parsed: ${(error as Error).message}`)
  }
  throw new RunClassError(`${className}.run could not be parsed as a method or function`)
}

/** Moves the offsets of a function's parameter nodes back to positions in the unwrapped source. */
function shiftBy(fn: FunctionNode, delta: number): FunctionNode {
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object') return
    if (Array.isArray(node)) return node.forEach(visit)
    const record = node as Record<string, unknown>
    if (typeof record.start === 'number' && typeof record.end === 'number') {
      record.start = (record.start as number) + delta
      record.end = (record.end as number) + delta
    }
    for (const key of Object.keys(record)) if (key !== 'loc') visit(record[key])
  }
  fn.params.forEach(visit)
  return fn
}

/** Top-level declarations of a module that matter for finding the run class and its exports. */
class ModuleScan {
  readonly classes = new Map<string, Class>()
  readonly functions = new Set<string>()
  readonly imports = new Set<string>()
  /** Top-level `X.parameters = {…}` or esbuild's `__publicField(X, "parameters", {…})`. */
  readonly assignedParameters = new Map<string, Expression>()

  constructor(
    readonly program: Program,
    readonly fileLabel: string
  ) {
    for (const statement of program.body) {
      const declaration =
        statement.type === 'ExportNamedDeclaration' || statement.type === 'ExportDefaultDeclaration'
          ? statement.declaration
          : statement
      if (!declaration) continue
      if (statement.type === 'ImportDeclaration')
        for (const s of statement.specifiers) this.imports.add(s.local.name)
      this.collect(declaration as Statement)
    }
  }

  private collect(node: Statement | Expression): void {
    if (node.type === 'ClassDeclaration' && node.id) this.classes.set(node.id.name, node)
    else if (node.type === 'FunctionDeclaration' && node.id) this.functions.add(node.id.name)
    else if (node.type === 'VariableDeclaration') {
      for (const declarator of node.declarations) {
        if (declarator.id.type !== 'Identifier' || !declarator.init) continue
        const init = declarator.init
        if (init.type === 'ClassExpression') this.classes.set(declarator.id.name, init)
        if (init.type === 'FunctionExpression' || init.type === 'ArrowFunctionExpression')
          this.functions.add(declarator.id.name)
      }
    } else if (node.type === 'ExpressionStatement') this.collectParametersAssignment(node.expression)
  }

  private collectParametersAssignment(expression: Expression): void {
    if (
      expression.type === 'AssignmentExpression' &&
      expression.operator === '=' &&
      expression.left.type === 'MemberExpression' &&
      expression.left.object.type === 'Identifier' &&
      dottedName(expression.left)?.endsWith('.parameters') &&
      dottedName(expression.left)?.split('.').length === 2
    ) {
      this.assignedParameters.set(expression.left.object.name, expression.right)
    } else if (
      expression.type === 'CallExpression' &&
      expression.callee.type === 'Identifier' &&
      expression.callee.name === '__publicField' &&
      expression.arguments[0]?.type === 'Identifier' &&
      expression.arguments[1]?.type === 'Literal' &&
      expression.arguments[1].value === 'parameters' &&
      expression.arguments[2] &&
      expression.arguments[2].type !== 'SpreadElement'
    ) {
      this.assignedParameters.set(expression.arguments[0].name, expression.arguments[2])
    }
  }

  /** The default-exported class, else the only exported class. */
  runClass(): Class {
    const exported: Class[] = []
    for (const statement of this.program.body) {
      if (statement.type === 'ExportDefaultDeclaration') {
        const declaration = statement.declaration
        if (declaration.type === 'ClassDeclaration' || declaration.type === 'ClassExpression')
          return declaration
        const local = declaration.type === 'Identifier' ? this.classes.get(declaration.name) : undefined
        if (local) return local
        throw new RunClassError(
          `${this.fileLabel}:${statement.loc?.start.line}: the default export is not a class declared in this file; ` +
            'export the run class with `export default class MyRun extends Run { … }`'
        )
      }
      if (statement.type !== 'ExportNamedDeclaration') continue
      if (statement.declaration?.type === 'ClassDeclaration') exported.push(statement.declaration)
      for (const specifier of statement.specifiers) {
        const local =
          specifier.local.type === 'Identifier' ? this.classes.get(specifier.local.name) : undefined
        if (!local || statement.source) continue
        if (propertyKey({ key: specifier.exported, computed: false }) === 'default') return local
        exported.push(local)
      }
    }
    if (exported.length === 1) return exported[0]
    throw new RunClassError(
      exported.length === 0
        ? `${this.fileLabel}: no run class found; export one with \`export default class MyRun extends Run { … }\``
        : `${this.fileLabel}: ${exported.length} exported classes and no default export; mark the run class \`export default\``
    )
  }

  /** The class and its superclasses declared in this file, nearest first. */
  localClassChain(cls: Class): Class[] {
    const chain = [cls]
    for (let current = cls; current.superClass?.type === 'Identifier';) {
      const parent = this.classes.get(current.superClass.name)
      if (!parent || chain.includes(parent)) break
      chain.push(parent)
      current = parent
    }
    return chain
  }

  /** The literal of `static parameters = {…}` (or an assignment after the class), if any. */
  staticParameters(cls: Class): Expression | undefined {
    for (const member of cls.body.body) {
      if (member.type !== 'PropertyDefinition' || !member.static || !member.value) continue
      if (
        member.key.type !== 'PrivateIdentifier' &&
        propertyKey(member as { key: Node; computed: boolean }) === 'parameters'
      )
        return member.value
    }
    return cls.id ? this.assignedParameters.get(cls.id.name) : undefined
  }

  /** Exported names bound to functions (or to names this file cannot see into, such as re-exports). */
  functionExports(): string[] {
    const names: string[] = []
    for (const statement of this.program.body) {
      if (statement.type !== 'ExportNamedDeclaration') continue
      const declaration = statement.declaration
      if (declaration?.type === 'FunctionDeclaration') names.push(declaration.id.name)
      if (declaration?.type === 'VariableDeclaration')
        for (const declarator of declaration.declarations)
          if (declarator.id.type === 'Identifier' && this.functions.has(declarator.id.name))
            names.push(declarator.id.name)
      for (const specifier of statement.specifiers) {
        const local =
          specifier.local.type === 'Identifier' ? specifier.local.name : String(specifier.local.value)
        const exported = propertyKey({ key: specifier.exported, computed: false }) ?? local
        if (statement.source || this.functions.has(local) || this.imports.has(local)) names.push(exported)
      }
    }
    return names
  }
}

function findRunMember(cls: Class): MethodDefinition | undefined {
  return findMethod(cls, 'run')
}

function findMethod(cls: Class, name: string): MethodDefinition | undefined {
  for (const member of cls.body.body)
    if (
      member.type === 'MethodDefinition' &&
      !member.static &&
      member.kind === 'method' &&
      member.key.type !== 'PrivateIdentifier'
    )
      if (propertyKey(member as { key: Node; computed: boolean }) === name) return member
  return undefined
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return `a ${(value as object).constructor?.name ?? 'object'}`
  if (typeof value === 'string') return `the string ${JSON.stringify(shorten(value))}`
  return `${typeof value} ${String(value)}`
}

function baseName(fileLabel: string): string {
  const file = fileLabel.split(/[\\/]/).pop() ?? fileLabel
  return file.replace(/\.[^.]*$/, '') || 'RunClass'
}

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, ' ')
  return flat.length > 60 ? `${flat.slice(0, 57)}…` : flat
}
