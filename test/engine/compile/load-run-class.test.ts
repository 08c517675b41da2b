import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadRunClass, loadRunModuleExports, runClassInfo } from '../../../src-main/engine/compile'
import { FunctionRef } from '../../../src-main/engine/params/function-ref'
import { Run } from '../../../src-main/engine/run-api'
import { copyFixture, fixtures, makeTempDir } from '../exec/helpers'

let temp: ReturnType<typeof makeTempDir>
beforeEach(() => {
  temp = makeTempDir()
})
afterEach(() => temp.cleanup())

describe('loadRunClass', () => {
  it('returns the default export, a subclass of Run that carries its info', () => {
    const file = copyFixture('quickstart.ts', temp.dir)
    const ExampleRun = loadRunClass(file, { cacheDir: temp.dir })
    expect(ExampleRun.name).toBe('ExampleRun')
    expect(ExampleRun.prototype).toBeInstanceOf(Run)
    const info = runClassInfo(ExampleRun)!
    expect(info.name).toBe('ExampleRun')
    expect(info.sourceFile).toBe(file)
    expect(info.functionExports).toEqual(['max', 'min'])
    expect(info.parameters.map((p) => [p.name, p.kind])).toEqual([
      ['A', 'number'],
      ['B', 'array'],
      ['operator', 'function']
    ])
    expect(info.parameters[2].default).toEqual(new FunctionRef('max'))
    expect(info.ref).toEqual({
      codeHash: info.codeHash,
      bundleFile: path.join(temp.dir, `${info.codeHash}.cjs`),
      exportName: 'default',
      sourceFile: file
    })
  })

  it('gives a class whose run() sees its parameters as this.parameters', () => {
    const ExampleRun = loadRunClass(path.join(fixtures, 'quickstart.ts'), { cacheDir: temp.dir })
    const run = new ExampleRun().bindStandalone({ A: 2, B: [1, 5] })
    expect(run.parameters).toEqual({ A: 2, B: [1, 5] })
  })

  it('returns the same class when the module is loaded twice', () => {
    const file = copyFixture('quickstart.ts', temp.dir)
    expect(loadRunClass(file, { cacheDir: temp.dir })).toBe(loadRunClass(file, { cacheDir: temp.dir }))
  })

  it('takes the only exported Run subclass when there is no default export', () => {
    const NamedRun = loadRunClass(copyFixture('named-export.ts', temp.dir), { cacheDir: temp.dir })
    expect(NamedRun.name).toBe('NamedRun')
    expect(runClassInfo(NamedRun)!.ref!.exportName).toBe('NamedRun')
    expect(runClassInfo(NamedRun)!.functionExports).toEqual(['square'])
  })

  it('rejects a module whose default export is not a class that extends Run', () => {
    const file = copyFixture('not-a-run.ts', temp.dir)
    expect(() => loadRunClass(file, { cacheDir: temp.dir })).toThrow(
      `${file}: the default export must be a class that extends Run and has a run() method`
    )
  })

  it('rejects a subclass of Run without its own run() method', () => {
    const file = path.join(temp.dir, 'no-run.ts')
    writeFileSync(file, "import { Run } from 'batchdesk'\nexport default class Lazy extends Run {}\n")
    expect(() => loadRunClass(file, { cacheDir: temp.dir })).toThrow(
      'the default export must be a class that extends Run and has a run() method'
    )
  })

  it('points the stack of an error thrown in run() at the line of the TypeScript source', () => {
    const file = copyFixture('throws.ts', temp.dir)
    const ThrowingRun = loadRunClass(file, { cacheDir: temp.dir })
    const run = new ThrowingRun().bindStandalone({ value: 5 })
    let stack = ''
    // Vitest installs its own Error.prepareStackTrace, which hides Node's source-map support: step aside
    // so the stack is formatted as in plain Node (the CLI, Electron).
    const vitestPrepare = Error.prepareStackTrace
    delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace
    try {
      run.run({ value: 5 })
    } catch (error) {
      stack = (error as Error).stack ?? ''
    } finally {
      Error.prepareStackTrace = vitestPrepare
    }
    const line =
      readFileSync(file, 'utf8')
        .split('\n')
        .findIndex((text) => text.includes('throw new Error')) + 1
    expect(stack).toContain('value 5 is above the limit')
    expect(stack).toContain(`${file}:${line}:`)
  })

  it('gives the module its own folder as __dirname and the files next to it to read', () => {
    const file = copyFixture('named-export.ts', temp.dir)
    const NamedRun = loadRunClass(file, { cacheDir: path.join(temp.dir, 'cache') })
    const result = new NamedRun()
      .bindStandalone({ x: 3 })
      .run({ x: 3, _secret: 's', transform: (x: number) => x + 1 }) as Record<string, unknown>
    expect(result).toMatchObject({ y: 40, here: temp.dir, readable: true })
  })
})

describe('loadRunModuleExports', () => {
  it("returns the module's exports, functions included", () => {
    const exports = loadRunModuleExports(path.join(fixtures, 'quickstart.ts'), { cacheDir: temp.dir })
    expect((exports.max as (xs: number[]) => number)([3, 9, 4])).toBe(9)
    expect(exports.default).toBe(loadRunClass(path.join(fixtures, 'quickstart.ts'), { cacheDir: temp.dir }))
  })
})
