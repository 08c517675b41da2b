import { existsSync } from 'node:fs'
import path from 'node:path'
import type {
  BatchProgress,
  BatchState,
  ContractEvents,
  EventName,
  ProjectSummary,
  Result
} from '../../src-preload/contract'
import { Project, type ProjectBatch } from '../engine/project/project'
import { MANIFEST_FILE } from '../engine/project/manifest'
import { acquireStore, type ResultStore } from '../engine/store'
import { BatchExecution, planCompute } from './batch-execution'
import { ConfigStore } from './config-store'
import { dispatch, type ContractHost, type EventSink, type Handlers } from './dispatch'
import { ApiFailure } from './errors'
import { createHandlers } from './handlers'
import { summarizeProject } from './project-summary'
import { RunChangeFeed } from './run-change-feed'

/** What only the host (Electron or browser mode) can do; every hook is optional. */
export interface AppHooks {
  /** A native folder dialog; absent in browser mode. */
  pickFolder?(title?: string): Promise<string | null>
  /** Called when an execution ends (finished, cancelled or failed), for OS notifications. */
  onExecutionEnded?(progress: BatchProgress, error?: Error): void
  /** A native open dialog for a result pack file or a batchpy `_res` folder; absent in browser mode. */
  pickPackSource?(kind: 'pack' | 'legacy'): Promise<string | null>
  /** A native save dialog for a result pack; absent in browser mode. */
  pickExportFile?(defaultPath?: string): Promise<string | null>
}

export interface AppServiceOptions {
  /** Folder for the app's own settings file (never a project folder). */
  configDir: string
  hooks?: AppHooks
}

/**
 * The contract implemented over the engine, shared by Electron IPC and the browser-mode server. Holds the
 * open project, runs batches in the background (an AbortController each) and pushes events. User code never
 * runs in this process: run classes are described statically and computed by worker processes.
 */
export class AppService implements ContractHost {
  readonly config: ConfigStore
  readonly hooks: AppHooks
  #project: Project | undefined
  #store: ResultStore | undefined
  readonly #sinks = new Set<EventSink>()
  readonly #feeds = new Map<string, RunChangeFeed>()
  readonly #executions = new Map<string, BatchExecution>()
  readonly #paused = new Set<string>()
  readonly #handlers: Handlers

  constructor(options: AppServiceOptions) {
    this.config = new ConfigStore(options.configDir)
    this.hooks = options.hooks ?? {}
    this.#handlers = createHandlers(this)
  }

  call(name: unknown, input: unknown): Promise<Result<unknown>> {
    return dispatch(this.#handlers, name, input)
  }

  onEvent(sink: EventSink): () => void {
    this.#sinks.add(sink)
    return () => this.#sinks.delete(sink)
  }

  emit<E extends EventName>(name: E, payload: ContractEvents[E]): void {
    for (const sink of this.#sinks) {
      try {
        sink(name, payload)
      } catch {
        // One broken transport must not stop the others from getting events.
      }
    }
  }

  // ---- the open project --------------------------------------------------------------------------------

  get project(): Project | undefined {
    return this.#project
  }

  /** @throws ApiFailure NOT_FOUND when no project is open. */
  requireProject(): Project {
    if (!this.#project)
      throw new ApiFailure('NOT_FOUND', 'No project is open: open or create a project first')
    return this.#project
  }

  /** @throws ApiFailure CONFLICT when the project is open read-only. */
  requireWritableProject(): Project {
    const project = this.requireProject()
    if (project.readOnly) {
      throw new ApiFailure(
        'CONFLICT',
        'This project is open read-only (another Batchdesk is using it): close that one, then open the project again to make changes'
      )
    }
    return project
  }

  /** @throws ApiFailure NOT_FOUND naming the batches there are. */
  projectBatch(name: string): ProjectBatch {
    const project = this.requireProject()
    const found = project.batches.find((b) => b.name === name)
    if (!found) {
      const names = project.batches.map((b) => b.name)
      throw new ApiFailure(
        'NOT_FOUND',
        `There is no batch '${name}' in this project; ${names.length ? `batches: ${names.join(', ')}` : 'it has no batches yet'}`
      )
    }
    return found
  }

  summary(): ProjectSummary {
    return summarizeProject(this.requireProject(), (batch) => this.batchState(batch))
  }

  /** Opens a project folder, closing the current one; `undefined` when the folder holds no project. */
  async openProject(dir: string, readOnly = false): Promise<ProjectSummary | undefined> {
    const resolved = path.resolve(dir)
    if (!existsSync(resolved))
      throw new ApiFailure('NOT_FOUND', `The folder ${resolved} does not exist: pick another folder`)
    if (!existsSync(path.join(resolved, MANIFEST_FILE))) return undefined
    if (this.#project?.dir === resolved) {
      if (this.#project.readOnly === readOnly) return this.summary()
      await this.closeProject()
    }
    return this.adoptProject(await Project.open(resolved, { readOnly }))
  }

  /**
   * Makes a freshly opened or created project the current one, closing the previous one only now, so a
   * project that fails to open leaves the current one open.
   */
  async adoptProject(project: Project): Promise<ProjectSummary> {
    await this.closeProject()
    this.#project = project
    this.config.noteOpened(project.dir, project.manifest.name)
    const summary = this.summary()
    this.emit('projectChanged', { reason: 'opened', project: summary })
    return summary
  }

  /** Stops executions and closes the open project (releasing its lock). */
  async closeProject(): Promise<void> {
    const project = this.#project
    if (!project) return
    const running = [...this.#executions.values()]
    for (const execution of running) execution.stop('cancel')
    await Promise.allSettled(running.map((execution) => execution.finished))
    for (const feed of this.#feeds.values()) feed.dispose()
    this.#feeds.clear()
    this.#paused.clear()
    this.#store?.release()
    this.#store = undefined
    project.close()
    this.#project = undefined
    this.emit('projectChanged', { reason: 'closed', project: null })
  }

  /** After a batch's runs changed shape (run class saved, design added): fresh feed, fresh summary pushed. */
  batchChanged(name: string): void {
    this.#feeds.get(name)?.dispose()
    this.#feeds.delete(name)
    this.summaryChanged()
  }

  /** After anything in the project's summary changed (a setting, a batch, imports): it goes to every window. */
  summaryChanged(): void {
    this.emit('projectChanged', { reason: 'changed', project: this.summary() })
  }

  /**
   * After results were imported into the open project: the batches it reloaded have new run lists, so every
   * feed starts fresh, and the new summary is pushed.
   */
  resultsImported(): void {
    for (const feed of this.#feeds.values()) feed.dispose()
    this.#feeds.clear()
    this.summaryChanged()
  }

  /** True while a batch of the open project computes (or is being paused or cancelled). */
  isExecuting(): boolean {
    return this.#executions.size > 0
  }

  /** The result store of the open project, shared with its batches; undefined when read-only and empty. */
  resultStore(): ResultStore | undefined {
    const project = this.requireProject()
    if (!this.#store) {
      const savePath = path.join(project.dir, '_res')
      if (project.readOnly && !existsSync(savePath)) return undefined
      this.#store = acquireStore(savePath, { readOnly: project.readOnly })
    }
    return this.#store
  }

  // ---- executions --------------------------------------------------------------------------------------

  batchState(batch: string): BatchState {
    return this.#executions.get(batch)?.state ?? (this.#paused.has(batch) ? 'paused' : 'idle')
  }

  /** The status feed of a batch, created on first use. */
  feed(batch: string): RunChangeFeed {
    let feed = this.#feeds.get(batch)
    if (!feed) {
      feed = new RunChangeFeed(this.projectBatch(batch).batch, (event) => this.emit('runsChanged', event))
      this.#feeds.set(batch, feed)
    }
    return feed
  }

  /**
   * Starts computing a batch in the background.
   * @throws ApiFailure CONFLICT when it is already running, INVALID_ARGUMENT when its run class does not load.
   */
  startExecution(
    batch: string,
    options: { rerunStale?: boolean; onlyFailed?: boolean } = {}
  ): { toCompute: number } {
    const project = this.requireWritableProject()
    const projectBatch = this.projectBatch(batch)
    if (this.#executions.has(batch))
      throw new ApiFailure(
        'CONFLICT',
        `Batch '${batch}' is already running: wait for it to finish, or cancel it first`
      )
    if (projectBatch.loadError)
      throw new ApiFailure(
        'INVALID_ARGUMENT',
        `Batch '${batch}' cannot run because its run class does not load: ${projectBatch.loadError}`
      )
    const plan = planCompute(projectBatch.batch, options)
    this.#paused.delete(batch)
    if (plan.toCompute === 0) {
      // Nothing to start; one final progress event lets a waiting UI settle.
      this.emit('batchProgress', { ...idleProgress(batch), cached: projectBatch.batch.runs.length })
      return { toCompute: 0 }
    }
    const feed = this.feed(batch)
    const execution = new BatchExecution({
      project,
      batch,
      plan,
      rerunStale: options.rerunStale,
      processes: this.config.settings.processes ?? undefined,
      onProgress: (progress) => this.emit('batchProgress', progress),
      onRunIds: (ids) => feed.markIds(ids),
      onWorkerStatus: (message, level) =>
        this.emit('log', { batch, level, message, at: Date.now(), topic: 'workers' })
    })
    this.#executions.set(batch, execution)
    this.emit('log', {
      batch,
      level: 'info',
      message: `${batch}: computing ${plan.toCompute} runs`,
      at: Date.now()
    })
    execution.finished.then(
      (report) => this.#executionEnded(execution, feed, undefined, report?.computed ?? 0),
      (error: Error) => this.#executionEnded(execution, feed, error, 0)
    )
    return { toCompute: plan.toCompute }
  }

  /** Cancels or pauses a running batch; resolves when its workers stopped. */
  async stopExecution(batch: string, mode: 'cancel' | 'pause'): Promise<BatchProgress | null> {
    this.projectBatch(batch)
    const execution = this.#executions.get(batch)
    if (!execution) {
      if (mode === 'cancel') this.#paused.delete(batch)
      return null
    }
    execution.stop(mode)
    await execution.finished.catch(() => undefined)
    return execution.progress
  }

  /** Progress of every batch that is running or paused. */
  executionProgress(): BatchProgress[] {
    const running = [...this.#executions.values()].map((execution) => execution.progress)
    const paused = [...this.#paused].map((batch): BatchProgress => ({
      ...idleProgress(batch),
      state: 'paused'
    }))
    return [...running, ...paused]
  }

  #executionEnded(
    execution: BatchExecution,
    feed: RunChangeFeed,
    error: Error | undefined,
    computed: number
  ): void {
    if (this.#executions.get(execution.batch) === execution) this.#executions.delete(execution.batch)
    if (execution.state === 'paused') this.#paused.add(execution.batch)
    feed.resync()
    const progress = execution.progress
    const level = error ? 'error' : progress.failed > 0 ? 'warn' : 'info'
    const message = error
      ? `${execution.batch}: stopped: ${error.message}`
      : `${execution.batch}: ${computed} computed, ${progress.failed} failed${execution.state === 'paused' ? ' (paused)' : ''}`
    this.emit('log', { batch: execution.batch, level, message, at: Date.now() })
    this.emit('batchProgress', progress)
    this.hooks.onExecutionEnded?.(progress, error)
  }

  /** Stops everything and closes the project: call before the process exits. */
  async dispose(): Promise<void> {
    await this.closeProject()
    this.#sinks.clear()
  }
}

/** Progress of a batch with no execution. */
export function idleProgress(batch: string): BatchProgress {
  return {
    batch,
    state: 'idle',
    done: 0,
    total: 0,
    computed: 0,
    failed: 0,
    cached: 0,
    runsPerSecond: 0,
    etaSeconds: null,
    elapsedSeconds: 0
  }
}
