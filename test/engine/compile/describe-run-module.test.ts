import { existsSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { describeRunModule, loadRunClass, runClassInfo } from '../../../src-main/engine/compile'
import { copyFixture, makeTempDir } from '../exec/helpers'

let temp: ReturnType<typeof makeTempDir>
beforeEach(() => {
  temp = makeTempDir()
})
afterEach(() => temp.cleanup())

describe('describeRunModule', () => {
  it.each(['quickstart.ts', 'named-export.ts', 'cpu-bound.ts'])(
    'describes %s exactly as loadRunClass does',
    async (name) => {
      const file = copyFixture(name, temp.dir)
      const described = await describeRunModule(file, { cacheDir: temp.dir })
      const loaded = runClassInfo(loadRunClass(file, { cacheDir: temp.dir }))
      expect(described).toEqual(loaded)
    }
  )

  it('does not run the module', async () => {
    const marker = path.join(temp.dir, 'ran.txt')
    const file = path.join(temp.dir, 'side-effect.ts')
    writeFileSync(
      file,
      `import { Run } from 'batchdesk'\nimport { writeFileSync } from 'node:fs'\nwriteFileSync(${JSON.stringify(marker)}, 'ran')\n` +
        `export default class SideEffectRun extends Run {\n  run({ n = 1 }) {\n    return { n }\n  }\n}\n`
    )
    const info = await describeRunModule(file, { cacheDir: temp.dir })
    expect(info.name).toBe('SideEffectRun')
    expect(info.parameters.map((p) => p.name)).toEqual(['n'])
    expect(existsSync(info.ref!.bundleFile)).toBe(true)
    expect(existsSync(marker)).toBe(false)
  })

  it('names the file and line of a parameter default that is not a literal', async () => {
    const file = path.join(temp.dir, 'computed.ts')
    writeFileSync(
      file,
      "import { Run } from 'batchdesk'\nexport default class C extends Run {\n  run({ n = Date.now() }) {\n    return { n }\n  }\n}\n"
    )
    await expect(describeRunModule(file, { cacheDir: temp.dir })).rejects.toThrow(`${file}:3`)
  })
})
