import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { useSettingsStore } from '../../../src-renderer/stores/settings'
import { installFakeApi, settle } from '../fakeApi'

/** A settings host whose answers the test releases by hand, in any order. */
function slowSettingsHost() {
  const pending: (() => void)[] = []
  let stored = { theme: 'light', author: '', processes: null as number | null }
  installFakeApi({
    'settings.get': () => {
      const answer = { ...stored }
      return new Promise((resolve) => pending.push(() => resolve(answer)))
    },
    'settings.set': (patch: Partial<typeof stored>) => {
      stored = { ...stored, ...patch }
      const answer = { ...stored }
      return new Promise((resolve) => pending.push(() => resolve(answer)))
    }
  })
  return pending
}

const shownTheme = () => document.documentElement.dataset.theme

describe('the theme setting', () => {
  beforeEach(() => {
    localStorage.clear()
    setActivePinia(createPinia())
  })

  it('keeps the last of two quick changes even when the host answers the first one last', async () => {
    const pending = slowSettingsHost()
    const settings = useSettingsStore()
    void settings.update({ theme: 'light' })
    void settings.update({ theme: 'dark' })
    expect(shownTheme()).toBe('dark')
    pending[1]() // the answer to "dark" comes first...
    await settle()
    pending[0]() // ...and the stale answer to "light" after it
    await settle()
    expect(settings.theme).toBe('dark')
    expect(shownTheme()).toBe('dark')
  })

  it('does not let a slow first read undo a change made meanwhile', async () => {
    const pending = slowSettingsHost()
    const settings = useSettingsStore()
    void settings.load() // reads "light"
    void settings.update({ theme: 'dark' })
    pending[1]()
    await settle()
    pending[0]() // the read answers last, with the theme from before the change
    await settle()
    expect(settings.theme).toBe('dark')
    expect(shownTheme()).toBe('dark')
  })

  it("takes the host's answer when nothing overtook it", async () => {
    const pending = slowSettingsHost()
    const settings = useSettingsStore()
    void settings.load()
    pending[0]()
    await settle()
    expect(settings.theme).toBe('light')
    expect(shownTheme()).toBe('light')
  })
})
