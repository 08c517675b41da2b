/**
 * The native menu as a template (type-only Electron import, so it is tested under Node). Commands act in
 * the main process (dialogs, then contract calls); the renderer follows through the projectChanged event.
 */
import type { MenuItemConstructorOptions } from 'electron'
import type { RecentProject } from '../src-preload/contract'

export interface MenuActions {
  newProject(): void
  openProject(): void
  openRecent(dir: string): void
  save(): void
  importPack(): void
}

export function menuTemplate(
  actions: MenuActions,
  recent: RecentProject[],
  options: { platform: NodeJS.Platform; isDev: boolean }
): MenuItemConstructorOptions[] {
  const isMac = options.platform === 'darwin'
  const file: MenuItemConstructorOptions = {
    label: '&File',
    submenu: [
      { label: 'New Project…', accelerator: 'CmdOrCtrl+N', click: () => actions.newProject() },
      { label: 'Open Project…', accelerator: 'CmdOrCtrl+O', click: () => actions.openProject() },
      {
        label: 'Open Recent',
        enabled: recent.length > 0,
        submenu: recent.map((entry) => ({
          label: `${entry.name} — ${entry.dir}`,
          click: () => actions.openRecent(entry.dir)
        }))
      },
      { type: 'separator' },
      { label: 'Save', accelerator: 'CmdOrCtrl+S', click: () => actions.save() },
      { label: 'Import Result Pack…', accelerator: 'CmdOrCtrl+I', click: () => actions.importPack() },
      ...(isMac
        ? []
        : [
            { type: 'separator' } as const,
            { role: 'quit', label: 'Quit', accelerator: 'CmdOrCtrl+Q' } as const
          ])
    ]
  }
  const view: MenuItemConstructorOptions = {
    label: '&View',
    submenu: [
      ...(options.isDev
        ? [{ role: 'reload' } as const, { role: 'toggleDevTools' } as const, { type: 'separator' } as const]
        : []),
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' }
    ]
  }
  return [
    ...(isMac ? [{ role: 'appMenu' } as const] : []),
    file,
    // Copy, paste and undo in the editor and inputs need the Edit roles (on macOS they have no other binding).
    { role: 'editMenu' },
    view,
    { role: 'windowMenu' }
  ]
}
