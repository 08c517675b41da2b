import type { ArraySeries, ColumnData } from '../../../src-preload/contract'
import type { AppService } from '../app-service'
import type { DomainHandlers } from '../dispatch'
import { ApiFailure } from '../errors'
import { numericArray } from '../display'
import { fieldValue, metaLookup, needsMeta, selectRuns, STORED_STATUSES } from '../run-selection'

/** Points per array series at most. */
const MAX_ARRAY_POINTS = 100_000
const MAX_RUNTIMES = 100_000

export function resultHandlers(app: AppService): DomainHandlers<'results'> {
  return {
    columns: ({ batch: name, conditions, fields, onlyDone, limit }) => {
      const { batch } = app.projectBatch(name)
      const selected = selectRuns(batch, conditions, onlyDone ? [...STORED_STATUSES] : undefined)
      const indices = selected.slice(0, limit)
      const meta = metaLookup(app.resultStore(), name, fields.some(needsMeta) && indices.length > 1000)
      const columns = fields.map((field): ColumnData => {
        const values = indices.map((index) => fieldValue(batch, index, field, meta))
        const numeric = values.every((value) => value === null || typeof value === 'number')
        return {
          field,
          type: numeric ? 'number' : 'string',
          values: numeric
            ? (values as (number | null)[])
            : values.map((value) => (value === null ? null : String(value)))
        }
      })
      return { total: selected.length, truncated: selected.length > indices.length, indices, columns }
    },

    arrays: ({ batch: name, indices, field }) => {
      const { batch } = app.projectBatch(name)
      const series = indices.map((index): ArraySeries => {
        if (index >= batch.runs.length)
          throw new ApiFailure(
            'NOT_FOUND',
            `Batch '${name}' has ${batch.runs.length} runs; there is no run ${index}`
          )
        const run = batch.runs[index]
        const result = run.done ? run.result : undefined
        const value =
          result !== null && typeof result === 'object'
            ? (result as Record<string, unknown>)[field]
            : undefined
        return { index, id: run.id, values: numericArray(value, MAX_ARRAY_POINTS) ?? null }
      })
      return { field, series }
    },

    runtimes: ({ batch: name }) => {
      const { batch } = app.projectBatch(name)
      const meta = metaLookup(app.resultStore(), name, true)
      const seen = new Set<string>()
      const values: number[] = []
      for (let index = 0; index < batch.runs.length; index++) {
        const id = batch.runId(index)
        if (seen.has(id) || !STORED_STATUSES.has(batch.runStatus(index))) continue
        seen.add(id)
        const runtime = meta(id)?.runtime
        if (runtime !== undefined) values.push(runtime)
      }
      return { values: values.slice(0, MAX_RUNTIMES), total: values.length }
    }
  }
}
