/** Shared helpers for the result store tests: temp folders and synthetic results. */
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { encodeToJson, scalarFields } from '../../../src-main/engine/store/codec'
import type { NewResult } from '../../../src-main/engine/store'

/** A fresh empty folder under the OS temp folder. */
export function makeTempFolder(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'bd-'))
}

/** The 40-hex id of a run number (stands in for the parameter hash). */
export function idOf(n: number): string {
  return createHash('sha1').update(`run ${n}`).digest('hex')
}

/** A result of run `n` of `batch`, with parameters `{ A: n, B: [1, 2, 3] }` and result `{ val: n * 3 }`. */
export function makeResult(
  batch: string,
  n: number,
  overrides: Partial<NewResult> & { result?: unknown } = {}
): NewResult {
  const { result: value = { val: n * 3, label: `run ${n}` }, ...rest } = overrides
  return {
    batch,
    id: idOf(n),
    runClass: 'ExampleRun',
    codeHash: 'code-1',
    parametersJson: encodeToJson({ A: n, B: [1, 2, 3] }, 'parameters'),
    runtime: 0.001 * n,
    started: 1_764_000_000_000 + n,
    ended: 1_764_000_000_010 + n,
    host: 'test-host',
    log: `log of ${n}\n`,
    logTruncated: false,
    resultJson: encodeToJson(value),
    scalarsJson: JSON.stringify(scalarFields(value)),
    ...rest
  }
}

/** `count` results numbered from `from`. */
export function makeResults(batch: string, count: number, from = 0): NewResult[] {
  return Array.from({ length: count }, (_, i) => makeResult(batch, from + i))
}
