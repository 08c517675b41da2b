import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportPack, importPack, importPackInWorker, PackError } from '../../../src-main/engine/packs'
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

/** A small deterministic random generator (mulberry32), so a failure can be replayed from its iteration. */
function random(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

let dir: string
let original: Buffer
let entries: CraftedEntry[]

beforeAll(async () => {
  dir = makeTempFolder()
  const source = await makeProject(path.join(dir, 'theirs'), { sweep: exoticRuns(6), other: exoticRuns(2) })
  const pack = path.join(dir, 'good.bdpack')
  await withProject(source, (project) => exportPack(project, pack))
  original = readFileSync(pack)
  entries = (await readZip(pack)).map((entry) => ({ name: entry.name, data: entry.data }))
})
afterAll(() => removeFolder(dir))

/** One mutated pack: flipped bytes (anywhere, or in the zip's directory at the end), a cut, inserted bytes, or duplicated entries. */
function mutate(next: () => number): { bytes: Buffer; how: string } {
  const pick = (n: number) => Math.floor(next() * n)
  const kind = pick(5)
  if (kind === 0 || kind === 1) {
    const bytes = Buffer.from(original)
    const flips = 1 + pick(8)
    const from = kind === 1 ? Math.floor(bytes.length * 0.7) : 0
    for (let i = 0; i < flips; i++) bytes[from + pick(bytes.length - from)] ^= 1 << pick(8)
    return { bytes, how: `${flips} flipped bytes${kind === 1 ? ' near the end' : ''}` }
  }
  if (kind === 2) {
    const length = pick(original.length)
    return { bytes: original.subarray(0, length), how: `cut to ${length} bytes` }
  }
  if (kind === 3) {
    const at = pick(original.length)
    const junk = Buffer.from(Array.from({ length: 1 + pick(64) }, () => pick(256)))
    return {
      bytes: Buffer.concat([original.subarray(0, at), junk, original.subarray(at)]),
      how: `${junk.length} bytes inserted at ${at}`
    }
  }
  const copy = entries[pick(entries.length)]
  const renamed = next() < 0.5 ? copy : { ...copy, name: copy.name.replace(/\d{6}/, '000099') }
  const list = [...entries]
  list.splice(pick(list.length + 1), 0, renamed)
  return { bytes: craftZip(list), how: `entry ${copy.name} duplicated as ${renamed.name}` }
}

describe('importing mutated packs', () => {
  it('never crashes: 2,000 byte-flipped, cut and duplicated packs end in an import or a clean PackError, and nothing is written outside the project', async () => {
    const target = await makeEmptyProject(path.join(dir, 'mine'))
    const outside = snapshotTree(dir, [target])
    const next = random(20261125)
    const outcomes = new Map<string, number>()
    const crashes: string[] = []
    await withProject(target, async (project) => {
      for (let i = 0; i < 2000; i++) {
        const { bytes, how } = mutate(next)
        const file = path.join(dir, 'mutated.bdpack')
        writeFileSync(file, bytes)
        try {
          const report = await importPack(file, project)
          const key = report.rejected.length > 0 ? 'imported, some runs rejected' : 'imported'
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1)
        } catch (error) {
          if (error instanceof PackError) outcomes.set(error.code, (outcomes.get(error.code) ?? 0) + 1)
          else crashes.push(`iteration ${i} (${how}): ${(error as Error).stack}`)
        }
      }
    })
    process.stderr.write(JSON.stringify([...outcomes]) + '\n')
    expect(crashes.slice(0, 3)).toEqual([])
    // The mutations reach every layer: the zip, the manifest, the records.
    expect(outcomes.get('NOT_A_PACK')).toBeGreaterThan(0)
    expect(outcomes.get('UNSAFE_ENTRY')).toBeGreaterThan(0)
    expect(outcomes.get('MANIFEST')).toBeGreaterThan(0)
    expect(outcomes.get('imported, some runs rejected')).toBeGreaterThan(0)
    const outsideAfter = snapshotTree(dir, [target])
    outsideAfter.delete(path.join(dir, 'mutated.bdpack'))
    outside.delete(path.join(dir, 'mutated.bdpack'))
    expect(outsideAfter).toEqual(outside)
    expect(existsSync(path.join(target, '.batchdesk-import.json'))).toBe(false)
  }, 120_000)

  it('gives the same clean errors through the worker thread', async () => {
    const target = await makeEmptyProject(path.join(dir, 'mine-worker'))
    const next = random(7)
    const crashes: string[] = []
    let packErrors = 0
    await withProject(target, async (project) => {
      for (let i = 0; i < 40; i++) {
        const { bytes, how } = mutate(next)
        const file = path.join(dir, 'mutated-w.bdpack')
        writeFileSync(file, bytes)
        try {
          await importPackInWorker(file, project)
        } catch (error) {
          if (error instanceof PackError) packErrors++
          else crashes.push(`iteration ${i} (${how}): ${(error as Error).message}`)
        }
      }
    })
    expect(crashes).toEqual([])
    expect(packErrors).toBeGreaterThan(0)
  }, 120_000)
})
