import { canonicalValue } from './params/canonical'
import { conditionMask } from './query/match'
import type { Condition } from './query/conditions'

/**
 * The runs of a batch, stored by column: each parameter keeps its distinct values once, and each run keeps
 * one small integer per parameter. A 1M-run design then costs a few typed arrays instead of a million
 * parameter objects, and a query evaluates each condition once per distinct value, not once per run.
 */
export class RunTable {
  readonly columns = new Map<string, ParameterColumn>()
  /** Column order as parameters were first seen; used for display. */
  readonly names: string[] = []
  ids: string[] = []
  #classOf = new Uint16Array(1024)
  length = 0

  /** Returns the column of a parameter, creating it (absent for all earlier runs) when new. */
  column(name: string): ParameterColumn {
    let column = this.columns.get(name)
    if (!column) {
      column = new ParameterColumn(name, this.#capacity())
      this.columns.set(name, column)
      this.names.push(name)
    }
    return column
  }

  #capacity(): number {
    return this.#classOf.length
  }

  /** Makes room for `count` more runs. */
  reserve(count: number): void {
    const needed = this.length + count
    if (needed <= this.#classOf.length) return
    let capacity = this.#classOf.length
    while (capacity < needed) capacity *= 2
    const classOf = new Uint16Array(capacity)
    classOf.set(this.#classOf)
    this.#classOf = classOf
    for (const column of this.columns.values()) column.grow(capacity)
  }

  /** Appends one run given as value indices per column; returns its index. */
  appendRow(classIndex: number, id: string): number {
    const index = this.length++
    this.#classOf[index] = classIndex
    this.ids.push(id)
    return index
  }

  classIndexOf(index: number): number {
    return this.#classOf[index]
  }

  /** The parameters of one run as an object (public and private). */
  parametersOf(index: number, includePrivate: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const name of this.names) {
      if (!includePrivate && name.startsWith('_')) continue
      const column = this.columns.get(name)!
      const slot = column.slots[index]
      if (slot >= 0) out[name] = column.values[slot]
    }
    return out
  }

  /** Indices of the runs that meet every condition. */
  select(conditions: Condition[]): number[] {
    let masks: { slots: Int32Array; mask: Uint8Array; absentMatches: boolean }[] = []
    for (const condition of conditions) {
      const column = this.columns.get(condition.param)
      const absentMatches = condition.op === 'ne'
      if (!column) {
        if (absentMatches) continue
        return []
      }
      masks.push({ slots: column.slots, mask: conditionMask(condition, column.values), absentMatches })
    }
    // Most selective test first keeps the scan short-circuiting early.
    masks = masks.sort((a, b) => countSet(a.mask) / a.mask.length - countSet(b.mask) / b.mask.length)
    const out: number[] = []
    const length = this.length
    outer: for (let i = 0; i < length; i++) {
      for (const { slots, mask, absentMatches } of masks) {
        const slot = slots[i]
        if (slot < 0 ? !absentMatches : mask[slot] === 0) continue outer
      }
      out.push(i)
    }
    return out
  }
}

function countSet(mask: Uint8Array): number {
  let n = 0
  for (let i = 0; i < mask.length; i++) n += mask[i]
  return n
}

/** One parameter: its distinct values (interned by canonical encoding) and each run's slot into them. */
export class ParameterColumn {
  readonly values: unknown[] = []
  /** `"name":<canonical>` of each distinct value: the id pieces, encoded once. */
  readonly pieces: string[] = []
  readonly #lookup = new Map<string, number>()
  slots: Int32Array

  constructor(
    readonly name: string,
    capacity: number
  ) {
    this.slots = new Int32Array(capacity).fill(-1)
  }

  /** The slot of a value, adding it when new. */
  intern(value: unknown): number {
    const canonical = canonicalValue(value)
    let slot = this.#lookup.get(canonical)
    if (slot === undefined) {
      slot = this.values.length
      this.values.push(value)
      this.pieces.push(`${JSON.stringify(this.name)}:${canonical}`)
      this.#lookup.set(canonical, slot)
    }
    return slot
  }

  grow(capacity: number): void {
    const slots = new Int32Array(capacity).fill(-1)
    slots.set(this.slots)
    this.slots = slots
  }
}
