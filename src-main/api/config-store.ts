import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import type { RecentProject, Settings } from '../../src-preload/contract'

/** The app's own file in the config folder (never in a project folder). */
export const CONFIG_FILE = 'batchdesk-app.json'
const CONFIG_FORMAT = 1
const MAX_RECENT = 10

const windowStateSchema = z.object({
  x: z.number().int().optional(),
  y: z.number().int().optional(),
  width: z.number().int().min(400).max(20_000),
  height: z.number().int().min(300).max(20_000),
  maximized: z.boolean().default(false)
})
/** Where the window was, to open it there again. */
export type WindowState = z.infer<typeof windowStateSchema>

const configSchema = z.object({
  format: z.literal(CONFIG_FORMAT),
  settings: z
    .object({
      theme: z.enum(['system', 'light', 'dark']).catch('system'),
      author: z.string().max(200).catch(''),
      processes: z.number().int().min(1).max(256).nullable().catch(null)
    })
    .catch({ theme: 'system', author: '', processes: null }),
  recent: z.array(z.object({ dir: z.string(), name: z.string(), openedAt: z.number() })).catch([]),
  window: windowStateSchema.optional().catch(undefined)
})
type ConfigFile = z.infer<typeof configSchema>

function defaults(): ConfigFile {
  return { format: CONFIG_FORMAT, settings: { theme: 'system', author: '', processes: null }, recent: [] }
}

/**
 * Settings, recent projects and the window state, in one JSON file in the config folder given at
 * construction (Electron's userData, or ~/.config/batchdesk in browser mode). A malformed file is kept
 * as `<file>.bad` and replaced with defaults: losing preferences must never stop the app from starting.
 */
export class ConfigStore {
  readonly file: string
  #config: ConfigFile

  constructor(configDir: string) {
    this.file = path.join(configDir, CONFIG_FILE)
    this.#config = this.#read()
  }

  get settings(): Settings {
    return { ...this.#config.settings }
  }

  updateSettings(patch: Partial<Settings>): Settings {
    const next = { ...this.#config.settings }
    if (patch.theme !== undefined) next.theme = patch.theme
    if (patch.author !== undefined) next.author = patch.author
    if (patch.processes !== undefined) next.processes = patch.processes
    this.#config.settings = next
    this.#write()
    return this.settings
  }

  /** Recent projects, newest first; folders that no longer hold a project are left out. */
  recent(): RecentProject[] {
    return this.#config.recent.filter((entry) => existsSync(path.join(entry.dir, 'batchdesk.json')))
  }

  noteOpened(dir: string, name: string, now = Date.now()): void {
    this.#config.recent = [
      { dir, name, openedAt: now },
      ...this.#config.recent.filter((entry) => entry.dir !== dir)
    ].slice(0, MAX_RECENT)
    this.#write()
  }

  get windowState(): WindowState | undefined {
    return this.#config.window
  }

  set windowState(state: WindowState | undefined) {
    const parsed = windowStateSchema.safeParse(state)
    this.#config.window = parsed.success ? parsed.data : undefined
    this.#write()
  }

  #read(): ConfigFile {
    if (!existsSync(this.file)) return defaults()
    try {
      return configSchema.parse(JSON.parse(readFileSync(this.file, 'utf8')))
    } catch {
      try {
        renameSync(this.file, `${this.file}.bad`)
      } catch {
        // Keeping the bad copy is a courtesy; defaults are used either way.
      }
      return defaults()
    }
  }

  #write(): void {
    mkdirSync(path.dirname(this.file), { recursive: true })
    const temp = `${this.file}.${process.pid}.tmp`
    writeFileSync(temp, `${JSON.stringify(this.#config, null, 2)}\n`)
    renameSync(temp, this.file)
  }
}
