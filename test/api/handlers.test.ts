import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { AppService } from '../../src-main/api/app-service'
import { localApi } from '../../src-main/api/local-api'
import { createService, executeAndWait, nextEvent, openQuickstart, tempDir, valueOf } from './helpers'

const quickstartSource = readFileSync(
  path.resolve(__dirname, '../../resources/examples/quickstart/example_run.ts'),
  'utf8'
)

describe('run class calls', () => {
  let service: AppService
  afterEach(async () => {
    await service.dispose()
  })

  it('gives the source and the parameters with their defaults as written', async () => {
    service = createService()
    await openQuickstart(service)
    const got = valueOf(await localApi(service).runClasses.get({ batch: 'example' }))
    expect(got.file).toBe('example_run.ts')
    expect(got.source).toBe(quickstartSource)
    expect(got.info?.parameters.map((p) => [p.name, p.defaultText, p.kind])).toEqual([
      ['A', '0', 'number'],
      ['B', '[1, 2, 3]', 'array'],
      ['operator', 'max', 'function']
    ])
    expect([...got.info!.functionExports].sort()).toEqual(['len', 'max', 'min', 'sum'])
  })

  it('checks edited source without saving it and names the real file in diagnostics', async () => {
    service = createService()
    const dir = await openQuickstart(service)
    const broken = quickstartSource.replace('return { val', 'return { val: (')
    const checked = valueOf(await localApi(service).runClasses.check({ batch: 'example', source: broken }))
    expect(checked.info).toBeNull()
    expect(checked.diagnostics[0]).toMatchObject({ file: 'example_run.ts', severity: 'error' })
    expect(checked.diagnostics[0].line).toBeGreaterThan(20)
    const renamed = valueOf(
      await localApi(service).runClasses.check({
        batch: 'example',
        source: quickstartSource.replace('A = 0', 'A = 0, C = 5')
      })
    )
    expect(renamed.info?.parameters.map((p) => p.name)).toEqual(['A', 'C', 'B', 'operator'])
    // No scratch copy is left behind, and the file is unchanged.
    expect(readdirSync(dir).filter((name) => name.startsWith('.'))).toEqual([])
    expect(readFileSync(path.join(dir, 'example_run.ts'), 'utf8')).toBe(quickstartSource)
  })

  it('tries one run in a worker with edited parameters and stores nothing', async () => {
    service = createService()
    const dir = await openQuickstart(service)
    const tried = valueOf(
      await localApi(service).runClasses.tryOnce({
        batch: 'example',
        parameters: { A: 2, B: [1, 2], operator: 'sum' }
      })
    )
    expect(tried).toMatchObject({ ok: true, result: { val: 6 } })
    expect(tried.log).toContain('A: 2')
    expect(service.summary().batches[0].counts.pending).toBe(62)
    expect(readdirSync(path.join(dir, '_res')).filter((name) => !name.startsWith('.'))).toEqual([])
  })

  it('reports the error of a try-once run that throws', async () => {
    service = createService()
    await openQuickstart(service)
    const throwing = quickstartSource.replace('console.log(this.parameters)', "throw new Error('no good')")
    const tried = valueOf(
      await localApi(service).runClasses.tryOnce({ batch: 'example', source: throwing, parameters: {} })
    )
    expect(tried.ok).toBe(false)
    expect(tried.error?.message).toContain('no good')
  })

  it('refuses a try-once parameter the class does not have', async () => {
    service = createService()
    await openQuickstart(service)
    expect(
      await localApi(service).runClasses.tryOnce({ batch: 'example', parameters: { Z: 1 } })
    ).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining("no parameter 'Z'") }
    })
  })

  it('saves changed code and says how many stored results became stale', async () => {
    service = createService()
    const dir = await openQuickstart(service)
    await executeAndWait(service, 'example')
    const changed = quickstartSource.replace('A * operator(B)', '2 * A * operator(B)')
    const saved = valueOf(await localApi(service).runClasses.save({ batch: 'example', source: changed }))
    expect(saved).toMatchObject({ loadError: null, staleResults: 62, batch: { counts: { stale: 62 } } })
    expect(readFileSync(path.join(dir, 'example_run.ts'), 'utf8')).toBe(changed)
    expect(valueOf(await localApi(service).batches.execute({ batch: 'example' }))).toEqual({ toCompute: 0 })
    const { started } = await executeAndWait(service, 'example', { rerunStale: true })
    expect(started).toEqual({ toCompute: 62 })
    const details = valueOf(await localApi(service).runs.details({ batch: 'example', index: 0 }))
    expect(details.result).toEqual({ val: 160 })
  })

  it('gives the Run API declarations for the editor', async () => {
    service = createService()
    const typings = valueOf(await localApi(service).runClasses.typings())
    expect(typings.text).toContain("declare module 'batchdesk'")
    expect(typings.text).toContain('class Run')
  })
})

describe('batch calls', () => {
  let service: AppService
  afterEach(async () => {
    await service.dispose()
  })

  const grid = {
    kind: 'factorial' as const,
    grid: { A: [1, 2, 3, 6], B: [[2, 5, 8]], operator: ['min', 'max'] }
  }

  it('previews a design: new runs, runs already stored, and a time estimate once runtimes are known', async () => {
    service = createService()
    await openQuickstart(service)
    expect(
      valueOf(await localApi(service).batches.previewDesign({ batch: 'example', design: grid }))
    ).toEqual({
      total: 8,
      alreadyStored: 0,
      new: 8,
      estimatedSeconds: null
    })
    await executeAndWait(service, 'example')
    const preview = valueOf(await localApi(service).batches.previewDesign({ batch: 'example', design: grid }))
    // A = 1, 2, 3 with B = [2, 5, 8] and min or max are in the quickstart design already.
    expect(preview).toMatchObject({ total: 8, alreadyStored: 6, new: 2 })
    expect(preview.estimatedSeconds).toBeGreaterThan(0)
  })

  it('adds a design to the manifest and computes it when asked', async () => {
    service = createService()
    const dir = await openQuickstart(service)
    const ended = nextEvent(service, 'batchProgress', (p) => p.state === 'idle')
    const added = valueOf(
      await localApi(service).batches.addDesign({
        batch: 'example',
        design: { ...grid, label: 'More A' },
        run: true
      })
    )
    expect(added).toMatchObject({ added: 8, started: true, batch: { runs: 70 } })
    expect(await ended).toMatchObject({ computed: 64 })
    const manifest = JSON.parse(readFileSync(path.join(dir, 'batchdesk.json'), 'utf8'))
    expect(manifest.batches[0].designs.at(-1)).toMatchObject({ kind: 'factorial', label: 'More A' })
  })

  it('extends a saved design in place: the batch gains only the new runs, and only they compute', async () => {
    service = createService()
    const dir = await openQuickstart(service)
    const api = localApi(service)
    await executeAndWait(service, 'example')
    const manifestFile = path.join(dir, 'batchdesk.json')
    const saved = JSON.parse(readFileSync(manifestFile, 'utf8')).batches[0].designs[1]
    const extended = { ...saved, grid: { ...saved.grid, A: [1, 2, 3, 4, 5, 6] } }
    const ended = nextEvent(service, 'batchProgress', (p) => p.state === 'idle')
    const replaced = valueOf(
      await api.batches.replaceDesign({ batch: 'example', index: 1, design: extended, run: true })
    )
    expect(replaced).toMatchObject({ added: 12, started: true, batch: { runs: 74 } })
    expect(await ended).toMatchObject({ computed: 12 })
    const designs = JSON.parse(readFileSync(manifestFile, 'utf8')).batches[0].designs
    expect(designs).toHaveLength(3)
    expect(designs[1]).toEqual(extended)
    expect(service.project!.batch('example').batch.statusCounts()).toMatchObject({ pending: 0, failed: 0 })

    // A design that does not fit the run class, or one that does not exist, changes nothing.
    const before = readFileSync(manifestFile, 'utf8')
    for (const [index, design] of [
      [1, { kind: 'factorial', grid: { nope: [1, 2] } }],
      [7, extended]
    ] as const) {
      const answer = await api.batches.replaceDesign({ batch: 'example', index, design })
      expect(answer).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    }
    expect(readFileSync(manifestFile, 'utf8')).toBe(before)
    expect(service.project!.batch('example').batch.runs).toHaveLength(74)
  })

  it('refuses a design with a function the module does not export', async () => {
    service = createService()
    await openQuickstart(service)
    expect(
      await localApi(service).batches.addDesign({
        batch: 'example',
        design: { kind: 'run', parameters: { operator: 'median' } }
      })
    ).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('median') }
    })
  })

  it('creates a batch with a template run class that loads', async () => {
    service = createService()
    const dir = await openQuickstart(service)
    const created = valueOf(
      await localApi(service).batches.create({ name: 'sweep-2', runClassFile: 'runs/sweep.ts' })
    )
    expect(created).toMatchObject({
      name: 'sweep-2',
      runClassName: 'Sweep2Run',
      loadError: null,
      parameterNames: ['x', 'y'],
      runs: 0
    })
    expect(existsSync(path.join(dir, 'runs', 'sweep.ts'))).toBe(true)
    expect(
      await localApi(service).batches.create({ name: 'sweep-2', runClassFile: 'other.ts' })
    ).toMatchObject({ ok: false, error: { code: 'CONFLICT' } })
  })

  it('refuses to start a batch that is already running', async () => {
    service = createService()
    await openQuickstart(service)
    const ended = nextEvent(service, 'batchProgress', (p) => p.state === 'idle')
    valueOf(await localApi(service).batches.execute({ batch: 'example' }))
    expect(await localApi(service).batches.execute({ batch: 'example' })).toMatchObject({
      ok: false,
      error: { code: 'CONFLICT' }
    })
    await ended
  })
})

describe('stopping a batch', () => {
  let service: AppService
  afterEach(async () => {
    await service.dispose()
  })

  /** A project whose runs each take a while, so an execution can be stopped in the middle. */
  async function openSlowProject(): Promise<void> {
    const dir = tempDir('bd-slow-')
    writeFileSync(
      path.join(dir, 'batchdesk.json'),
      JSON.stringify({
        format: 1,
        name: 'Slow',
        batches: [
          {
            name: 'slow',
            runClass: 'slow.ts',
            designs: [{ kind: 'factorial', grid: { i: { $range: [0, 200, 1] } } }]
          }
        ]
      })
    )
    writeFileSync(
      path.join(dir, 'slow.ts'),
      `import { Run } from 'batchdesk'\nexport default class SlowRun extends Run {\n  run({ i = 0 }) {\n    const until = Date.now() + 20\n    while (Date.now() < until) {}\n    return { i }\n  }\n}\n`
    )
    valueOf(await localApi(service).projects.open({ dir }))
  }

  it('cancels: finished results are kept, the rest stays pending, the batch is idle', async () => {
    service = createService()
    await openSlowProject()
    const someDone = nextEvent(service, 'runsChanged', (e) => e.counts.done > 0)
    valueOf(await localApi(service).batches.execute({ batch: 'slow' }))
    await someDone
    const stopped = valueOf(await localApi(service).batches.cancel({ batch: 'slow' }))
    expect(stopped?.state).toBe('idle')
    const counts = service.summary().batches[0].counts
    expect(counts.done).toBeGreaterThan(0)
    expect(counts.pending).toBeGreaterThan(0)
    expect(counts.running).toBe(0)
    expect(service.summary().batches[0].state).toBe('idle')
  })

  it('pauses and resumes where it stopped', async () => {
    service = createService()
    await openSlowProject()
    const someDone = nextEvent(service, 'runsChanged', (e) => e.counts.done > 0)
    valueOf(await localApi(service).batches.execute({ batch: 'slow' }))
    await someDone
    expect(valueOf(await localApi(service).batches.pause({ batch: 'slow' }))?.state).toBe('paused')
    expect(valueOf(await localApi(service).batches.status())).toMatchObject([
      { batch: 'slow', state: 'paused' }
    ])
    const doneBefore = service.summary().batches[0].counts.done
    const ended = nextEvent(service, 'batchProgress', (p) => p.state === 'idle')
    const resumed = valueOf(await localApi(service).batches.resume({ batch: 'slow' }))
    expect(resumed.toCompute).toBe(200 - doneBefore)
    await ended
    expect(service.summary().batches[0].counts.done).toBe(200)
  })
})

describe('result and project calls', () => {
  let service: AppService
  afterEach(async () => {
    await service.dispose()
  })

  it('gives columns for charts, runtimes, and a CSV export', async () => {
    service = createService()
    await openQuickstart(service)
    await executeAndWait(service, 'example')
    const columns = valueOf(
      await localApi(service).results.columns({
        batch: 'example',
        conditions: ['operator = sum'],
        fields: [
          { kind: 'parameter', name: 'A' },
          { kind: 'result', name: 'val' },
          { kind: 'parameter', name: 'B' }
        ]
      })
    )
    expect(columns.total).toBe(15)
    expect(columns.columns.map((c) => c.type)).toEqual(['number', 'number', 'string'])
    expect(columns.columns[1].values.slice(0, 3)).toEqual([15, 28, 24])
    const runtimes = valueOf(await localApi(service).results.runtimes({ batch: 'example' }))
    expect(runtimes.total).toBe(62)
    const csv = valueOf(await localApi(service).runs.exportCsv({ batch: 'example', conditions: ['A = 1'] }))
    expect(csv.rows).toBe(12)
    expect(csv.csv.split('\r\n')[0]).toBe('index,id,status,A,B,operator,val,runtime')
  })

  it('gives array-valued results per run for overlaid curves', async () => {
    service = createService()
    await openQuickstart(service)
    const source = quickstartSource.replace(
      'return { val: A * operator(B) }',
      'return { val: A * operator(B), curve: B.map((b) => A * b) }'
    )
    valueOf(await localApi(service).runClasses.save({ batch: 'example', source }))
    await executeAndWait(service, 'example')
    const arrays = valueOf(
      await localApi(service).results.arrays({ batch: 'example', indices: [0, 1], field: 'curve' })
    )
    expect(arrays.series.map((s) => s.values)).toEqual([
      [30, 20, 40, 30, 80],
      [2, 5, 8]
    ])
  })

  it('offers to create a project in a folder that is not one, and browses folders', async () => {
    service = createService()
    const parent = tempDir('bd-folders-')
    const dir = path.join(parent, 'plain')
    await import('node:fs').then((fs) => fs.mkdirSync(dir))
    expect(valueOf(await localApi(service).projects.open({ dir }))).toEqual({ kind: 'notAProject', dir })
    const created = valueOf(await localApi(service).projects.createHere({ dir, name: 'Plain' }))
    expect(created).toMatchObject({ dir, name: 'Plain', batches: [] })
    const listing = valueOf(await localApi(service).projects.browse({ dir: parent }))
    expect(listing).toMatchObject({ dir: parent, entries: [{ name: 'plain', isProject: true }] })
    expect(await localApi(service).projects.open({ dir: path.join(parent, 'missing') })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' }
    })
  })

  it('remembers settings in the config folder, not in the project', async () => {
    service = createService()
    valueOf(await localApi(service).settings.set({ theme: 'dark', processes: 2 }))
    expect(valueOf(await localApi(service).settings.get())).toEqual({
      theme: 'dark',
      author: '',
      processes: 2
    })
    expect(existsSync(service.config.file)).toBe(true)
  })
})

describe('where a project computes', () => {
  let service: AppService
  afterEach(async () => {
    await service.dispose()
  })

  it('sends runs through a Redis once set, saved in batchdesk.json, the password kept out of the summary', async () => {
    service = createService()
    const dir = await openQuickstart(service)
    const api = localApi(service)
    expect(valueOf(await api.projects.computeTarget())).toEqual({ redis: null })
    expect(valueOf(await api.projects.current())).toMatchObject({ computeOn: null })

    const changed = nextEvent(service, 'projectChanged')
    const summary = valueOf(await api.projects.setComputeTarget({ redis: 'redis://:s3cret@build-box:6379' }))
    expect(summary.computeOn).toBe('redis://:***@build-box:6379')
    expect((await changed).project?.computeOn).toBe('redis://:***@build-box:6379')
    expect(valueOf(await api.projects.computeTarget())).toEqual({ redis: 'redis://:s3cret@build-box:6379' })
    const manifest = JSON.parse(readFileSync(path.join(dir, 'batchdesk.json'), 'utf8'))
    expect(manifest.settings.redis).toBe('redis://:s3cret@build-box:6379')
    expect(manifest.batches.map((b: { name: string }) => b.name)).toEqual(['example'])

    valueOf(await api.projects.setComputeTarget({ redis: null }))
    expect(JSON.parse(readFileSync(path.join(dir, 'batchdesk.json'), 'utf8')).settings.redis).toBeUndefined()
    expect(valueOf(await api.projects.current())).toMatchObject({ computeOn: null })
  })

  it('refuses an address that is not a Redis URL, and changes nothing', async () => {
    service = createService()
    const dir = await openQuickstart(service)
    const before = readFileSync(path.join(dir, 'batchdesk.json'), 'utf8')
    for (const redis of ['http://build-box:6379', 'build-box:6379', 'redis://build-box/not-a-db']) {
      const answer = await localApi(service).projects.setComputeTarget({ redis })
      expect(answer).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
      expect(answer.ok ? '' : answer.error.message).toMatch(/redis:\/\//)
    }
    expect(readFileSync(path.join(dir, 'batchdesk.json'), 'utf8')).toBe(before)
  })

  it('says how to finish here when the Redis a batch is sent to cannot be reached, and then does', async () => {
    service = createService()
    await openQuickstart(service)
    const api = localApi(service)
    valueOf(await api.projects.setComputeTarget({ redis: 'redis://127.0.0.1:1' }))
    const failed = nextEvent(service, 'log', (event) => event.level === 'error')
    await executeAndWait(service, 'example')
    expect((await failed).message).toBe(
      'example: stopped: Cannot reach Redis at redis://127.0.0.1:1 (connection refused). Is redis-server running? The batch can always be finished on this computer: click “Computes on workers” in the status bar and choose “On this computer” (or run batchdesk run --local).'
    )
    expect(service.project!.batch('example').batch.statusCounts().pending).toBe(62)

    valueOf(await api.projects.setComputeTarget({ redis: null }))
    const { progress } = await executeAndWait(service, 'example')
    expect(progress).toMatchObject({ computed: 62, failed: 0 })
  })

  it('says what to do when the Redis to test cannot be reached', async () => {
    service = createService()
    await openQuickstart(service)
    const answer = await localApi(service).projects.checkRedis({ redis: 'redis://127.0.0.1:1' })
    expect(answer).toMatchObject({ ok: false, error: { code: 'IO' } })
    expect(answer.ok ? '' : answer.error.message).toMatch(
      /^Cannot reach Redis at redis:\/\/127\.0\.0\.1:1 \(connection refused\)\. Is redis-server running\?/
    )
  })
})
