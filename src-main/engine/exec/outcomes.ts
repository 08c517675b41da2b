import { hostname } from 'node:os'
import type { RunFailure, RunFailureKind, RunTask } from '../types'

let cachedHost: string | undefined

/** The name of this machine, as recorded in outcomes. */
export function hostName(): string {
  return (cachedHost ??= hostname())
}

/** An outcome for a run that failed outside run() itself (load error, timeout, crash). */
export function failureOutcome(
  task: Pick<RunTask, 'batch' | 'id'>,
  kind: RunFailureKind,
  message: string,
  times: { started?: number; ended?: number; stack?: string; log?: string; logTruncated?: boolean } = {}
): RunFailure {
  const ended = times.ended ?? Date.now()
  const started = times.started ?? ended
  return {
    ok: false,
    batch: task.batch,
    id: task.id,
    runtime: Math.max(0, ended - started) / 1000,
    started,
    ended,
    log: times.log ?? '',
    logTruncated: times.logTruncated ?? false,
    host: hostName(),
    error: times.stack === undefined ? { kind, message } : { kind, message, stack: times.stack }
  }
}

/** "5 s", "1.5 s", "0.25 s": a timeout as people write it. */
export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toPrecision(3))} s`
}
