/**
 * A function kept by name, as batchpy keeps functions: a run class written `run({ operator = max })`
 * declares a parameter whose default is the function `max`, read from source without evaluating it.
 * Workers resolve the path against the run class module's exports.
 */
export class FunctionRef {
  /** @param path the function as written in source: `max`, `Math.max`, `ops.sum`. */
  constructor(readonly path: string) {}

  /** The last dotted segment of the path (`Math.max` → `max`): what ids and queries compare. */
  get name(): string {
    const dot = this.path.lastIndexOf('.')
    return dot < 0 ? this.path : this.path.slice(dot + 1)
  }

  /** The wire and JSON form, `{ $fn: path }`. */
  toJSON(): { $fn: string } {
    return { $fn: this.path }
  }

  toString(): string {
    return this.name
  }
}

/**
 * The name a function-valued parameter is known by: `fn.name` for a real function, the last dotted segment
 * of the path for a FunctionRef, and undefined for anything else (including anonymous functions).
 */
export function functionName(value: unknown): string | undefined {
  if (typeof value === 'function') return value.name || undefined
  if (value instanceof FunctionRef) return value.name || undefined
  return undefined
}
