import { transformSync } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { FunctionRef } from '../../../src-main/engine/params/function-ref'
import {
  type AnyClass,
  describeModuleSource,
  parameterKind,
  readParametersFromClass,
  RunClassError
} from '../../../src-main/engine/params/read-parameters'
import { ResultRun, Run } from '../../../src-main/engine/run'
import type { ParameterSpec } from '../../../src-main/engine/types'

/** Evaluates a JavaScript class expression, as a user's compiled module would define it. */
function classFrom(source: string): AnyClass {
  return new Function(`const max = Math.max, min = Math.min, ops = {}; return (${source})`)() as AnyClass
}

function defaults(specs: ParameterSpec[]): Record<string, unknown> {
  return Object.fromEntries(specs.map((spec) => [spec.name, spec.default]))
}

describe('readParametersFromClass', () => {
  it("reads the quickstart's run({ A = 0, B = [1, 2, 3], operator = max })", () => {
    const specs = readParametersFromClass(
      classFrom(
        'class ExampleRun { run({ A = 0, B = [1, 2, 3], operator = max }) { return { val: A * operator(B) } } }'
      )
    )
    expect(specs).toEqual([
      { name: 'A', default: 0, kind: 'number', isPrivate: false },
      { name: 'B', default: [1, 2, 3], kind: 'array', isPrivate: false },
      { name: 'operator', default: new FunctionRef('max'), kind: 'function', isPrivate: false }
    ])
  })

  it.each<[string, string, Record<string, unknown>]>([
    [
      'an async run with a default for the whole object',
      'class R { async run({ x = 1 } = {}) { return x } }',
      { x: 1 }
    ],
    ['a generator run', 'class R { *run({ x = "a" }) { yield x } }', { x: 'a' }],
    ['a run named by a string key', "class R { 'run'({ x = true }) { return x } }", { x: true }],
    ['no parameters', 'class R { run() { return 1 } }', {}],
    ['an empty pattern', 'class R { run({}) { return 1 } }', {}],
    [
      'negative numbers, NaN, Infinity, undefined and null',
      'class R { run({ a = -1.5, b = NaN, c = -Infinity, d = undefined, e = null, f = void 0 }) {} }',
      { a: -1.5, b: NaN, c: -Infinity, d: undefined, e: null, f: undefined }
    ],
    ['a template string without expressions', 'class R { run({ s = `plain` }) {} }', { s: 'plain' }],
    [
      'nested objects and arrays',
      "class R { run({ o = { k: [1, { 'q r': 'x' }] } }) {} }",
      { o: { k: [1, { 'q r': 'x' }] } }
    ],
    [
      'a dotted function name',
      'class R { run({ f = Math.max, g = ops.sum }) {} }',
      { f: new FunctionRef('Math.max'), g: new FunctionRef('ops.sum') }
    ],
    ['numeric constants of Math', 'class R { run({ t = 2 * Math.PI }) {} }', { t: 2 * Math.PI }],
    ['a renamed binding', 'class R { run({ A: a = 3 }) { return a } }', { A: 3 }],
    ['a parameter without a default', 'class R { run({ A, B = 2 }) {} }', { A: undefined, B: 2 }],
    [
      'a body that uses private fields and super',
      'class R { #n = 1; run({ x = 1 }) { return this.#n + x } }',
      { x: 1 }
    ]
  ])('reads %s', (_name, source, expected) => {
    expect(defaults(readParametersFromClass(classFrom(source)))).toEqual(expected)
  })

  it("marks a parameter without default as kind 'unknown' and names starting with _ as private", () => {
    const specs = readParametersFromClass(classFrom('class R { run({ A, _seed = 7 }) {} }'))
    expect(specs).toEqual([
      { name: 'A', default: undefined, kind: 'unknown', isPrivate: false },
      { name: '_seed', default: 7, kind: 'number', isPrivate: true }
    ])
  })

  it('uses the nearest run() on the prototype chain', () => {
    const Base = classFrom('class Base { run({ a = 1 }) {} }')
    const Child = class Child extends (Base as new () => object) {}
    expect(defaults(readParametersFromClass(Child))).toEqual({ a: 1 })
  })

  it('reads TypeScript compiled by esbuild', () => {
    const ts = `
      function max(xs: number[]): number { return Math.max(...xs) }
      class ExampleRun {
        private scale: number = 2
        async run({ A = 0, B = [1, 2, 3] as number[], operator = max, label = 'x' as string }: {
          A?: number; B?: number[]; operator?: (xs: number[]) => number; label?: string
        }): Promise<{ val: number }> {
          return { val: A * operator(B) * this.scale }
        }
      }
      return ExampleRun`
    const js = transformSync(ts, { loader: 'ts', target: 'es2022' }).code
    const cls = new Function(js)() as AnyClass
    expect(defaults(readParametersFromClass(cls))).toEqual({
      A: 0,
      B: [1, 2, 3],
      operator: new FunctionRef('max'),
      label: 'x'
    })
  })

  it('prefers static parameters, with units and descriptions', () => {
    class Declared {
      static parameters = {
        A: { default: 1, unit: 'm', description: 'length' },
        operator: { default: Math.max },
        _seed: { default: 0 }
      }
      run(params: Record<string, unknown>): unknown {
        return params
      }
    }
    expect(readParametersFromClass(Declared)).toEqual([
      { name: 'A', default: 1, kind: 'number', isPrivate: false, unit: 'm', description: 'length' },
      { name: 'operator', default: Math.max, kind: 'function', isPrivate: false },
      { name: '_seed', default: 0, kind: 'number', isPrivate: true }
    ])
  })

  it.each<[string, unknown, string]>([
    [
      'not an object',
      [1],
      'Declared.parameters must be an object { name: { default, unit?, description? } }; found an array'
    ],
    [
      'an entry that is not an object',
      { A: 3 },
      'Declared.parameters.A must be an object { default, unit?, description? }; found number 3'
    ],
    ['a misspelt field', { A: { defualt: 3 } }, "Declared.parameters.A has an unknown field 'defualt'"],
    [
      'a unit that is not a string',
      { A: { default: 1, unit: 5 } },
      'Declared.parameters.A.unit must be a string'
    ],
    [
      'a default that cannot be part of an id',
      { A: { default: 10n } },
      'Declared.parameters.A.default is a BigInt'
    ]
  ])('rejects static parameters that are %s', (_name, parameters, message) => {
    const Declared = class Declared {
      static parameters = parameters
      run(): void {}
    }
    expect(() => readParametersFromClass(Declared)).toThrow(RunClassError)
    expect(() => readParametersFromClass(Declared)).toThrow(message)
  })

  it.each<[string, string, string]>([
    [
      'a call as default',
      'class R { run({ A = Math.random() }) {} }',
      "R.run(): the default of parameter 'A' is a function call (`Math.random()`); write the default as a literal value or declare `static parameters`"
    ],
    [
      'new as default',
      'class R { run({ when = new Date() }) {} }',
      "the default of parameter 'when' is a `new` expression"
    ],
    [
      'an arrow function as default',
      'class R { run({ f = (x) => x }) {} }',
      "the default of parameter 'f' is a function written inline"
    ],
    [
      'a template with expressions',
      'class R { run({ s = `a${1}` }) {} }',
      "the default of parameter 's' is a template string with ${…}"
    ],
    ['a rest element', 'class R { run({ A = 1, ...rest }) {} }', '`...rest` collects unnamed parameters'],
    [
      'a plain identifier parameter',
      'class R { run(params) {} }',
      'the first parameter must be a destructured object such as run({ A = 0, B = [1, 2, 3] }), found `params`'
    ],
    [
      'a computed name',
      "class R { run({ ['a' + 'b']: x = 1 }) {} }",
      'a computed parameter name cannot be read'
    ],
    ['no run method', 'class Empty {}', 'Empty has no run() method']
  ])('rejects %s with a message naming the class and parameter', (_name, source, message) => {
    expect(() => readParametersFromClass(classFrom(source))).toThrow(RunClassError)
    expect(() => readParametersFromClass(classFrom(source))).toThrow(message)
  })

  it("treats the base class's placeholder run() as no run()", () => {
    class Run {
      run(_parameters: Record<string, unknown>): unknown {
        throw new Error('no run() method')
      }
    }
    class Forgotten extends Run {}
    expect(() => readParametersFromClass(Forgotten)).toThrow('Forgotten has no run() method')
  })
})

describe('readParametersFromClass on subclasses of the engine Run', () => {
  function max(xs: number[]): number {
    return Math.max(...xs)
  }

  it('reads a Run subclass written in TypeScript', () => {
    class ExampleRun extends Run {
      override run({
        A = 0,
        B = [1, 2, 3],
        operator = max
      }: {
        A?: number
        B?: number[]
        operator?: typeof max
      }) {
        return { val: A * operator(B) }
      }
    }
    expect(defaults(readParametersFromClass(ExampleRun))).toEqual({
      A: 0,
      B: [1, 2, 3],
      operator: new FunctionRef('max')
    })
  })

  it('reports a Run subclass that forgot run()', () => {
    class Forgetful extends Run {}
    expect(() => readParametersFromClass(Forgetful)).toThrow('Forgetful has no run() method')
  })

  it('reads no parameters from ResultRun', () => {
    expect(readParametersFromClass(ResultRun)).toEqual([])
  })
})

describe('parameterKind', () => {
  it.each<[unknown, ParameterSpec['kind']]>([
    [1, 'number'],
    ['a', 'string'],
    [false, 'boolean'],
    [[1], 'array'],
    [new Float64Array(1), 'array'],
    [{ a: 1 }, 'object'],
    [new FunctionRef('max'), 'function'],
    [Math.max, 'function'],
    [null, 'null'],
    [undefined, 'unknown']
  ])('calls %o a %s', (value, kind) => {
    expect(parameterKind(value)).toBe(kind)
  })
})

describe('describeModuleSource', () => {
  const quickstart = `
import { Run } from 'batchdesk'

export function max(xs: number[]): number { return Math.max(...xs) }
export function min(xs: number[]): number { return Math.min(...xs) }
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0)
function len(xs: unknown[]): number { return xs.length }
const version = 3
export { sum, len as length, version }

export default class ExampleRun extends Run {
  run({ A = 0, B = [1, 2, 3], operator = max }: { A?: number; B?: number[]; operator?: (xs: number[]) => number }) {
    return { val: A * operator(B) }
  }
}
`

  it('describes a quickstart-like module compiled by esbuild', () => {
    const js = transformSync(quickstart, { loader: 'ts', format: 'esm' }).code
    const described = describeModuleSource(js, 'example.ts')
    expect({ ...described, functionExports: described.functionExports.sort() }).toEqual({
      className: 'ExampleRun',
      parameters: [
        { name: 'A', default: 0, kind: 'number', isPrivate: false },
        { name: 'B', default: [1, 2, 3], kind: 'array', isPrivate: false },
        { name: 'operator', default: new FunctionRef('max'), kind: 'function', isPrivate: false }
      ],
      overridesGenerateId: false,
      functionExports: ['length', 'max', 'min', 'sum']
    })
  })

  it('reads static parameters written as a literal, and a generateId override', () => {
    const js = transformSync(
      `import { Run } from 'batchdesk'
       export default class Sized extends Run {
         static parameters = { size: { default: 10, unit: 'mm' }, shape: { default: 'round' } }
         generateId(p: Record<string, unknown>) { return String(p.size) }
         run(p: { size: number; shape: string }) { return p.size }
       }`,
      { loader: 'ts', format: 'esm' }
    ).code
    const described = describeModuleSource(js, 'sized.ts')
    expect(described.parameters).toEqual([
      { name: 'size', default: 10, kind: 'number', isPrivate: false, unit: 'mm' },
      { name: 'shape', default: 'round', kind: 'string', isPrivate: false }
    ])
    expect(described.overridesGenerateId).toBe(true)
  })

  it('reads static parameters that esbuild lowered to __publicField for an older target', () => {
    const js = transformSync(
      `export default class Old { static parameters = { n: { default: 2 } }; run(p: { n: number }) { return p.n } }`,
      { loader: 'ts', format: 'esm', target: 'es2020' }
    ).code
    expect(describeModuleSource(js, 'old.ts').parameters).toEqual([
      { name: 'n', default: 2, kind: 'number', isPrivate: false }
    ])
  })

  it('follows a superclass declared in the same file', () => {
    const js = `class Base { run({ a = 1 }) {} generateId() { return 'x' } }
export default class Child extends Base {}`
    const described = describeModuleSource(js, 'child.js')
    expect(described.className).toBe('Child')
    expect(described.parameters.map((p) => p.name)).toEqual(['a'])
    expect(described.overridesGenerateId).toBe(true)
  })

  it('finds the class behind export default <name> and the only exported class', () => {
    expect(describeModuleSource('class A { run({ x = 1 }) {} }\nexport default A', 'a.js').className).toBe(
      'A'
    )
    expect(describeModuleSource('export class B { run({ y = 2 }) {} }', 'b.js').className).toBe('B')
  })

  it('names an anonymous default class after its file', () => {
    expect(
      describeModuleSource('export default class { run({ x = 1 }) {} }', 'src/my-run.ts').className
    ).toBe('my-run')
  })

  it('lists re-exported names as function exports, since they may be functions', () => {
    const js =
      "import { mean } from './stats'\nexport { mean }\nexport { median as mid } from './stats'\nexport default class R { run() {} }"
    expect(describeModuleSource(js, 'r.js').functionExports).toEqual(['mean', 'mid'])
  })

  it.each<[string, string, string]>([
    ['a syntax error', 'export default class {\n  run({ A = }) {}\n}', 'bad.js:2: not valid JavaScript'],
    [
      'a call as default',
      'export default class R {\n\n  run({ A = compute() }) {}\n}',
      "bad.js:3: R.run(): the default of parameter 'A' is a function call (`compute()`)"
    ],
    ['no run class', 'export function f() {}', 'bad.js: no run class found'],
    [
      'two classes and no default',
      'export class A {}\nexport class B {}',
      'bad.js: 2 exported classes and no default export'
    ],
    [
      'a class without run()',
      "import { Run } from 'batchdesk'\nexport default class Lazy extends Run {}",
      'bad.js:2: Lazy has no run() method'
    ],
    [
      'run() inherited from another file',
      "import { Base } from './base'\nexport default class C extends Base {}",
      'it extends Base, which is not declared here'
    ],
    [
      'a non-literal static parameters',
      'export default class S {\n  static parameters = { n: { default: make() } }\n  run() {}\n}',
      'bad.js:2: S.parameters contains a function call'
    ],
    [
      'a malformed static parameters',
      'export default class S {\n  static parameters = { n: 3 }\n  run() {}\n}',
      'bad.js:2: S.parameters.n must be an object'
    ]
  ])('rejects %s naming the file and line', (_name, js, message) => {
    expect(() => describeModuleSource(js, 'bad.js')).toThrow(RunClassError)
    expect(() => describeModuleSource(js, 'bad.js')).toThrow(message)
  })
})
