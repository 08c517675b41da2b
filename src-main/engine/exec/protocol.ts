/**
 * Messages between the pool (parent) and a worker process, sent over Node IPC with
 * `serialization: 'advanced'` (structured clone keeps typed arrays, Dates, NaN and -0 in parameters).
 */
import type { RunOutcome, RunTask } from '../types'

/** Parent → worker. */
export type ToWorkerMessage =
  /** First message: settings for every run this worker computes. */
  | { type: 'init'; timeoutMs?: number; reportStarts: boolean }
  /**
   * Tasks to compute in order after those already sent. `reportStart` asks the worker to tell the parent
   * as each of them begins, so a crash can be pinned on exactly one task.
   */
  | { type: 'tasks'; tasks: RunTask[]; reportStart?: boolean }
  /** Drop every task not yet started; answered with `cancelled` once the current run is over. */
  | { type: 'cancel' }

/** Worker → parent. */
export type FromWorkerMessage =
  | { type: 'ready'; pid: number }
  /**
   * Outcomes of the next tasks, in the order they were sent. `started` (epoch ms) says the task after
   * them has begun at that time; absent, the parent knows nothing about the next task's start. `exact`
   * promises that this task's outcome is sent before any other task starts, so until then it is the one
   * running (what timeouts and crash blame rely on).
   */
  | { type: 'outcomes'; outcomes: RunOutcome[]; started?: number; exact?: true }
  /** Reply to `cancel`: the tasks the worker held but never started are dropped. */
  | { type: 'cancelled'; dropped: number }
