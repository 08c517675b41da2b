/**
 * User settings (theme, author, worker processes), kept by the engine host so the CLI and every window
 * agree. The theme is applied at once, before the host answers, from the last choice seen in this window.
 */
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { getApi, type Settings } from '../api/client'
import { useNoticesStore } from './notices'

type Theme = Settings['theme']

/** Only a hint for the first paint; the host's settings are the truth. */
const THEME_HINT_KEY = 'batchdesk.theme'

function systemPrefersDark(): boolean {
  return (
    typeof window !== 'undefined' &&
    typeof window.matchMedia === 'function' &&
    window.matchMedia('(prefers-color-scheme: dark)').matches
  )
}

export const useSettingsStore = defineStore('settings', () => {
  const notices = useNoticesStore()
  const theme = ref<Theme>(readHint())
  const author = ref('')
  const processes = ref<number | null>(null)
  const systemDark = ref(systemPrefersDark())
  const dark = computed(() => (theme.value === 'system' ? systemDark.value : theme.value === 'dark'))

  function readHint(): Theme {
    try {
      const hint = localStorage.getItem(THEME_HINT_KEY)
      return hint === 'light' || hint === 'dark' ? hint : 'system'
    } catch {
      return 'system'
    }
  }

  function apply(): void {
    document.documentElement.dataset.theme = dark.value ? 'dark' : 'light'
    try {
      localStorage.setItem(THEME_HINT_KEY, theme.value)
    } catch {
      // Storage may be disabled; the theme still applies for this session.
    }
  }

  function watchSystem(): void {
    if (typeof window.matchMedia !== 'function') return
    window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', (event) => {
      systemDark.value = event.matches
      apply()
    })
  }

  /** Counts changes, so an answer overtaken by a newer change (two quick theme presses) cannot undo it. */
  let latestUpdate = 0

  async function load(): Promise<void> {
    apply()
    watchSystem()
    const updatesBefore = latestUpdate
    const value = await notices.attempt('Could not read your settings', () => getApi().settings.get())
    if (!value || updatesBefore !== latestUpdate) return
    theme.value = value.theme
    author.value = value.author
    processes.value = value.processes
    apply()
  }

  async function update(patch: Partial<Settings>): Promise<void> {
    const thisUpdate = ++latestUpdate
    if (patch.theme) {
      theme.value = patch.theme
      apply()
    }
    const value = await notices.attempt('Could not save your settings', () => getApi().settings.set(patch))
    if (!value || thisUpdate !== latestUpdate) return
    theme.value = value.theme
    author.value = value.author
    processes.value = value.processes
    apply()
  }

  /** Light → dark → system, for the toolbar button and Ctrl/Cmd+Shift+L. */
  function cycleTheme(): Promise<void> {
    const next: Theme = theme.value === 'light' ? 'dark' : theme.value === 'dark' ? 'system' : 'light'
    return update({ theme: next })
  }

  return { theme, author, processes, dark, load, update, cycleTheme }
})
