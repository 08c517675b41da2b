import { spawn } from 'node:child_process'
import { cpSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportPack, importPack } from '../../../src-main/engine/packs'
import { Project } from '../../../src-main/engine/project/project'
import { acquireStore } from '../../../src-main/engine/store'
import {
  makeEmptyProject,
  makeProject,
  makeTempFolder,
  manifestText,
  removeFolder,
  withProject,
  type StoredRun
} from './helpers'

const root = path.resolve(__dirname, '../../..')
const RUNS = 3000

let dir: string
let pack: string
let empty: string

beforeAll(async () => {
  dir = makeTempFolder()
  const runs: StoredRun[] = Array.from({ length: RUNS }, (_, n) => ({
    parameters: { n },
    result: { curve: Float64Array.from({ length: 500 }, (_, i) => Math.cos(n * i)) }
  }))
  const source = await makeProject(path.join(dir, 'theirs'), { sweep: runs })
  pack = path.join(dir, 'big.bdpack')
  await withProject(source, (project) => exportPack(project, pack))
  empty = await makeEmptyProject(path.join(dir, 'empty'))
}, 120_000)
afterAll(() => removeFolder(dir))

function resultBytes(resDir: string): number {
  if (!existsSync(resDir)) return 0
  return readdirSync(resDir)
    .filter((name) => name.endsWith('.bdseg') || name.endsWith('.bdr'))
    .reduce((total, name) => total + statSync(path.join(resDir, name)).size, 0)
}

function storedCount(project: string): { runs: number; corrupt: number } {
  const store = acquireStore(path.join(project, '_res'))
  try {
    const ids = store.storedIds('sweep')
    return { runs: ids.size, corrupt: [...ids.values()].filter((info) => info.corrupt).length }
  } finally {
    store.release()
  }
}

/** Starts `batchdesk import` and kills it with SIGKILL once `ready()` holds (or it ends by itself). */
async function importKilledWhen(project: string, ready: () => boolean): Promise<void> {
  const child = spawn(process.execPath, [path.join(root, 'bin/batchdesk.js'), 'import', project, pack], {
    stdio: 'ignore'
  })
  let exited = false
  const done = new Promise<void>((resolve) => child.on('exit', () => ((exited = true), resolve())))
  while (!exited && !ready()) await new Promise((resolve) => setImmediate(resolve))
  child.kill('SIGKILL')
  await done
}

describe('an import killed with SIGKILL', () => {
  it.each([
    [
      'as soon as it has started writing (journal written)',
      (p: string) => existsSync(path.join(p, '.batchdesk-import.json'))
    ],
    ['while its results are being written', (p: string) => resultBytes(path.join(p, '_res')) > 0],
    ['after part of its results are on disk', (p: string) => resultBytes(path.join(p, '_res')) > 4_000_000]
  ])(
    '%s leaves the project unchanged or complete, and importing again completes it',
    async (_when, ready) => {
      const project = path.join(dir, `mine-${Math.random().toString(36).slice(2)}`)
      cpSync(empty, project, { recursive: true })
      const manifestBefore = manifestText(project)
      await importKilledWhen(project, () => ready(project))

      const opened = await Project.open(project)
      const visible = opened.manifest.batches.some((batch) => batch.name === 'sweep')
      const visibleRuns = visible ? opened.batch('sweep').batch.runs.length : 0
      opened.close()
      if (visible) expect(visibleRuns).toBe(RUNS)
      else expect(manifestText(project)).toBe(manifestBefore)
      expect(storedCount(project).corrupt).toBe(0)

      const report = await withProject(project, (p) => importPack(pack, p))
      expect(report.rejected).toEqual([])
      expect(report.imported + report.totals.present).toBe(RUNS)
      expect(storedCount(project)).toEqual({ runs: RUNS, corrupt: 0 })
      await withProject(project, async (p) => expect(p.batch('sweep').batch.runs).toHaveLength(RUNS))
      expect(existsSync(path.join(project, '.batchdesk-import.json'))).toBe(false)
    },
    120_000
  )

  it('leaves a journal that the next import reports, and importing the same pack again clears it', async () => {
    const project = path.join(dir, 'mine-journal')
    cpSync(empty, project, { recursive: true })
    await withProject(project, (p) => importPack(pack, p))
    // As if killed between writing the manifest and removing the journal.
    writeFileSync(
      path.join(project, '.batchdesk-import.json'),
      JSON.stringify({ source: pack, startedAt: '2026-11-25T12:00:00.000Z', pid: 1 })
    )
    const again = await withProject(project, (p) => importPack(pack, p))
    expect(again.interruptedImport).toEqual({ source: pack, startedAt: '2026-11-25T12:00:00.000Z', pid: 1 })
    expect(again.imported).toBe(0)
    expect(existsSync(path.join(project, '.batchdesk-import.json'))).toBe(false)
  }, 120_000)
})
