import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { AppService, type AppHooks } from '../../src-main/api/app-service'
import { localApi } from '../../src-main/api/local-api'
import type { ContractEvents, EventName, Result } from '../../src-preload/contract'

/** A fresh temporary folder. */
export function tempDir(prefix = 'bd-api-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix))
}

/** An app service with its own config folder. */
export function createService(hooks?: AppHooks): AppService {
  return new AppService({ configDir: tempDir('bd-config-'), hooks })
}

/** Resolves with the first event of that name matching the predicate (subscribe BEFORE causing it). */
export function nextEvent<E extends EventName>(
  service: AppService,
  name: E,
  matches: (payload: ContractEvents[E]) => boolean = () => true
): Promise<ContractEvents[E]> {
  return new Promise((resolve) => {
    const stop = service.onEvent((event, payload) => {
      if ((event as EventName) === name && matches(payload as ContractEvents[E])) {
        stop()
        resolve(payload as ContractEvents[E])
      }
    })
  })
}

/** Collects every event of one name. */
export function collectEvents<E extends EventName>(service: AppService, name: E): ContractEvents[E][] {
  const events: ContractEvents[E][] = []
  service.onEvent((event, payload) => {
    if ((event as EventName) === name) events.push(payload as ContractEvents[E])
  })
  return events
}

/** The value of an ok result; fails the test with the error message otherwise. */
export function valueOf<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`)
  return result.value
}

/** Creates the quickstart example in a temp folder and opens it. */
export async function openQuickstart(service: AppService): Promise<string> {
  const dir = path.join(tempDir('bd-project-'), 'quickstart')
  valueOf(await localApi(service).projects.create({ dir, example: 'quickstart' }))
  return dir
}

/** Runs a batch and resolves when its execution ended. */
export async function executeAndWait(
  service: AppService,
  batch: string,
  options: { rerunStale?: boolean; onlyFailed?: boolean } = {}
) {
  const ended = nextEvent(
    service,
    'batchProgress',
    (p) => p.batch === batch && (p.state === 'idle' || p.state === 'paused')
  )
  const started = valueOf(await localApi(service).batches.execute({ batch, ...options }))
  return { started, progress: await ended }
}
