import type { AppService } from '../app-service'
import type { DomainHandlers } from '../dispatch'

export function settingsHandlers(app: AppService): DomainHandlers<'settings'> {
  return {
    get: () => app.config.settings,
    set: (patch) => app.config.updateSettings(patch)
  }
}
