import { availableParallelism } from 'node:os'
import type { BatchProgress, BatchState } from '../../src-preload/contract'
import type { Batch, BatchProgress as EngineProgress, ExecuteReport } from '../engine/batch'
import type { Run } from '../engine/run'
import type { Executor } from '../engine/types'
import { LocalPool } from '../engine/exec/pool'
import { projectNamespace, RedisExecutor, type StatusListener } from '../engine/distributed'
import type { Project } from '../engine/project/project'

export interface ComputePlan {
  /** Distinct runs to compute. */
  toCompute: number
  /** The runs to pass to execute, when not all of them. */
  runs?: Run[]
}

/**
 * Which runs an execution would compute: those without a stored result or that failed, plus stale ones
 * with `rerunStale`, or only the failed ones with `onlyFailed`. Equal ids count once.
 */
export function planCompute(
  batch: Batch,
  options: { rerunStale?: boolean; onlyFailed?: boolean }
): ComputePlan {
  const ids = new Set<string>()
  const runs: Run[] = []
  for (let index = 0; index < batch.runs.length; index++) {
    const status = batch.runStatus(index)
    const wanted = options.onlyFailed
      ? status === 'failed'
      : status === 'pending' ||
        status === 'failed' ||
        status === 'corrupt' ||
        (status === 'stale' && options.rerunStale === true)
    if (!wanted) continue
    const id = batch.runId(index)
    if (ids.has(id)) continue
    ids.add(id)
    runs.push(batch.runs[index])
  }
  return { toCompute: ids.size, runs: options.onlyFailed ? runs : undefined }
}

/** An executor that reports the ids it starts and finishes, so run statuses can be pushed as they change. */
export function observedExecutor(inner: Executor, onIds: (ids: string[]) => void): Executor {
  return {
    execute: (tasks, options) =>
      inner.execute(tasks, {
        ...options,
        onStarted: (ids) => {
          options.onStarted?.(ids)
          onIds(ids)
        },
        onOutcomes: async (outcomes) => {
          // The batch stores them first: a run shows as done only once its result is durable.
          await options.onOutcomes(outcomes)
          onIds(outcomes.map((outcome) => outcome.id))
        }
      }),
    close: () => inner.close()
  }
}

export interface ExecutionOptions {
  project: Project
  batch: string
  plan: ComputePlan
  rerunStale?: boolean
  /** Worker processes; undefined: the project's setting, else one per core. */
  processes?: number
  onProgress(progress: BatchProgress): void
  onRunIds(ids: string[]): void
  /** News from the Redis workers, when the project sends its runs there (`warn`: the batch waits on it). */
  onWorkerStatus?: StatusListener
}

/**
 * One background execution of a batch, stoppable two ways: cancel (back to idle) or pause (state
 * `paused`; resuming is a new execution, which computes only what is still missing). Either way the
 * runs in progress are stopped and finished results are kept.
 */
export class BatchExecution {
  readonly batch: string
  readonly finished: Promise<ExecuteReport | undefined>
  #state: BatchState = 'running'
  #progress: BatchProgress
  readonly #controller = new AbortController()
  #stopMode: 'cancel' | 'pause' | undefined
  readonly #onProgress: (progress: BatchProgress) => void

  constructor(options: ExecutionOptions) {
    this.batch = options.batch
    this.#onProgress = options.onProgress
    this.#progress = {
      batch: options.batch,
      state: 'running',
      done: 0,
      total: options.plan.toCompute,
      computed: 0,
      failed: 0,
      cached: 0,
      runsPerSecond: 0,
      etaSeconds: null,
      elapsedSeconds: 0
    }
    const processes = options.processes ?? options.project.manifest.settings.processes
    const redis = options.project.manifest.settings.redis
    // A project that sets a Redis sends its runs to `batchdesk worker` processes there.
    const pool: Executor = redis
      ? new RedisExecutor({
          url: redis,
          namespace: projectNamespace(options.project.dir),
          onStatus: options.onWorkerStatus,
          unreachableAdvice:
            'The batch can always be finished on this computer: click “Computes on workers” in the status bar and choose “On this computer” (or run batchdesk run --local).'
        })
      : new LocalPool({
          processes: Math.max(1, Math.min(processes ?? availableParallelism(), options.plan.toCompute || 1))
        })
    const executor = observedExecutor(pool, options.onRunIds)
    this.finished = options.project
      .execute(options.batch, {
        signal: this.#controller.signal,
        rerunStale: options.rerunStale,
        runs: options.plan.runs,
        executor,
        ...(processes === undefined ? {} : { processes }),
        onProgress: (progress) => this.#update(progress)
      })
      .finally(() => {
        void pool.close()
        // The owner publishes the final progress, after it pushed the last status changes.
        this.#state = this.#stopMode === 'pause' ? 'paused' : 'idle'
      })
  }

  get state(): BatchState {
    return this.#state
  }

  get progress(): BatchProgress {
    return { ...this.#progress, state: this.#state }
  }

  /** Stops the execution; resolves once the workers stopped. */
  stop(mode: 'cancel' | 'pause'): void {
    if (this.#stopMode) return
    this.#stopMode = mode
    this.#state = mode === 'pause' ? 'pausing' : 'cancelling'
    this.#controller.abort()
    this.#publish()
  }

  #update(progress: EngineProgress): void {
    this.#progress = {
      batch: this.batch,
      state: this.#state,
      done: progress.done,
      total: progress.total,
      computed: progress.computed,
      failed: progress.failed,
      cached: progress.cached,
      runsPerSecond: progress.runsPerSecond,
      etaSeconds: progress.etaSeconds ?? null,
      elapsedSeconds: progress.elapsedSeconds
    }
    this.#publish()
  }

  #publish(): void {
    this.#onProgress(this.progress)
  }
}
