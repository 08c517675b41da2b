import type { ResultOriginInfo, RunRow } from '../../../src-preload/contract'
import { formatCsv } from '../../cli/format'
import type { AppService } from '../app-service'
import type { DomainHandlers } from '../dispatch'
import { ApiFailure } from '../errors'
import { displayValue, summarizeResult } from '../display'
import { originInfo } from '../pack-preview'
import { metaLookup, needsMeta, selectRuns, sortIndices, storedMeta, type MetaLookup } from '../run-selection'
import type { Batch } from '../../engine/batch'

/** Rows in one CSV export at most. */
const MAX_CSV_ROWS = 1_000_000

export function runHandlers(app: AppService): DomainHandlers<'runs'> {
  return {
    list: ({ batch: name, conditions, status, sort, offset, limit }) => {
      const { batch } = app.projectBatch(name)
      let indices = selectRuns(batch, conditions, status)
      if (sort)
        indices = sortIndices(
          batch,
          indices,
          sort.field,
          sort.direction,
          metaLookup(app.resultStore(), name, needsMeta(sort.field))
        )
      const page = indices.slice(offset, offset + limit)
      const meta = metaLookup(app.resultStore(), name, false)
      const rows = page.map((index) => runRow(batch, index, meta))
      const results: string[] = []
      for (const row of rows)
        for (const key of Object.keys(row.results)) if (!results.includes(key)) results.push(key)
      return { total: indices.length, columns: { parameters: batch.parameterNames, results }, rows }
    },

    details: ({ batch: name, index }) => {
      const { batch } = app.projectBatch(name)
      if (index >= batch.runs.length)
        throw new ApiFailure(
          'NOT_FOUND',
          `Batch '${name}' has ${batch.runs.length} runs; there is no run ${index}`
        )
      const run = batch.runs[index]
      const status = batch.runStatus(index)
      const stored = run.done
      const error = run.error
      const staleSince = batch.staleSince(index)
      return {
        index,
        id: run.id,
        status,
        runClass: batch.runClassOf(index).name,
        parameters: Object.fromEntries(
          Object.entries(run.parameters).map(([key, value]) => [key, displayValue(value)])
        ),
        result: stored ? summarizeResult(run.result) : null,
        runtime: stored ? (run.runtime ?? null) : null,
        log: run.log ?? null,
        error: error
          ? { kind: error.kind, message: error.message, ...(error.stack ? { stack: error.stack } : {}) }
          : null,
        filename: stored ? (run.filename ?? null) : null,
        staleSince: staleSince ?? null,
        ...originOf(app, name, run.id, stored)
      }
    },

    exportCsv: ({ batch: name, conditions }) => {
      const { batch } = app.projectBatch(name)
      const indices = selectRuns(batch, conditions)
      if (indices.length > MAX_CSV_ROWS) {
        throw new ApiFailure(
          'INVALID_ARGUMENT',
          `${indices.length.toLocaleString('en')} runs match; export at most ${MAX_CSV_ROWS.toLocaleString('en')} at a time (add a condition)`
        )
      }
      const meta = metaLookup(app.resultStore(), name, indices.length > 1000)
      const rows = indices.map((index) => runRow(batch, index, meta))
      const parameters = batch.parameterNames
      const results: string[] = []
      for (const row of rows)
        for (const key of Object.keys(row.results)) if (!results.includes(key)) results.push(key)
      const cell = (value: unknown) => (value === null || value === undefined ? '' : String(value))
      const csv = formatCsv(
        ['index', 'id', 'status', ...parameters, ...results, 'runtime'],
        rows.map((row) => [
          String(row.index),
          row.id,
          row.status,
          ...parameters.map((p) => cell(row.parameters[p])),
          ...results.map((r) => cell(row.results[r])),
          cell(row.runtime)
        ])
      )
      return { csv, rows: rows.length }
    }
  }
}

/** The origin of an imported result, read from the index (absent for results computed here). */
function originOf(
  app: AppService,
  batch: string,
  id: string,
  stored: boolean
): { origin?: ResultOriginInfo } {
  const origin = stored ? originInfo(app.resultStore()?.meta(batch, id)?.origin) : undefined
  return origin ? { origin } : {}
}

/** One row of the run table. */
function runRow(batch: Batch, index: number, meta: MetaLookup): RunRow {
  const stored = storedMeta(batch, index, meta)
  const parameters = batch.runParameters(index)
  return {
    index,
    id: batch.runId(index),
    status: batch.runStatus(index),
    parameters: Object.fromEntries(
      Object.keys(parameters).map((key) => [key, displayValue(parameters[key])])
    ),
    results: stored
      ? Object.fromEntries(Object.entries(stored.scalars).map(([key, value]) => [key, displayValue(value)]))
      : {},
    runtime: stored?.runtime ?? null,
    ...(stored?.origin ? { origin: originInfo(stored.origin) } : {})
  }
}
