import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { AppService } from '../../src-main/api/app-service'
import { localApi } from '../../src-main/api/local-api'
import { packFailure } from '../../src-main/api/pack-preview'
import { PackError } from '../../src-main/engine/packs'
import { UPLOAD_CHUNK_BYTES } from '../../src-preload/contract'
import { collectEvents, createService, executeAndWait, openQuickstart, tempDir, valueOf } from './helpers'

const legacyFolder = path.resolve(__dirname, '../fixtures/packs/batchpy_res')

/**
 * A pack made the way a colleague would: the quickstart computed, then the runs with A <= 3 exported
 * (one service, closed again before the tests use the file).
 */
async function makePack(): Promise<{ file: string; runs: number; source: string }> {
  const service = createService()
  try {
    const dir = await openQuickstart(service)
    await executeAndWait(service, 'example')
    valueOf(await localApi(service).settings.set({ author: 'Ada' }))
    const file = path.join(tempDir('bd-pack-'), 'shared.bdpack')
    const exported = valueOf(
      await localApi(service).packs.export({ file, batch: 'example', conditions: ['A<=3'] })
    )
    return { file, runs: exported.runs, source: readFileSync(path.join(dir, 'example_run.ts'), 'utf8') }
  } finally {
    await service.dispose()
  }
}

describe('result pack calls', () => {
  let service: AppService
  let pack: { file: string; runs: number; source: string }
  beforeAll(async () => {
    pack = await makePack()
  }, 60_000)
  afterEach(async () => {
    await service?.dispose()
  })

  const badInputs: [string, string, unknown][] = [
    ['a relative pack path', 'packs.inspect', { file: 'shared.bdpack' }],
    ['a number as the pack', 'packs.inspect', { file: 42 }],
    ['an empty path', 'packs.inspect', { file: '' }],
    ['a path with a NUL byte', 'packs.inspect', { file: '/tmp/a\u0000b.bdpack' }],
    ['an unknown conflict policy', 'packs.import', { file: '/tmp/a.bdpack', conflicts: 'overwrite' }],
    ['a relative target folder', 'packs.import', { file: '/tmp/a.bdpack', into: { dir: 'x', create: true } }],
    ['a target without create', 'packs.inspect', { file: '/tmp/a.bdpack', into: { dir: '/tmp/x' } }],
    ['an export without .bdpack', 'packs.export', { file: '/tmp/results.zip' }],
    ['an export of a batch with a path in it', 'packs.export', { file: '/tmp/a.bdpack', batch: '../x' }],
    ['conditions that are not text', 'packs.export', { file: '/tmp/a.bdpack', conditions: [1] }],
    ['a source path that climbs out', 'packs.code', { file: '/tmp/a.bdpack', path: '../etc/passwd.ts' }],
    ['a source path that is not code', 'packs.code', { file: '/tmp/a.bdpack', path: 'example/notes.txt' }],
    ['a legacy folder without batch', 'packs.inspectLegacy', { folder: '/tmp' }],
    ['an empty upload', 'packs.uploadBegin', { name: 'a.bdpack', bytes: 0 }],
    ['an upload over 2 GB', 'packs.uploadBegin', { name: 'a.bdpack', bytes: 3 * 1024 ** 3 }],
    ['an upload id that is not hex', 'packs.uploadEnd', { upload: '../../etc' }],
    ['a source kind that does not exist', 'packs.pickSource', { kind: 'folder' }]
  ]

  it.each(badInputs)('rejects %s with INVALID_ARGUMENT', async (_what, name, input) => {
    service = createService()
    expect(await service.call(name, input)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
  })

  it('says which pack file is missing, and that a folder or a foreign file is not a pack', async () => {
    service = createService()
    await openQuickstart(service)
    const api = localApi(service)
    const missing = await api.packs.inspect({ file: '/nonexistent/shared.bdpack' })
    expect(missing).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
    if (!missing.ok) expect(missing.error.message).toContain('/nonexistent/shared.bdpack')
    const folder = await api.packs.inspect({ file: tempDir() })
    expect(folder).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    const text = path.join(tempDir(), 'notes.bdpack')
    writeFileSync(text, 'not a zip at all')
    const foreign = await api.packs.inspect({ file: text })
    expect(foreign).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    if (!foreign.ok) expect(foreign.error.message).toMatch(/notes\.bdpack/)
  })

  it('maps a pack that changed while importing to CONFLICT and other refusals to INVALID_ARGUMENT', () => {
    expect(packFailure(new PackError('CHANGED', 'x changed'))).toMatchObject({ code: 'CONFLICT' })
    expect(packFailure(new PackError('UNSAFE_ENTRY', 'bad name'))).toMatchObject({ code: 'INVALID_ARGUMENT' })
    const other = new Error('disk')
    expect(packFailure(other)).toBe(other)
  })

  it('exports the filtered runs of a batch, and refuses to replace a file unless asked', async () => {
    expect(pack.runs).toBeGreaterThan(0)
    expect(pack.runs).toBeLessThan(62)
    service = createService()
    await openQuickstart(service)
    await executeAndWait(service, 'example')
    const api = localApi(service)
    const again = await api.packs.export({ file: pack.file, batch: 'example', conditions: ['A<=3'] })
    expect(again).toMatchObject({ ok: false, error: { code: 'CONFLICT' } })
    const file = path.join(tempDir(), 'nested', 'folder', 'all.bdpack')
    const all = valueOf(await api.packs.export({ file }))
    expect(all).toMatchObject({ file, runs: 62, skipped: 0, batches: [{ name: 'example', runs: 62 }] })
    expect(statSync(file).size).toBe(all.bytes)
    const replaced = valueOf(await api.packs.export({ file, conditions: ['A=1'], overwrite: true }))
    expect(replaced.runs).toBeLessThan(62)
    const unknown = await api.packs.export({ file, batch: 'example', conditions: ['Z>1'], overwrite: true })
    expect(unknown).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    const none = await api.packs.export({ file, batch: 'example', conditions: ['A>1000'], overwrite: true })
    expect(none).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    if (!none.ok) expect(none.error.message).toContain('Nothing to export')
  })

  it('suggests an export location under ~/Batchdesk/exports named after project, batch and date', async () => {
    service = createService()
    await openQuickstart(service)
    const location = valueOf(await localApi(service).packs.exportLocation({ batch: 'example' }))
    expect(location.dir).toMatch(/Batchdesk[/\\]exports$/)
    expect(location.name).toMatch(/^Quickstart-example-\d{4}-\d{2}-\d{2}(-\d+)?\.bdpack$/)
    expect(location.file).toBe(path.join(location.dir, location.name))
  })

  it('inspects a pack against the open project without writing anything', async () => {
    service = createService()
    const dir = await openQuickstart(service)
    const before = readdirSync(dir).sort()
    const preview = valueOf(await localApi(service).packs.inspect({ file: pack.file }))
    expect(preview).toMatchObject({
      file: pack.file,
      fileName: 'shared.bdpack',
      kind: 'pack',
      author: 'Ada',
      project: 'Quickstart',
      app: { name: 'batchdesk' },
      totals: { listed: pack.runs, new: pack.runs, present: 0, conflicting: 0, rejected: 0 },
      batches: [{ name: 'example', listed: pack.runs, new: pack.runs, inProject: true }],
      code: [{ batch: 'example', file: 'example_run.ts' }],
      target: { dir, name: 'Quickstart', create: false }
    })
    expect(Date.parse(preview.createdAt)).toBeGreaterThan(Date.now() - 600_000)
    expect(readdirSync(dir).sort()).toEqual(before)
  })

  it('imports into the open project: runs appear with their origin, chartable, and projectChanged is pushed', async () => {
    service = createService()
    await openQuickstart(service)
    const changed = collectEvents(service, 'projectChanged')
    const api = localApi(service)
    const summary = valueOf(await api.packs.import({ file: pack.file }))
    expect(summary).toMatchObject({ imported: pack.runs, addedBatches: [], keptBoth: [] })
    expect(summary.project.batches[0].counts.cached).toBe(pack.runs)
    expect(changed.at(-1)).toMatchObject({ reason: 'changed' })

    const page = valueOf(await api.runs.list({ batch: 'example', status: ['cached'], limit: 1000 }))
    expect(page.total).toBe(pack.runs)
    expect(page.rows.every((row) => Number(row.parameters.A) <= 3)).toBe(true)
    expect(page.rows[0].origin).toMatchObject({ source: 'shared.bdpack', author: 'Ada' })
    expect(page.rows[0].origin?.packCreatedAt).toBeTruthy()
    const details = valueOf(await api.runs.details({ batch: 'example', index: page.rows[0].index }))
    expect(details.origin).toMatchObject({ source: 'shared.bdpack', author: 'Ada' })
    const columns = valueOf(
      await api.results.columns({
        batch: 'example',
        fields: [
          { kind: 'parameter', name: 'A' },
          { kind: 'result', name: 'val' }
        ]
      })
    )
    expect(columns.total).toBe(pack.runs)
    expect(columns.columns[1].values.every((value) => typeof value === 'number')).toBe(true)

    // Importing again finds everything present and writes nothing.
    const twice = valueOf(await api.packs.import({ file: pack.file }))
    expect(twice.imported).toBe(0)
    expect(twice.preview.totals).toMatchObject({ new: 0, present: pack.runs })
  })

  it('keeps your results on conflicts, and with keep-both stores theirs in a batch beside', async () => {
    service = createService()
    const dir = await openQuickstart(service)
    const file = path.join(dir, 'example_run.ts')
    const api = localApi(service)
    // The same parameters (same ids) with another result: a colleague's code differs from yours.
    valueOf(
      await api.runClasses.save({
        batch: 'example',
        source: readFileSync(file, 'utf8').replace('val: A * operator(B)', 'val: A * operator(B) + 0.5')
      })
    )
    await executeAndWait(service, 'example')
    const mine = valueOf(await api.runs.list({ batch: 'example', conditions: ['A<=3'], limit: 1000 }))

    const preview = valueOf(await api.packs.inspect({ file: pack.file }))
    expect(preview.totals).toMatchObject({ new: 0, conflicting: pack.runs })
    expect(preview.conflicts[0].reason).toContain('different result')

    const keptMine = valueOf(await api.packs.import({ file: pack.file, conflicts: 'keep-mine' }))
    expect(keptMine.imported).toBe(0)
    const after = valueOf(await api.runs.list({ batch: 'example', conditions: ['A<=3'], limit: 1000 }))
    expect(after.rows.map((row) => row.results.val)).toEqual(mine.rows.map((row) => row.results.val))
    expect(after.rows.every((row) => row.origin === undefined)).toBe(true)

    const both = valueOf(await api.packs.import({ file: pack.file, conflicts: 'keep-both' }))
    expect(both.keptBoth).toHaveLength(1)
    const into = both.keptBoth[0].into
    expect(into).toMatch(/^example\.imported-\d{8}$/)
    expect(both.addedBatches).toEqual([into])
    const theirs = both.project.batches.find((batch) => batch.name === into)!
    expect(theirs).toMatchObject({ runs: pack.runs, imported: { source: 'shared.bdpack', author: 'Ada' } })
    const theirRows = valueOf(await api.runs.list({ batch: into, limit: 1000 }))
    expect(theirRows.rows[0].origin?.source).toBe('shared.bdpack')
    expect(existsSync(path.join(dir, 'imported', into, 'example_run.ts'))).toBe(true)
  })

  it('previews an import into a new project without creating it, then creates and opens it', async () => {
    service = createService()
    const api = localApi(service)
    const dir = path.join(tempDir(), 'from-ada')
    const into = { dir, create: true, name: 'From Ada' }
    const preview = valueOf(await api.packs.inspect({ file: pack.file, into }))
    expect(preview.target).toEqual({ dir, name: 'From Ada', create: true })
    expect(preview.batches[0]).toMatchObject({ new: pack.runs, inProject: false })
    expect(existsSync(dir)).toBe(false)

    const opened = collectEvents(service, 'projectChanged')
    const summary = valueOf(await api.packs.import({ file: pack.file, into }))
    expect(summary.addedBatches).toEqual(['example'])
    expect(summary.project).toMatchObject({ dir, name: 'From Ada' })
    expect(summary.project.batches[0]).toMatchObject({ name: 'example', runs: pack.runs })
    expect(opened.at(-1)).toMatchObject({ reason: 'opened', project: { dir } })
    expect(service.project?.dir).toBe(dir)
    // The imported batch is results only: its code is kept for reference and never loaded.
    expect(summary.project.batches[0].imported).toMatchObject({ source: 'shared.bdpack' })
    expect(readFileSync(path.join(dir, 'imported', 'example', 'example_run.ts'), 'utf8')).toBe(pack.source)

    const again = await api.packs.inspect({ file: pack.file, into })
    expect(again).toMatchObject({ ok: false, error: { code: 'CONFLICT' } })
  })

  it("never runs or rewrites an imported batch's code: it is someone else's, kept for reference", async () => {
    service = createService()
    const api = localApi(service)
    const dir = path.join(tempDir(), 'from-ada')
    valueOf(await api.packs.import({ file: pack.file, into: { dir, create: true } }))
    const code = path.join(dir, 'imported', 'example', 'example_run.ts')
    // Reading it is fine.
    expect(valueOf(await api.runClasses.get({ batch: 'example' })).source).toBe(pack.source)
    for (const [name, input] of [
      ['runClasses.tryOnce', { batch: 'example', parameters: {} }],
      ['runClasses.tryOnce', { batch: 'example', source: pack.source, parameters: {} }],
      ['runClasses.save', { batch: 'example', source: '// mine now' }]
    ] as const) {
      expect(await service.call(name, input)).toMatchObject({
        ok: false,
        error: { code: 'CONFLICT', message: expect.stringContaining('never run') }
      })
    }
    expect(readFileSync(code, 'utf8')).toBe(pack.source)
  })

  it('imports into another project folder and opens it', async () => {
    service = createService()
    const other = await openQuickstart(service)
    await service.closeProject()
    const api = localApi(service)
    const preview = valueOf(await api.packs.inspect({ file: pack.file, into: { dir: other, create: false } }))
    expect(preview.target).toMatchObject({ dir: other, create: false })
    const summary = valueOf(await api.packs.import({ file: pack.file, into: { dir: other, create: false } }))
    expect(summary.imported).toBe(pack.runs)
    expect(service.project?.dir).toBe(other)
    const notProject = await api.packs.inspect({ file: pack.file, into: { dir: tempDir(), create: false } })
    expect(notProject).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
  })

  it('waits for a computing batch to finish before importing into its project', async () => {
    service = createService()
    const dir = path.join(tempDir(), 'slow')
    cpSync(path.resolve(__dirname, '../fixtures/projects/slow'), dir, { recursive: true })
    const api = localApi(service)
    valueOf(await api.projects.open({ dir }))
    valueOf(await api.batches.execute({ batch: 'slow' }))
    const refused = await api.packs.import({ file: pack.file })
    expect(refused).toMatchObject({ ok: false, error: { code: 'CONFLICT' } })
    if (!refused.ok) expect(refused.error.message).toContain('wait for it to finish')
    valueOf(await api.batches.cancel({ batch: 'slow' }))
    // Looking at the pack meanwhile is fine.
    expect(valueOf(await api.packs.inspect({ file: pack.file })).batches[0].inProject).toBe(false)
  })

  it('needs an open project when no target is given', async () => {
    service = createService()
    expect(await localApi(service).packs.inspect({ file: pack.file })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND', message: expect.stringContaining('No project is open') }
    })
  })

  it('refuses to import into a project open read-only', async () => {
    const owner = createService()
    try {
      const dir = await openQuickstart(owner)
      service = createService()
      const api = localApi(service)
      valueOf(await api.projects.open({ dir, readOnly: true }))
      expect(await api.packs.import({ file: pack.file })).toMatchObject({
        ok: false,
        error: { code: 'CONFLICT', message: expect.stringContaining('read-only') }
      })
      // Looking is fine.
      expect(valueOf(await api.packs.inspect({ file: pack.file })).totals.new).toBe(pack.runs)
    } finally {
      await owner.dispose()
    }
  })

  it('shows a run class source from inside the pack as text, and says when there is none', async () => {
    service = createService()
    const api = localApi(service)
    const code = valueOf(await api.packs.code({ file: pack.file, path: 'example/example_run.ts' }))
    expect(code).toEqual({
      batch: 'example',
      file: 'example_run.ts',
      source: pack.source,
      bytes: Buffer.byteLength(pack.source)
    })
    expect(await api.packs.code({ file: pack.file, path: 'example/other.ts' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' }
    })
  })

  it('takes a dropped file as ordered chunks and answers a temp path that inspects like the original', async () => {
    service = createService()
    await openQuickstart(service)
    const api = localApi(service)
    const bytes = readFileSync(pack.file)
    const { upload, chunkBytes } = valueOf(
      await api.packs.uploadBegin({ name: 'dropped ../x.bdpack', bytes: bytes.length })
    )
    expect(chunkBytes).toBe(UPLOAD_CHUNK_BYTES)
    const half = Math.ceil(bytes.length / 2)
    const outOfOrder = await api.packs.uploadChunk({
      upload,
      offset: half,
      data: bytes.subarray(half).toString('base64')
    })
    expect(outOfOrder).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    for (const offset of [0, half])
      valueOf(
        await api.packs.uploadChunk({
          upload,
          offset,
          data: bytes.subarray(offset, Math.min(bytes.length, offset + half)).toString('base64')
        })
      )
    const { file } = valueOf(await api.packs.uploadEnd({ upload }))
    expect(path.basename(file)).toBe('dropped_.._x.bdpack')
    expect(readFileSync(file).equals(bytes)).toBe(true)
    expect(valueOf(await api.packs.inspect({ file })).totals.new).toBe(pack.runs)
    valueOf(await api.packs.uploadCancel({ upload }))
    expect(existsSync(file)).toBe(false)
    expect(await api.packs.uploadEnd({ upload })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
  })

  it('refuses an upload that ends before all its bytes came', async () => {
    service = createService()
    const api = localApi(service)
    const { upload } = valueOf(await api.packs.uploadBegin({ name: 'short.bdpack', bytes: 10 }))
    valueOf(await api.packs.uploadChunk({ upload, offset: 0, data: Buffer.from('12345').toString('base64') }))
    expect(await api.packs.uploadEnd({ upload })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('5 of 10 bytes') }
    })
  })

  it('lists folders and pack files, and the batchpy batches of a _res folder', async () => {
    service = createService()
    const api = localApi(service)
    const dir = tempDir()
    mkdirSync(path.join(dir, 'sub'))
    mkdirSync(path.join(dir, '.hidden'))
    writeFileSync(path.join(dir, 'b.bdpack'), 'x')
    writeFileSync(path.join(dir, 'a.zip'), 'x')
    writeFileSync(path.join(dir, 'notes.txt'), 'x')
    const listing = valueOf(await api.packs.browse({ dir }))
    expect(listing.entries.map((entry) => [entry.name, entry.kind])).toEqual([
      ['sub', 'folder'],
      ['a.zip', 'pack'],
      ['b.bdpack', 'pack']
    ])
    expect(listing.entries[2].bytes).toBe(1)
    expect(listing.parent).toBe(path.dirname(dir))
    expect(valueOf(await api.packs.browse({ dir: legacyFolder })).legacyBatches).toEqual(['example', 'other'])
    expect(await api.packs.browse({ dir: path.join(dir, 'missing') })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' }
    })
  })

  it('previews and imports batchpy results into a new batch', async () => {
    service = createService()
    await openQuickstart(service)
    const api = localApi(service)
    const preview = valueOf(await api.packs.inspectLegacy({ folder: legacyFolder, batch: 'other' }))
    expect(preview).toMatchObject({ kind: 'legacy', app: { name: 'batchpy' } })
    expect(preview.batches[0]).toMatchObject({ name: 'other', inProject: false })
    const summary = valueOf(await api.packs.importLegacy({ folder: legacyFolder, batch: 'other' }))
    expect(summary.addedBatches).toEqual(['other'])
    expect(summary.imported).toBe(preview.totals.new)
    const rows = valueOf(await api.runs.list({ batch: 'other' }))
    expect(rows.total).toBe(summary.imported)
    expect(rows.rows[0].origin?.source).toBe('batchpy_res')
    expect(await api.packs.importLegacy({ folder: legacyFolder, batch: 'nothing' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('no batchpy results') }
    })
  })
})
