/**
 * The main window's options and the URL rules of the app. Plain functions with type-only Electron
 * imports, so they are unit-tested under Node (importing `electron` there would try to download it).
 */
import type { BrowserWindowConstructorOptions, Rectangle } from 'electron'
import type { WindowState } from './api/config-store'

/** The privileged scheme the renderer is served from (a real origin, so Monaco's workers load). */
export const APP_SCHEME = 'batchdesk'
export const APP_ORIGIN = `${APP_SCHEME}://app`

/** The page to load: the electron-vite dev server in development, the built renderer otherwise. */
export function appEntryUrl(devServerUrl?: string): string {
  return devServerUrl ?? `${APP_ORIGIN}/index.html`
}

/**
 * True when a URL belongs to the app: the app scheme's origin, or the dev server's origin in development.
 * Used to allow navigation and to accept IPC senders; everything else is refused.
 */
export function isAppUrl(url: string | undefined, devServerUrl?: string): boolean {
  if (!url) return false
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  if (parsed.protocol === `${APP_SCHEME}:` && parsed.host === 'app') return true
  if (!devServerUrl) return false
  const dev = new URL(devServerUrl)
  return parsed.origin === dev.origin
}

const DEFAULT_SIZE = { width: 1400, height: 900 }

/**
 * The main window's options: the renderer is isolated (contextIsolation, sandbox, no Node), web security
 * stays on, and only the preload bridges to the main process.
 * @param state the remembered bounds, used when they still fit on one of the displays.
 */
export function mainWindowOptions(
  preload: string,
  state: WindowState | undefined,
  displays: Rectangle[]
): BrowserWindowConstructorOptions {
  const bounds =
    state && fitsOnADisplay(state, displays)
      ? { x: state.x, y: state.y, width: state.width, height: state.height }
      : { ...DEFAULT_SIZE }
  return {
    ...bounds,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Batchdesk',
    backgroundColor: '#1e1e1e',
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      // Middle-click cannot open links in new windows.
      disableBlinkFeatures: 'Auxclick',
      spellcheck: false
    }
  }
}

/** True when at least 100×100 pixels of the window's title area would be on some display. */
export function fitsOnADisplay(state: WindowState, displays: Rectangle[]): boolean {
  if (state.x === undefined || state.y === undefined) return displays.length > 0
  const { x, y, width } = state
  return displays.some(
    (d) => x + width - 100 >= d.x && x + 100 <= d.x + d.width && y >= d.y && y + 100 <= d.y + d.height
  )
}
