import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  compileRunModule,
  compileRunModuleSync,
  RunClassCompileError
} from '../../../src-main/engine/compile'
import { copyFixture, makeTempDir } from '../exec/helpers'

let temp: ReturnType<typeof makeTempDir>
beforeEach(() => {
  temp = makeTempDir()
})
afterEach(() => temp.cleanup())

describe('compileRunModule', () => {
  it('bundles a TypeScript module into a CommonJS file named by its code hash', async () => {
    const file = copyFixture('quickstart.ts', path.join(temp.dir, 'project'))
    const compiled = await compileRunModule(file, { cacheDir: path.join(temp.dir, 'cache') })
    expect(compiled.file).toBe(file)
    expect(compiled.codeHash).toMatch(/^[0-9a-f]{64}$/)
    expect(compiled.bundleFile).toBe(path.join(temp.dir, 'cache', `${compiled.codeHash}.cjs`))
    expect(readFileSync(compiled.bundleFile, 'utf8')).toBe(compiled.code)
    expect(compiled.code).toContain('//# sourceMappingURL=data:application/json;base64,')
    expect(compiled.entryEsm).toMatch(/class ExampleRun extends Run/)
    expect(compiled.entryEsm).not.toContain('number[]')
  })

  it('keeps the code hash when the project folder moves', async () => {
    const first = await compileRunModule(copyFixture('named-export.ts', path.join(temp.dir, 'a')), {
      cacheDir: path.join(temp.dir, 'cache')
    })
    const second = await compileRunModule(
      copyFixture('named-export.ts', path.join(temp.dir, 'b', 'deeper')),
      { cacheDir: path.join(temp.dir, 'cache') }
    )
    expect(second.codeHash).toBe(first.codeHash)
    expect(second.bundleFile).toBe(first.bundleFile)
  })

  it('changes the code hash when an imported file changes', async () => {
    const file = copyFixture('named-export.ts', temp.dir)
    const before = await compileRunModule(file, { cacheDir: temp.dir })
    writeFileSync(
      path.join(temp.dir, 'helpers', 'scale.ts'),
      'export function scale(x: number): number {\n  return x * 100\n}\n'
    )
    const after = await compileRunModule(file, { cacheDir: temp.dir })
    expect(after.codeHash).not.toBe(before.codeHash)
  })

  it('gives the same output from the synchronous compiler', async () => {
    const file = copyFixture('quickstart.ts', temp.dir)
    const asyncResult = await compileRunModule(file, { cacheDir: temp.dir })
    const syncResult = compileRunModuleSync(file, { cacheDir: temp.dir })
    expect(syncResult).toEqual(asyncResult)
  })

  it('reports each compile error as file:line:col with structured diagnostics', async () => {
    const file = path.join(temp.dir, 'broken.ts')
    writeFileSync(
      file,
      "import { Run } from 'batchdesk'\n\nexport default class BrokenRun extends Run {\n  run({ A = 0 }) {\n    const x: number = (A +\n    return { x }\n  }\n}\n"
    )
    const error = await compileRunModule(file, { cacheDir: temp.dir }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RunClassCompileError)
    const compileError = error as RunClassCompileError
    expect(compileError.diagnostics[0]).toMatchObject({ file, line: 6, column: 5 })
    expect(compileError.message).toContain(`${file}:6:5: Unexpected "return"`)
    expect(() => compileRunModuleSync(file, { cacheDir: temp.dir })).toThrow(
      `${file}:6:5: Unexpected "return"`
    )
  })

  it('reports an import that does not resolve at the line of the import', async () => {
    const file = path.join(temp.dir, 'missing-import.ts')
    writeFileSync(
      file,
      "import { Run } from 'batchdesk'\nimport { nothing } from './nowhere'\n\nexport default class R extends Run {\n  run() {\n    return nothing\n  }\n}\n"
    )
    const error = (await compileRunModule(file, { cacheDir: temp.dir }).catch(
      (e: unknown) => e
    )) as RunClassCompileError
    expect(error.message).toContain(`${file}:2:25: Could not resolve "./nowhere"`)
  })

  it('reports a missing file as a compile error naming it', async () => {
    const file = path.join(temp.dir, 'absent.ts')
    await expect(compileRunModule(file, { cacheDir: temp.dir })).rejects.toThrow(`${file}: file not found`)
    expect(existsSync(path.join(temp.dir, 'absent.ts'))).toBe(false)
  })
})
