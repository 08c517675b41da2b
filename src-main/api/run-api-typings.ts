import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { packageRoot } from '../engine/package-root'

/** Where a maintained declaration file would live; used instead of the built-in text when present. */
const TYPINGS_FILE = path.join('resources', 'types', 'batchdesk.d.ts')

/**
 * The Run API as declarations for the editor (`import { Run } from 'batchdesk'` in run class files):
 * `resources/types/batchdesk.d.ts` when it exists, else the declarations below, which follow
 * src-main/engine/run.ts and run-api.ts.
 */
export function runApiTypings(): { file: string; text: string } {
  const maintained = path.join(packageRoot(), TYPINGS_FILE)
  return {
    file: 'batchdesk.d.ts',
    text: existsSync(maintained) ? readFileSync(maintained, 'utf8') : BUILT_IN
  }
}

const BUILT_IN = `declare module 'batchdesk' {
  /** Where a run stands. */
  export type RunStatus = 'pending' | 'running' | 'done' | 'cached' | 'failed' | 'stale' | 'corrupt'

  /**
   * A calculation. Subclass it and implement run(); the defaults of its destructured first parameter
   * declare the parameters: \`run({ A = 0, B = [1, 2, 3], operator = max }) { ... }\`.
   */
  export class Run {
    /** The calculation: receives all parameters (defaults filled in) and returns the result. */
    run(parameters: Record<string, any>): unknown
    /** The id of a parameter set (40 hex characters by default); equal ids share one stored result. */
    generateId(parameters: Record<string, unknown>): string
    readonly id: string
    /** The public parameters, defaults filled in (names starting with _ are left out). */
    readonly parameters: Record<string, any>
    readonly index: number
    readonly status: RunStatus
    readonly done: boolean
    readonly result: any
    load(): Promise<any>
    /** Seconds the calculation took. */
    readonly runtime: number | undefined
    readonly filename: string | undefined
    readonly error: { kind: string; message: string; stack?: string } | undefined
    readonly log: string | undefined
    clear(): void
  }

  /** A stored result opened by id, without the run class that computed it. */
  export class ResultRun extends Run {}

  /** A function kept by name (\`max\`, \`Math.max\`). */
  export class FunctionRef {
    constructor(path: string)
    readonly path: string
    readonly name: string
  }

  /** count numbers evenly spaced from start to stop (both included). */
  export function linspace(start: number, stop: number, count: number): number[]
  /** count numbers spaced evenly on a log scale from start to stop (both > 0 and included), e.g. logspace(1, 1000, 4) = [1, 10, 100, 1000]. */
  export function logspace(start: number, stop: number, count: number): number[]
  /** start, start + step, … up to stop (excluded unless inclusive). */
  export function rangeValues(start: number, stop: number, step: number, inclusive?: boolean): number[]
}
`
