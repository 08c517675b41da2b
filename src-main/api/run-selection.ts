import type { DisplayValue, FieldRef, RunStatus } from '../../src-preload/contract'
import type { Batch } from '../engine/batch'
import { parseCondition } from '../engine/query/conditions'
import type { StoredRunMeta } from '../engine/store'
import { displayValue } from './display'
import { ApiFailure } from './errors'

/** Statuses that have a stored result to read. */
export const STORED_STATUSES: ReadonlySet<RunStatus> = new Set(['done', 'cached', 'stale'])

/**
 * Indices of the runs matching conditions typed by the user (`A>=3`, `operator=min`), evaluated by the
 * engine over its columnar run table, then filtered by status.
 * @throws ConditionError for a condition that cannot be read; ApiFailure INVALID_ARGUMENT for an unknown parameter.
 */
export function selectRuns(
  batch: Batch,
  conditionTexts: readonly string[],
  statuses?: readonly RunStatus[]
): number[] {
  const conditions = conditionTexts.filter((text) => text.trim() !== '').map((text) => parseCondition(text))
  const names = batch.parameterNames
  for (const condition of conditions) {
    if (!names.includes(condition.param)) {
      throw new ApiFailure(
        'INVALID_ARGUMENT',
        `There is no parameter '${condition.param}' in batch '${batch.name}'; parameters: ${names.join(', ') || 'none yet'}`
      )
    }
  }
  const indices = batch.selectIndices(conditions)
  if (!statuses || statuses.length === 0) return indices
  const wanted = new Set(statuses)
  return indices.filter((index) => wanted.has(batch.runStatus(index)))
}

/** Looks up what the index stores about a run id. */
export type MetaLookup = (id: string) => StoredRunMeta | undefined

/** True when reading this field needs the stored run's metadata. */
export function needsMeta(field: FieldRef): boolean {
  return field.kind === 'result' || field.kind === 'runtime'
}

/** One field of one run, ready to show or sort. */
export function fieldValue(batch: Batch, index: number, field: FieldRef, meta: MetaLookup): DisplayValue {
  switch (field.kind) {
    case 'index':
      return index
    case 'status':
      return batch.runStatus(index)
    case 'parameter':
      return displayValue(batch.runParameters(index)[field.name])
    case 'runtime':
      return storedMeta(batch, index, meta)?.runtime ?? null
    case 'result':
      return displayValue(storedMeta(batch, index, meta)?.scalars[field.name])
  }
}

/** The stored metadata of a run, when it has a readable stored result. */
export function storedMeta(batch: Batch, index: number, meta: MetaLookup): StoredRunMeta | undefined {
  return STORED_STATUSES.has(batch.runStatus(index)) ? meta(batch.runId(index)) : undefined
}

/** Sorts indices by a field: numbers before text, empty cells last, equal keys in run order. */
export function sortIndices(
  batch: Batch,
  indices: number[],
  field: FieldRef,
  direction: 'asc' | 'desc',
  meta: MetaLookup
): number[] {
  const keys = new Map(indices.map((index) => [index, fieldValue(batch, index, field, meta)]))
  const sign = direction === 'asc' ? 1 : -1
  return [...indices].sort((a, b) => {
    const order = compareCells(keys.get(a)!, keys.get(b)!)
    if (order === 'a-empty' || order === 'b-empty') return order === 'a-empty' ? 1 : -1
    return order * sign || a - b
  })
}

function compareCells(a: DisplayValue, b: DisplayValue): number | 'a-empty' | 'b-empty' {
  if (a === null || b === null) return a === null ? (b === null ? 0 : 'a-empty') : 'b-empty'
  if (typeof a === 'number' && typeof b === 'number') return a - b
  if (typeof a === 'number') return -1
  if (typeof b === 'number') return 1
  return String(a).localeCompare(String(b), 'en', { numeric: true })
}

/**
 * A lookup of stored metadata for many runs: one query for the whole batch when many runs are needed,
 * one per run otherwise.
 */
export function metaLookup(
  store:
    | { meta(batch: string, id: string): StoredRunMeta | undefined; listMeta(batch: string): StoredRunMeta[] }
    | undefined,
  batch: string,
  many: boolean
): MetaLookup {
  if (!store) return () => undefined
  if (!many) return (id) => store.meta(batch, id)
  const byId = new Map(store.listMeta(batch).map((meta) => [meta.id, meta]))
  return (id) => byId.get(id)
}
