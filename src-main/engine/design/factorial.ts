import { DesignError } from './design-error'

export { DesignError }

/**
 * Full factorial designs by index, as batchpy's `add_factorial_runs` (itertools.product over the keys in
 * insertion order, the LAST key varying fastest). Callers intern each axis's values once and build their
 * per-parameter columns from the index columns, so a 1M-run design never materialises 1M objects.
 */

/** The most combinations `factorialColumns` builds (the columns alone take 4 bytes per axis per run). */
export const MAX_FACTORIAL_RUNS = 50_000_000

/**
 * The values of one axis: a plain Array is the list of values; anything else (a string, a typed array, an
 * object) is a single value. An empty array stays empty: `normalizeAxes` reports it with its name.
 */
export function normalizeAxis(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value]
}

/**
 * Normalises every axis of a grid `{ A: [1, 2], B: 'x' }`, keeping the key order.
 * @throws DesignError "parameter 'B' has no values" for an empty list.
 */
export function normalizeAxes(grid: Record<string, unknown>): { names: string[]; axes: unknown[][] } {
  const names = Object.keys(grid)
  const axes = names.map((name) => {
    const values = normalizeAxis(grid[name])
    if (values.length === 0)
      throw new DesignError(`parameter '${name}' has no values: give at least one value`)
    return values
  })
  return { names, axes }
}

/** The number of combinations: the product of the axis lengths (1 for no axes, 0 if an axis is empty). */
export function factorialSize(axes: unknown[][]): number {
  let size = 1
  for (const axis of axes) size *= axis.length
  return size
}

/**
 * The value index on each axis of combination `index` (0-based), the last axis varying fastest:
 * with sizes [5, 3, 4], combination 0 is [0, 0, 0], 1 is [0, 0, 1] and 59 is [4, 2, 3].
 * @throws DesignError when `index` is not an integer in [0, product of sizes).
 */
export function combinationIndex(index: number, sizes: number[]): Int32Array {
  const total = sizes.reduce((product, size) => product * size, 1)
  if (!Number.isInteger(index) || index < 0 || index >= total)
    throw new DesignError(`combination ${index} is outside the design, which has ${total} combinations`)
  const out = new Int32Array(sizes.length)
  let rest = index
  for (let axis = sizes.length - 1; axis >= 0; axis--) {
    out[axis] = rest % sizes[axis]
    rest = Math.floor(rest / sizes[axis])
  }
  return out
}

/**
 * One column per axis with the value index of every combination, in product order (last axis fastest):
 * `factorialColumns([2, 3])` gives `[[0,0,0,1,1,1], [0,1,2,0,1,2]]`.
 * @param names axis names, used in error messages only.
 * @throws DesignError for an axis of size 0 (named when `names` is given), a size that is not a
 *   non-negative integer, or more than MAX_FACTORIAL_RUNS combinations.
 */
export function factorialColumns(sizes: number[], names?: string[]): Int32Array[] {
  sizes.forEach((size, axis) => {
    const label = names?.[axis] !== undefined ? `parameter '${names[axis]}'` : `axis ${axis}`
    if (!Number.isInteger(size) || size < 0)
      throw new DesignError(`${label} has ${size} values; expected a whole number`)
    if (size === 0) throw new DesignError(`${label} has no values: give at least one value`)
  })
  const total = sizes.reduce((product, size) => product * size, 1)
  if (total > MAX_FACTORIAL_RUNS)
    throw new DesignError(
      `the design has ${total.toLocaleString('en')} combinations (${sizes.join(' × ')}); ` +
        `at most ${MAX_FACTORIAL_RUNS.toLocaleString('en')} are supported`
    )
  let repeat = total
  return sizes.map((size) => {
    // Each value index repeats `repeat` times in a block; the block pattern then tiles the column.
    repeat /= size
    const column = new Int32Array(total)
    const block = size * repeat
    for (let value = 1; value < size; value++) column.fill(value, value * repeat, (value + 1) * repeat)
    for (let filled = block; filled < total; filled *= 2)
      column.copyWithin(filled, 0, Math.min(filled, total - filled))
    return column
  })
}
