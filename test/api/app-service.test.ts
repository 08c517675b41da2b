import { afterEach, describe, expect, it } from 'vitest'
import type { AppService } from '../../src-main/api/app-service'
import { localApi } from '../../src-main/api/local-api'
import { collectEvents, createService, executeAndWait, openQuickstart, valueOf } from './helpers'

describe('AppService over the quickstart example', () => {
  let service: AppService
  afterEach(async () => {
    await service?.dispose()
  })

  it('creates the example project and shows its 62 pending runs', async () => {
    service = createService()
    const dir = await openQuickstart(service)
    const project = valueOf(await localApi(service).projects.current())!
    expect(project.dir).toBe(dir)
    expect(project.batches).toHaveLength(1)
    expect(project.batches[0]).toMatchObject({
      name: 'example',
      runs: 62,
      runClassName: 'ExampleRun',
      loadError: null,
      state: 'idle'
    })
    expect(project.batches[0].counts.pending).toBe(62)
    expect(valueOf(await localApi(service).projects.recent())).toMatchObject([{ dir }])
  })

  it('computes a batch in the background and pushes batched status changes', async () => {
    service = createService()
    await openQuickstart(service)
    const changes = collectEvents(service, 'runsChanged')
    const { started, progress } = await executeAndWait(service, 'example')
    expect(started).toEqual({ toCompute: 62 })
    expect(progress).toMatchObject({ batch: 'example', state: 'idle', computed: 62, failed: 0 })
    const last = changes[changes.length - 1]
    expect(last.counts.done).toBe(62)
    // Every run reached done exactly once across the events, whatever the batching.
    const doneIndices = changes.flatMap((event) =>
      event.changes.filter((c) => c.status === 'done').map((c) => c.index)
    )
    expect(new Set(doneIndices).size).toBe(62)

    const page = valueOf(
      await localApi(service).runs.list({ batch: 'example', conditions: ['A>=3', 'operator=min'] })
    )
    // 3 values of A × 3 of B in the factorial design, and the run added later (A = 8).
    expect(page.total).toBe(10)
    expect(page.columns).toEqual({ parameters: ['A', 'B', 'operator'], results: ['val'] })
    expect(page.rows[0]).toMatchObject({
      status: 'done',
      parameters: { A: 3, B: '[2,5,8]', operator: 'min' },
      results: { val: 6 }
    })
  })

  it('keeps results when the project is opened again (no recompute)', async () => {
    service = createService()
    const dir = await openQuickstart(service)
    await executeAndWait(service, 'example')
    valueOf(await localApi(service).projects.close())
    const reopened = valueOf(await localApi(service).projects.open({ dir }))
    if (reopened.kind !== 'opened') throw new Error(`expected the project to open, got ${reopened.kind}`)
    expect(reopened.project.batches[0].counts).toMatchObject({ cached: 62, pending: 0 })
    expect(valueOf(await localApi(service).batches.execute({ batch: 'example' }))).toEqual({ toCompute: 0 })
  })

  it('gives run details with the result, the log and the file', async () => {
    service = createService()
    await openQuickstart(service)
    await executeAndWait(service, 'example')
    const details = valueOf(await localApi(service).runs.details({ batch: 'example', index: 0 }))
    expect(details).toMatchObject({
      index: 0,
      status: 'done',
      runClass: 'ExampleRun',
      result: { val: 80 },
      error: null
    })
    expect(details.log).toContain('A')
    expect(details.filename).toContain('_res')
  })

  it('sorts runs by a result and pages through them', async () => {
    service = createService()
    await openQuickstart(service)
    await executeAndWait(service, 'example')
    const page = valueOf(
      await localApi(service).runs.list({
        batch: 'example',
        sort: { field: { kind: 'result', name: 'val' }, direction: 'desc' },
        offset: 0,
        limit: 3
      })
    )
    expect(page.total).toBe(62)
    const values = page.rows.map((row) => row.results.val as number)
    expect(values).toEqual([...values].sort((a, b) => b - a))
    // A = 5 with sum([1, 9, 6, 3, 9]) = 28 is the largest.
    expect(values[0]).toBe(140)
  })

  it('answers NOT_FOUND for calls that need a project when none is open', async () => {
    service = createService()
    const result = await localApi(service).runs.list({ batch: 'example' })
    expect(result).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } })
  })
})
