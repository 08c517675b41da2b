import path from 'node:path'
import type { TryOnceResult } from '../../../src-preload/contract'
import { runId } from '../../engine/params/canonical'
import { toWire } from '../../engine/params/wire'
import { resolveValues } from '../../engine/project/project'
import { LocalPool } from '../../engine/exec/pool'
import { decodeFromJson } from '../../engine/store/codec'
import type { RunOutcome, RunClassInfo } from '../../engine/types'
import type { AppService } from '../app-service'
import type { DomainHandlers } from '../dispatch'
import { ApiFailure } from '../errors'
import { summarizeBatch, summarizeRunClass } from '../project-summary'
import { describeSource, diagnosticsOf, readSource, writeSource } from '../run-class-source'
import { runApiTypings } from '../run-api-typings'
import { summarizeResult } from '../display'

/** A try-once run stops after this long unless the project sets its own timeout. */
const TRY_ONCE_TIMEOUT_SECONDS = 300

export function runClassHandlers(app: AppService): DomainHandlers<'runClasses'> {
  /** The batch's run class file: absolute and as the project names it. */
  const fileOf = (batch: string) => {
    const projectBatch = app.projectBatch(batch)
    return {
      projectBatch,
      file: path.join(app.requireProject().dir, projectBatch.runClassFile),
      relative: projectBatch.runClassFile
    }
  }

  /**
   * A batch of imported results keeps the code that made them for reference only: it came from someone
   * else, so it is never run or overwritten (reading it, and checking it, which compiles without running
   * anything, stay possible).
   */
  const refuseImported = (batch: string) => {
    const entry = app.requireProject().manifest.batches.find((b) => b.name === batch)
    if (entry?.imported)
      throw new ApiFailure(
        'CONFLICT',
        `Batch '${batch}' holds results imported from ${entry.imported.source}: its code is kept for reference and never run or changed here. To compute with it, create a new batch and copy the code into it after reading it.`
      )
  }

  return {
    get: ({ batch }) => {
      const { projectBatch, file, relative } = fileOf(batch)
      return {
        batch,
        file: relative,
        source: readSource(file),
        info: projectBatch.runClass ? summarizeRunClass(projectBatch.runClass) : null,
        loadError: projectBatch.loadError ?? null,
        diagnostics: projectBatch.loadError
          ? diagnosticsOf(new Error(projectBatch.loadError), file, relative)
          : []
      }
    },

    check: async ({ batch, source }) => {
      const { file, relative } = fileOf(batch)
      const described = await describeSource(file, relative, source)
      described.dispose()
      return {
        diagnostics: described.diagnostics,
        info: described.info ? summarizeRunClass(described.info) : null
      }
    },

    save: async ({ batch, source }) => {
      refuseImported(batch)
      app.requireWritableProject()
      const { file, relative } = fileOf(batch)
      if (app.batchState(batch) !== 'idle' && app.batchState(batch) !== 'paused') {
        throw new ApiFailure(
          'CONFLICT',
          `Batch '${batch}' is running: cancel it or wait for it to finish before saving its run class`
        )
      }
      writeSource(file, source)
      const reloaded = await app.requireProject().reloadBatch(batch)
      app.batchChanged(batch)
      return {
        info: reloaded.runClass ? summarizeRunClass(reloaded.runClass) : null,
        loadError: reloaded.loadError ?? null,
        diagnostics: reloaded.loadError ? diagnosticsOf(new Error(reloaded.loadError), file, relative) : [],
        staleResults: reloaded.batch.statusCounts().stale,
        batch: summarizeBatch(app.requireProject(), reloaded, app.batchState(batch))
      }
    },

    tryOnce: async ({ batch, source, parameters }) => {
      refuseImported(batch)
      const project = app.requireProject()
      const { file, relative } = fileOf(batch)
      const described = await describeSource(file, relative, source)
      if (!described.info)
        throw new ApiFailure('INVALID_ARGUMENT', `The run class does not load: ${described.loadError}`)
      try {
        return await computeOnce(
          batch,
          described.info,
          parameters,
          project.manifest.settings.timeoutSeconds ?? TRY_ONCE_TIMEOUT_SECONDS
        )
      } finally {
        described.dispose()
      }
    },

    typings: () => runApiTypings()
  }
}

/** Computes one run in a fresh one-process worker pool; stores nothing. */
async function computeOnce(
  batch: string,
  info: RunClassInfo,
  edited: Record<string, unknown>,
  timeoutSeconds: number
): Promise<TryOnceResult> {
  if (!info.ref) throw new ApiFailure('INTERNAL', `The run class ${info.name} has no compiled module to run`)
  const known = new Set(info.parameters.map((p) => p.name))
  const unknown = Object.keys(edited).filter((name) => !known.has(name))
  if (unknown.length > 0) {
    throw new ApiFailure(
      'INVALID_ARGUMENT',
      `${info.name} has no parameter ${unknown.map((n) => `'${n}'`).join(', ')}; its parameters are ${[...known].join(', ')}`
    )
  }
  const parameters: Record<string, unknown> = {}
  for (const spec of info.parameters) parameters[spec.name] = spec.default
  Object.assign(parameters, resolveValues(info, edited, false))
  const publicParameters = Object.fromEntries(
    Object.entries(parameters).filter(([name]) => !name.startsWith('_'))
  )
  const task = {
    batch,
    id: runId(publicParameters),
    runClass: info.ref,
    params: toWire(parameters) as Record<string, unknown>
  }
  const pool = new LocalPool({ processes: 1 })
  let outcome: RunOutcome | undefined
  try {
    await pool.execute([task], {
      timeoutMs: timeoutSeconds * 1000,
      onOutcomes: (outcomes) => {
        outcome = outcomes[0]
      }
    })
  } finally {
    await pool.close()
  }
  if (!outcome) throw new ApiFailure('INTERNAL', 'The worker gave no outcome for the run')
  if (!outcome.ok) return { ok: false, runtime: outcome.runtime, log: outcome.log, error: outcome.error }
  return {
    ok: true,
    result: summarizeResult(decodeFromJson(outcome.resultJson)),
    runtime: outcome.runtime,
    log: outcome.log
  }
}
