/**
 * The Electron entry: app lifecycle, one instance, the app scheme, the window, the menu, IPC. Everything
 * that can be a plain function lives in window.ts, ipc.ts, menu.ts and app-protocol.ts (tested under Node).
 */
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { app, BrowserWindow, dialog, ipcMain, Menu, Notification, protocol, screen, session } from 'electron'
import { AppService } from './api/app-service'
import { localApi } from './api/local-api'
import { handleAppRequest } from './app-protocol'
import { bindContract, forwardEvents } from './ipc'
import { menuTemplate, type MenuActions } from './menu'
import { electronSqliteBinding, SQLITE_BINDING_ENV } from './native-binding'
import { packageRoot } from './engine/package-root'
import { APP_SCHEME, appEntryUrl, isAppUrl, mainWindowOptions } from './window'
import type { BatchdeskApi, BatchProgress, Result } from '../src-preload/contract'

/** Set by `electron-vite dev`: the renderer comes from the dev server. */
const devServerUrl = process.env.ELECTRON_RENDERER_URL
/** Batches that ran at least this long get an OS notification when they end (if the window is not focused). */
const NOTIFY_AFTER_SECONDS = 30

// Before anything opens SQLite: the addon built for Electron's ABI (scripts/electron-native.mjs), if any.
const sqliteBinding = electronSqliteBinding(packageRoot(), process.versions)
if (sqliteBinding) process.env[SQLITE_BINDING_ENV] = sqliteBinding

let mainWindow: BrowserWindow | undefined
let service: AppService | undefined

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }
])

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return
    if (mainWindow.isMinimized()) mainWindow.restore()
    mainWindow.focus()
  })
  app.on('web-contents-created', (_event, contents) => guardContents(contents))
  app.on('window-all-closed', () => app.quit())
  app.on('before-quit', (event) => {
    if (!service) return
    // Stop executions and release the project lock before the process ends.
    event.preventDefault()
    const closing = service
    service = undefined
    void closing.dispose().finally(() => app.quit())
  })
  app.whenReady().then(start, (error) => {
    dialog.showErrorBox('Batchdesk could not start', String(error?.stack ?? error))
    app.exit(1)
  })
}

async function start(): Promise<void> {
  const rendererDir = path.join(__dirname, '../renderer')
  protocol.handle(APP_SCHEME, (request) => handleAppRequest(request, rendererDir))
  // The app asks for no permission (camera, notifications by the page, …): refuse them all.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))

  service = new AppService({
    configDir: app.getPath('userData'),
    hooks: { pickFolder, onExecutionEnded: notifyEnded, pickPackSource, pickExportFile }
  })
  bindContract(ipcMain, service, (url) => isAppUrl(url, devServerUrl))

  const last = service.config.recent()[0]
  if (last) await service.openProject(last.dir).catch(() => undefined)

  createWindow(service)
  refreshMenu(service)
  service.onEvent((name, payload) => {
    if (name === 'projectChanged' && 'reason' in payload && payload.reason === 'opened' && payload.project) {
      app.addRecentDocument(payload.project.dir)
      refreshMenu(service!)
    }
  })
}

function createWindow(host: AppService): void {
  const displays = screen.getAllDisplays().map((display) => display.workArea)
  const { webPreferences, ...frame } = mainWindowOptions(
    path.join(__dirname, '../preload/index.js'),
    host.config.windowState,
    displays
  )
  // The security switches are repeated here, literally, so static scanners (Electronegativity) see them.
  const window = new BrowserWindow({
    ...frame,
    webPreferences: {
      ...webPreferences,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      disableBlinkFeatures: 'Auxclick'
    }
  })
  mainWindow = window
  if (host.config.windowState?.maximized) window.maximize()
  const stopForwarding = forwardEvents(host, (channel, payload) => {
    if (!window.isDestroyed()) window.webContents.send(channel, payload)
  })
  // The renderer asks before losing unsaved code (beforeunload); Electron only tells us, so ask here.
  window.webContents.on('will-prevent-unload', (event) => {
    const choice = dialog.showMessageBoxSync(window, {
      type: 'question',
      buttons: ['Close without saving', 'Cancel'],
      defaultId: 1,
      cancelId: 1,
      message: 'The run class has unsaved changes.',
      detail: 'Close Batchdesk anyway? Choose Cancel, then save with Ctrl+S (Cmd+S on a Mac) to keep them.'
    })
    if (choice === 0) event.preventDefault()
  })
  window.once('ready-to-show', () => window.show())
  window.on('close', () => {
    const bounds = window.getNormalBounds()
    host.config.windowState = { ...bounds, maximized: window.isMaximized() }
  })
  window.on('closed', () => {
    stopForwarding()
    mainWindow = undefined
  })
  void window.loadURL(appEntryUrl(devServerUrl))
}

/** No navigation away from the app, no new windows, no webviews; https links open in the system browser. */
function guardContents(contents: Electron.WebContents): void {
  // The app opens no windows and no links outside itself.
  contents.setWindowOpenHandler(() => ({ action: 'deny' }))
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, devServerUrl)) event.preventDefault()
  })
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url, devServerUrl)) event.preventDefault()
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
}

function refreshMenu(host: AppService): void {
  const api = localApi(host)
  const actions: MenuActions = {
    newProject: () => void newProject(api),
    openProject: () => void openProjectFromDialog(api),
    openRecent: (dir) => void openProjectAt(api, dir),
    save: () => void report(api.projects.save(), 'Could not save the project'),
    importPack: () => void importPack(host)
  }
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      menuTemplate(actions, host.config.recent(), {
        platform: process.platform,
        isDev: devServerUrl !== undefined
      })
    )
  )
}

async function pickFolder(title?: string): Promise<string | null> {
  const options: Electron.OpenDialogOptions = {
    title: title ?? 'Choose a folder',
    properties: ['openDirectory', 'createDirectory']
  }
  const picked = mainWindow
    ? await dialog.showOpenDialog(mainWindow, options)
    : await dialog.showOpenDialog(options)
  return picked.canceled || picked.filePaths.length === 0 ? null : picked.filePaths[0]
}

async function newProject(api: BatchdeskApi): Promise<void> {
  const dir = await pickFolder('Folder for the new project')
  if (!dir) return
  const empty = !existsSync(dir) || readdirSync(dir).filter((name) => !name.startsWith('.')).length === 0
  await report(
    empty ? api.projects.create({ dir }) : api.projects.createHere({ dir }),
    'Could not create the project'
  )
}

async function openProjectFromDialog(api: BatchdeskApi): Promise<void> {
  const dir = await pickFolder('Open a project folder')
  if (dir) await openProjectAt(api, dir)
}

async function openProjectAt(api: BatchdeskApi, dir: string): Promise<void> {
  const opened = await report(api.projects.open({ dir }), 'Could not open the project')
  if (opened?.kind !== 'notAProject') return
  const answer = await dialog.showMessageBox({
    type: 'question',
    buttons: ['Create a project here', 'Cancel'],
    defaultId: 0,
    cancelId: 1,
    message: `${dir} is not a Batchdesk project yet.`,
    detail: 'Batchdesk can make it one: it adds a batchdesk.json file and leaves everything else as it is.'
  })
  if (answer.response === 0) await report(api.projects.createHere({ dir }), 'Could not create the project')
}

/**
 * File > Import Result Pack…: the file is picked here, then the page shows what the pack holds and asks
 * how to import it (nothing is imported without that preview).
 */
async function importPack(host: AppService): Promise<void> {
  const file = await pickPackSource('pack')
  if (file) host.emit('packImportRequested', { path: file })
}

async function pickPackSource(kind: 'pack' | 'legacy'): Promise<string | null> {
  const options: Electron.OpenDialogOptions =
    kind === 'pack'
      ? {
          title: 'Import a result pack',
          properties: ['openFile'],
          filters: [{ name: 'Result packs', extensions: ['bdpack', 'zip'] }]
        }
      : { title: "Choose batchpy's _res folder", properties: ['openDirectory'] }
  const picked = mainWindow
    ? await dialog.showOpenDialog(mainWindow, options)
    : await dialog.showOpenDialog(options)
  return picked.canceled || picked.filePaths.length === 0 ? null : picked.filePaths[0]
}

async function pickExportFile(defaultPath?: string): Promise<string | null> {
  const options: Electron.SaveDialogOptions = {
    title: 'Share as result pack',
    defaultPath,
    filters: [{ name: 'Result packs', extensions: ['bdpack'] }],
    properties: ['createDirectory', 'showOverwriteConfirmation']
  }
  const picked = mainWindow
    ? await dialog.showSaveDialog(mainWindow, options)
    : await dialog.showSaveDialog(options)
  return picked.canceled || !picked.filePath ? null : picked.filePath
}

/** Shows a failed call's message in a dialog; resolves with the value of a successful one. */
async function report<T>(pending: Promise<Result<T>>, title: string): Promise<T | undefined> {
  const result = await pending
  if (result.ok) return result.value
  if (result.error.code !== 'CANCELLED') dialog.showErrorBox(title, result.error.message)
  return undefined
}

function notifyEnded(progress: BatchProgress, error?: Error): void {
  if (
    progress.elapsedSeconds < NOTIFY_AFTER_SECONDS ||
    !Notification.isSupported() ||
    mainWindow?.isFocused()
  )
    return
  const body = error
    ? `Stopped: ${error.message}`
    : `${progress.computed} computed${progress.failed ? `, ${progress.failed} failed` : ''}${progress.state === 'paused' ? ' (paused)' : ''}`
  new Notification({ title: `Batch '${progress.batch}' ${error ? 'stopped' : 'finished'}`, body }).show()
}
