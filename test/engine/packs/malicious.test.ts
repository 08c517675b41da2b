import { existsSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportPack, importPack, PackError, type PackLimits } from '../../../src-main/engine/packs'
import {
  craftZip,
  exoticRuns,
  makeEmptyProject,
  makeProject,
  makeTempFolder,
  readZip,
  removeFolder,
  snapshotTree,
  withProject,
  type CraftedEntry
} from './helpers'

let dir: string
let good: CraftedEntry[]
let target: string

beforeAll(async () => {
  dir = makeTempFolder()
  const source = await makeProject(path.join(dir, 'theirs'), { sweep: exoticRuns(3) })
  const pack = path.join(dir, 'good.bdpack')
  await withProject(source, (project) => exportPack(project, pack))
  good = (await readZip(pack)).map((entry) => ({ name: entry.name, data: entry.data }))
  target = await makeEmptyProject(path.join(dir, 'mine'))
})
afterAll(() => removeFolder(dir))

const manifest = () => JSON.parse(good.find((e) => e.name === 'manifest.json')!.data.toString('utf8'))
const withManifest = (edit: (m: Record<string, any>) => unknown): CraftedEntry[] => {
  const m = manifest()
  edit(m)
  return good.map((e) => (e.name === 'manifest.json' ? { ...e, data: Buffer.from(JSON.stringify(m)) } : e))
}
const withManifestText = (text: string): CraftedEntry[] =>
  good.map((e) => (e.name === 'manifest.json' ? { ...e, data: Buffer.from(text) } : e))
const extra = (entry: CraftedEntry): CraftedEntry[] => [...good, entry]
const zeros = (bytes: number) => Buffer.alloc(bytes)
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth)

type Case = [string, () => Buffer, PackError['code'], RegExp, Partial<PackLimits>?]

const cases: Case[] = [
  [
    'a "../" entry name',
    () => craftZip(extra({ name: '../evil.sh', data: Buffer.from('rm -rf ~') })),
    'UNSAFE_ENTRY',
    /"\.\.\/evil\.sh" climbs out of its folder/
  ],
  [
    'a "../" inside an entry name',
    () => craftZip(extra({ name: 'results/sweep/../../../x.jsonl', data: zeros(1) })),
    'UNSAFE_ENTRY',
    /climbs out of its folder/
  ],
  [
    'an absolute entry name',
    () => craftZip(extra({ name: '/etc/cron.d/evil', data: zeros(1) })),
    'UNSAFE_ENTRY',
    /"\/etc\/cron\.d\/evil" is an absolute path/
  ],
  [
    'a drive letter',
    () => craftZip(extra({ name: 'C:/Windows/evil.dll', data: zeros(1) })),
    'UNSAFE_ENTRY',
    /is an absolute path/
  ],
  [
    'a backslash path',
    () => craftZip(extra({ name: 'code\\sweep\\..\\..\\evil.ts', data: zeros(1) })),
    'UNSAFE_ENTRY',
    /climbs out|backslash/
  ],
  [
    'an unexpected entry',
    () => craftZip(extra({ name: 'notes.txt', data: zeros(1) })),
    'UNSAFE_ENTRY',
    /is not a name a pack may hold/
  ],
  [
    'a symlink entry',
    () =>
      craftZip(
        good.map((e) =>
          e.name.startsWith('code/') ? { ...e, data: Buffer.from('/etc/passwd'), mode: 0o120777 } : e
        )
      ),
    'UNSAFE_ENTRY',
    /is a symbolic link/
  ],
  [
    'a directory entry',
    () => craftZip(good.map((e) => (e.name.startsWith('code/') ? { ...e, mode: 0o040755 } : e))),
    'UNSAFE_ENTRY',
    /is not a plain file/
  ],
  [
    'a duplicated entry',
    () => craftZip([...good, good.find((e) => e.name === 'manifest.json')!]),
    'UNSAFE_ENTRY',
    /holds the entry manifest\.json twice/
  ],
  [
    'a zip bomb (an entry expanding 1000 times)',
    () =>
      craftZip(good.map((e) => (e.name.startsWith('results/') ? { ...e, data: zeros(2 * 1024 * 1024) } : e))),
    'LIMIT',
    /expands \d+ times .* more than the 200× allowed: this looks like a zip bomb/
  ],
  [
    'an entry bigger than the cap',
    () => craftZip(good.map((e) => (e.name.startsWith('results/') ? { ...e, declaredSize: 2 ** 31 } : e))),
    'LIMIT',
    /unpacks to 2\.0 GiB, more than the 1\.0 GiB allowed/
  ],
  [
    'more bytes than an entry declares',
    () => craftZip(good.map((e) => (e.name === 'manifest.json' ? { ...e, declaredSize: 100 } : e))),
    'MANIFEST',
    /damaged \(more data than the 100 bytes it declares\)/
  ],
  [
    'too many entries',
    () => craftZip(good, { declaredEntryCount: 65_535 }),
    'LIMIT',
    /has 65535 entries, more than the 1000 a pack may hold/,
    { maxEntries: 1000 }
  ],
  [
    'too much in all',
    () => craftZip(good),
    'LIMIT',
    /unpacks to more than 1\.0 KiB, the most a pack may hold/,
    { maxTotalBytes: 1024 }
  ],
  [
    'a huge manifest',
    () =>
      craftZip(good.map((e) => (e.name === 'manifest.json' ? { ...e, declaredSize: 300 * 1024 * 1024 } : e))),
    'LIMIT',
    /manifest\.json unpacks to 300 MiB, more than the 256 MiB allowed/
  ],
  [
    'a manifest nesting 100 levels',
    () => craftZip(withManifest((m) => (m.project = JSON.parse(nested(100))))),
    'LIMIT',
    /manifest\.json nests objects or arrays deeper than 64 levels/
  ],
  [
    'a __proto__ key in the manifest',
    () =>
      craftZip(withManifestText(manifestText0().replace('{"kind"', '{"__proto__":{"polluted":true},"kind"'))),
    'MANIFEST',
    /has the key "__proto__" at __proto__/
  ],
  [
    'a constructor key in listed parameters',
    () =>
      craftZip(
        withManifestText(
          manifestText0().replace(
            '"parameters":{',
            '"parameters":{"constructor":{"prototype":{"polluted":true}},'
          )
        )
      ),
    'MANIFEST',
    /has the key "constructor" at runs\[0\]\.parameters\.constructor/
  ],
  [
    'an unknown manifest field',
    () => craftZip(withManifest((m) => (m.extra = 1))),
    'MANIFEST',
    /does not match the pack format/
  ],
  [
    'a newer pack format',
    () => craftZip(withManifest((m) => (m.format = 2))),
    'VERSION',
    /written by a newer Batchdesk \(pack format 2; this one reads format 1\)/
  ],
  [
    'no manifest',
    () => craftZip(good.filter((e) => e.name !== 'manifest.json')),
    'NOT_A_PACK',
    /has no manifest\.json/
  ],
  [
    'a file that is not a zip',
    () => Buffer.from('PK\u0003\u0004 this is not really a zip file at all'),
    'NOT_A_PACK',
    /is not a readable result pack/
  ],
  ['an empty file', () => Buffer.alloc(0), 'NOT_A_PACK', /is not a readable result pack/]
]

function manifestText0(): string {
  return good.find((e) => e.name === 'manifest.json')!.data.toString('utf8')
}

describe('a malicious pack', () => {
  it.each(cases)(
    'is refused as a whole for %s, and nothing is written',
    async (_what, make, code, message, limits) => {
      const file = path.join(dir, 'evil.bdpack')
      writeFileSync(file, make())
      const before = snapshotTree(dir, [path.join(target, '_res', '.batchdesk')])
      const error = await withProject(target, (project) => importPack(file, project, { limits })).catch(
        (e: unknown) => e
      )
      expect(error).toBeInstanceOf(PackError)
      expect((error as PackError).code).toBe(code)
      expect((error as PackError).message).toMatch(message)
      expect((error as PackError).message).toContain('evil.bdpack')
      expect(snapshotTree(dir, [path.join(target, '_res', '.batchdesk')])).toEqual(before)
      expect(existsSync(path.join(dir, 'evil.sh'))).toBe(false)
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    }
  )

  it('is refused before any entry data is inflated when its central directory declares a bomb', async () => {
    // 2 GiB declared; inflating it would take seconds and memory. The refusal is immediate.
    const file = path.join(dir, 'bomb.bdpack')
    writeFileSync(
      file,
      craftZip(good.map((e) => (e.name.startsWith('results/') ? { ...e, declaredSize: 2 ** 31 - 1 } : e)))
    )
    await expect(withProject(target, (project) => importPack(file, project))).rejects.toThrow(
      /unpacks to 2\.0 GiB/
    )
  })
})
