import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { loadRunClass, runClassInfo } from '../../../src-main/engine/compile'
import { toWire } from '../../../src-main/engine/params/wire'
import type { RunClassRef, RunOutcome, RunTask } from '../../../src-main/engine/types'

export const fixtures = path.resolve(__dirname, '../../fixtures/run-classes')

/** A fresh temporary folder, removed by the returned cleanup. */
export function makeTempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'batchdesk-exec-test-'))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Copies a fixture module (and the helpers folder) into `dir` and returns its path there. */
export function copyFixture(name: string, dir: string): string {
  cpSync(path.join(fixtures, 'helpers'), path.join(dir, 'helpers'), { recursive: true })
  cpSync(path.join(fixtures, name), path.join(dir, name))
  return path.join(dir, name)
}

/** Compiles a fixture into `cacheDir` and returns how workers load it. */
export function fixtureRef(name: string, cacheDir: string): RunClassRef {
  const cls = loadRunClass(path.join(fixtures, name), { cacheDir })
  return runClassInfo(cls)!.ref!
}

/** One task per parameter set, with ids `run-0`, `run-1`, … */
export function makeTasks(
  ref: RunClassRef,
  paramsList: Record<string, unknown>[],
  batch = 'test'
): RunTask[] {
  return paramsList.map((params, i) => ({ batch, id: `run-${i}`, runClass: ref, params: toWire(params) }))
}

/** Collects outcomes by id, checking none arrives twice. */
export function outcomeCollector(): {
  byId: Map<string, RunOutcome>
  groups: number[]
  onOutcomes(outcomes: RunOutcome[]): void
} {
  const byId = new Map<string, RunOutcome>()
  const groups: number[] = []
  return {
    byId,
    groups,
    onOutcomes(outcomes) {
      groups.push(outcomes.length)
      for (const outcome of outcomes) {
        if (byId.has(outcome.id)) throw new Error(`outcome for ${outcome.id} delivered twice`)
        byId.set(outcome.id, outcome)
      }
    }
  }
}

/** The failure of an outcome, or a thrown error if it succeeded. */
export function failureOf(outcome: RunOutcome | undefined): {
  kind: string
  message: string
  stack?: string
} {
  if (!outcome) throw new Error('no outcome')
  if (outcome.ok) throw new Error(`expected ${outcome.id} to fail, it returned ${outcome.resultJson}`)
  return outcome.error
}

/** The decoded result of a successful outcome. */
export function resultOf(outcome: RunOutcome | undefined): any {
  if (!outcome) throw new Error('no outcome')
  if (!outcome.ok)
    throw new Error(
      `expected ${outcome.id} to succeed, it failed: ${outcome.error.kind}: ${outcome.error.message}`
    )
  return JSON.parse(outcome.resultJson)
}
