import type { AppService } from '../app-service'
import type { Handlers } from '../dispatch'
import { batchHandlers } from './batches'
import { packHandlers } from './packs'
import { projectHandlers } from './projects'
import { resultHandlers } from './results'
import { runClassHandlers } from './run-classes'
import { runHandlers } from './runs'
import { settingsHandlers } from './settings'

/** Every call of the contract, implemented over the app service. */
export function createHandlers(app: AppService): Handlers {
  return {
    projects: projectHandlers(app),
    runClasses: runClassHandlers(app),
    batches: batchHandlers(app),
    runs: runHandlers(app),
    results: resultHandlers(app),
    packs: packHandlers(app),
    settings: settingsHandlers(app)
  }
}
