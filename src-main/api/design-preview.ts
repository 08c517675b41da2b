import { randomUUID } from 'node:crypto'
import { availableParallelism, tmpdir } from 'node:os'
import path from 'node:path'
import type { DesignInput, DesignPreview } from '../../src-preload/contract'
import { Batch } from '../engine/batch'
import { expandAxis, resolveValues } from '../engine/project/project'
import type { ResultStore } from '../engine/store'
import type { RunClassInfo } from '../engine/types'
import { ApiFailure } from './errors'

/** Designs larger than this are not previewed run by run (ids cost about a microsecond each). */
export const MAX_PREVIEW_RUNS = 5_000_000
/** Stored runtimes sampled for the estimate. */
const RUNTIME_SAMPLE = 500

/**
 * What adding a design would do: how many runs it describes, how many are stored already (by id, so
 * equal parameters anywhere count), and an estimate of the time to compute the rest from the runtimes
 * stored so far. Builds the runs in a scratch batch that has no store; nothing is written.
 * @throws ApiFailure INVALID_ARGUMENT for a design above MAX_PREVIEW_RUNS; BatchInputError for bad values.
 */
export function previewDesign(
  batchName: string,
  info: RunClassInfo,
  design: DesignInput,
  store: ResultStore | undefined,
  processes: number | undefined
): DesignPreview {
  if (design.kind === 'factorial') {
    let total = 1
    for (const name of Object.keys(design.grid)) total *= expandAxis(design.grid[name], name).length
    if (total > MAX_PREVIEW_RUNS) {
      throw new ApiFailure(
        'INVALID_ARGUMENT',
        `This design has ${total.toLocaleString('en')} runs; designs above ${MAX_PREVIEW_RUNS.toLocaleString('en')} runs cannot be previewed`
      )
    }
  }
  // A folder that does not exist: the scratch batch never opens a store.
  const scratch = new Batch(batchName, {
    path: path.join(tmpdir(), `batchdesk-preview-${randomUUID()}`),
    saveResult: false
  })
  const runs =
    design.kind === 'run'
      ? [scratch.addRun(info, resolveValues(info, design.parameters, false))]
      : scratch.addFactorialRuns(info, resolveValues(info, design.grid, true))
  const ids = new Set(runs.map((run) => run.id))
  const stored = store?.storedIds(batchName)
  let alreadyStored = 0
  for (const id of ids) if (stored?.get(id)?.corrupt === false) alreadyStored++
  const fresh = ids.size - alreadyStored
  const meanRuntime = store && stored ? sampleMeanRuntime(store, batchName, stored.keys()) : undefined
  const workers = Math.max(1, Math.min(processes ?? availableParallelism(), fresh || 1))
  return {
    total: ids.size,
    alreadyStored,
    new: fresh,
    estimatedSeconds: meanRuntime === undefined ? null : (fresh * meanRuntime) / workers
  }
}

function sampleMeanRuntime(store: ResultStore, batch: string, ids: Iterable<string>): number | undefined {
  let sum = 0
  let count = 0
  for (const id of ids) {
    const runtime = store.meta(batch, id)?.runtime
    if (runtime !== undefined && Number.isFinite(runtime)) {
      sum += runtime
      count++
    }
    if (count >= RUNTIME_SAMPLE) break
  }
  return count > 0 ? sum / count : undefined
}
