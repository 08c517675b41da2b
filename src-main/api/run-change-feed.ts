import {
  RUN_STATUSES,
  type RunsChangedEvent,
  type RunStatus,
  type StatusCounts
} from '../../src-preload/contract'
import type { Batch } from '../engine/batch'

/** At most one runsChanged event per batch per this many milliseconds (~10 per second). */
export const RUN_CHANGES_INTERVAL_MS = 100

const CODE_OF: Record<RunStatus, number> = Object.fromEntries(
  RUN_STATUSES.map((status, code) => [status, code])
) as Record<RunStatus, number>

/**
 * Turns "these run ids may have changed" notes into batched runsChanged events: one event per interval
 * at most, whatever the run rate, carrying only runs whose status really changed, and the counts. Keeps
 * one byte of status per run, so counts follow from the changes without a pass over all runs.
 */
export class RunChangeFeed {
  readonly #batch: Batch
  readonly #emit: (event: RunsChangedEvent) => void
  readonly #intervalMs: number
  #snapshot: Uint8Array
  readonly #counts: StatusCounts
  #indicesById: Map<string, number[]> | undefined
  readonly #marked = new Set<string>()
  #timer: ReturnType<typeof setTimeout> | undefined
  #disposed = false

  constructor(batch: Batch, emit: (event: RunsChangedEvent) => void, intervalMs = RUN_CHANGES_INTERVAL_MS) {
    this.#batch = batch
    this.#emit = emit
    this.#intervalMs = intervalMs
    this.#snapshot = new Uint8Array(batch.runs.length)
    this.#counts = Object.fromEntries(RUN_STATUSES.map((status) => [status, 0])) as StatusCounts
    for (let index = 0; index < this.#snapshot.length; index++) {
      const status = batch.runStatus(index)
      this.#snapshot[index] = CODE_OF[status]
      this.#counts[status]++
    }
  }

  /** Counts by status as of the last event. */
  get counts(): StatusCounts {
    return { ...this.#counts }
  }

  /** Notes runs (by id) whose status may have changed; an event follows within the interval. */
  markIds(ids: readonly string[]): void {
    if (this.#disposed) return
    for (const id of ids) this.#marked.add(id)
    this.#timer ??= setTimeout(() => this.flush(), this.#intervalMs)
  }

  /** Emits the pending changes now (when there are any). */
  flush(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#disposed || this.#marked.size === 0) return
    const indicesById = this.#indices()
    const changes: RunsChangedEvent['changes'] = []
    for (const id of this.#marked)
      for (const index of indicesById.get(id) ?? []) this.#compare(index, changes)
    this.#marked.clear()
    if (changes.length > 0) this.#emit({ batch: this.#batch.name, changes, counts: this.counts })
  }

  /** Compares every run (after an execution ended or was cancelled) and emits what changed. */
  resync(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#marked.clear()
    if (this.#disposed) return
    const changes: RunsChangedEvent['changes'] = []
    for (let index = 0; index < this.#snapshot.length; index++) this.#compare(index, changes)
    if (changes.length > 0) this.#emit({ batch: this.#batch.name, changes, counts: this.counts })
  }

  /** Stops emitting (the batch was reloaded or the project closed). */
  dispose(): void {
    this.#disposed = true
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #compare(index: number, changes: RunsChangedEvent['changes']): void {
    const status = this.#batch.runStatus(index)
    const code = CODE_OF[status]
    const before = this.#snapshot[index]
    if (code === before) return
    this.#counts[RUN_STATUSES[before]]--
    this.#counts[status]++
    this.#snapshot[index] = code
    changes.push({ index, status })
  }

  #indices(): Map<string, number[]> {
    if (!this.#indicesById) {
      // Equal parameters give equal ids: one outcome can change several runs.
      const map = new Map<string, number[]>()
      for (let index = 0; index < this.#snapshot.length; index++) {
        const id = this.#batch.runId(index)
        const list = map.get(id)
        if (list) list.push(index)
        else map.set(id, [index])
      }
      this.#indicesById = map
    }
    return this.#indicesById
  }
}
