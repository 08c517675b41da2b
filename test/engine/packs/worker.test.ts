import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  exportPack,
  importPackInWorker,
  inspectPack,
  inspectPackInWorker,
  PackError
} from '../../../src-main/engine/packs'
import {
  craftZip,
  exoticRuns,
  makeEmptyProject,
  makeProject,
  makeTempFolder,
  readZip,
  removeFolder,
  storedBodies,
  withProject
} from './helpers'

describe('reading packs in a worker thread', () => {
  let dir: string
  let pack: string
  let source: string
  beforeEach(async () => {
    dir = makeTempFolder()
    source = await makeProject(path.join(dir, 'theirs'), { sweep: exoticRuns(12), other: exoticRuns(2) })
    pack = path.join(dir, 'p.bdpack')
    await withProject(source, (project) => exportPack(project, pack))
  })
  afterEach(() => removeFolder(dir))

  it('gives the same inspection as reading in this thread, and imports the same records', async () => {
    const target = await makeEmptyProject(path.join(dir, 'mine'))
    const inThread = await withProject(target, (project) => inspectPack(pack, project))
    const inWorker = await withProject(target, (project) => inspectPackInWorker(pack, project))
    expect(inWorker).toEqual(inThread)

    // Records cross the thread boundary in chunks the main thread asks for; a tiny chunk size makes many.
    const report = await withProject(target, (project) =>
      importPackInWorker(pack, project, { chunkBytes: 1 })
    )
    expect(report.imported).toBe(14)
    const expected = storedBodies(source, 'sweep')
    const imported = storedBodies(target, 'sweep')
    for (const [id, body] of imported) {
      const record = JSON.parse(body.toString('utf8'))
      expect(
        body.toString('utf8').replace(`"origin":${JSON.stringify(record.origin)}`, '"origin":null')
      ).toBe(expected.get(id)!.toString('utf8'))
    }
  })

  it('passes a refusal through with its code and message', async () => {
    const entries = (await readZip(pack)).map((entry) => ({ name: entry.name, data: entry.data }))
    const evil = path.join(dir, 'evil.bdpack')
    writeFileSync(
      evil,
      craftZip([...entries, { name: 'code/sweep/link.ts', data: Buffer.from('/etc/passwd'), mode: 0o120777 }])
    )
    const target = await makeEmptyProject(path.join(dir, 'mine'))
    const error = await withProject(target, (project) => inspectPackInWorker(evil, project)).catch(
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(PackError)
    expect(error).toMatchObject({
      code: 'UNSAFE_ENTRY',
      message: expect.stringMatching(/evil\.bdpack: the entry code\/sweep\/link\.ts is a symbolic link/)
    })
  })
})
