/**
 * The end-to-end harness: the browser-mode server in this process (hosting the engine, as `batchdesk serve`
 * does) against a temp copy of an example project, and Debian's Chromium driven by playwright-core.
 *
 * ```ts
 * const app = await startApp()                // server + browser, page opened with the token
 * await app.page.getByTestId('run-batch').click()
 * await app.screenshot('workspace')           // test-artifacts/screenshots/workspace.png
 * await app.close()
 * ```
 */
import { cpSync, mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { AppService } from '../../src-main/api/app-service'
import { startServer, type RunningServer } from '../../src-main/server/server'

const root = path.resolve(__dirname, '../..')
/** The built renderer; BATCHDESK_E2E_RENDERER points elsewhere (a stand-in page while the UI is being built). */
export const RENDERER_DIR = process.env.BATCHDESK_E2E_RENDERER ?? path.join(root, 'out', 'renderer')
export const SCREENSHOT_DIR = path.join(root, 'test-artifacts', 'screenshots')
export const CHROMIUM = process.env.BATCHDESK_CHROMIUM ?? '/usr/bin/chromium'

/** Chromium without the network chatter, sandbox or GPU this machine cannot give it. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic'
]

/** A fresh temporary folder. */
export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), prefix))
}

/** Copies a bundled example (without results) to a new temp folder and returns the project folder. */
export function copyExample(example = 'quickstart'): string {
  const dir = path.join(tempDir('bd-e2e-project-'), example)
  cpSync(path.join(root, 'resources', 'examples', example), dir, {
    recursive: true,
    filter: (from) => !from.split(path.sep).includes('_res')
  })
  return dir
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
}

/** The server and engine side of a running app. */
export interface AppHost {
  service: AppService
  server: RunningServer
  close(): Promise<void>
}

/** Starts an app service (with its own config folder) and the server; opens `projectDir` when given. */
export async function startHost(projectDir?: string): Promise<AppHost> {
  const service = new AppService({ configDir: tempDir('bd-e2e-config-') })
  if (projectDir) {
    const opened = await service.openProject(projectDir)
    if (!opened) throw new Error(`${projectDir} is not a project`)
  }
  const server = await startServer({ host: service, rendererDir: RENDERER_DIR })
  return {
    service,
    server,
    close: async () => {
      await server.close()
      await service.dispose()
    }
  }
}

export interface RunningApp extends AppHost {
  projectDir: string
  browser: Browser
  context: BrowserContext
  page: Page
  /** Uncaught errors of the page, to assert there were none. */
  pageErrors: Error[]
  /** Saves a PNG of the page under test-artifacts/screenshots/ and returns its path. */
  screenshot(name: string): Promise<string>
  /** Stops the server and engine and starts them again on the same project (results stay on disk). */
  restartHost(): Promise<void>
  close(): Promise<void>
}

/**
 * Starts the whole app: a temp copy of the example, the server and engine in this process, Chromium, and
 * a page opened at the address with the token (which moves into the session cookie).
 */
export async function startApp(options: { example?: string; projectDir?: string } = {}): Promise<RunningApp> {
  const projectDir = options.projectDir ?? copyExample(options.example)
  let host = await startHost(projectDir)
  const browser = await launchBrowser()
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } })
  const page = await context.newPage()
  const pageErrors: Error[] = []
  page.on('pageerror', (error) => pageErrors.push(error))
  await page.goto(host.server.url)
  const app: RunningApp = {
    get service() {
      return host.service
    },
    get server() {
      return host.server
    },
    projectDir,
    browser,
    context,
    page,
    pageErrors,
    screenshot: (name) => screenshot(page, name),
    restartHost: async () => {
      await host.close()
      host = await startHost(projectDir)
      await page.goto(host.server.url)
    },
    close: async () => {
      await browser.close()
      await host.close()
    }
  }
  return app
}

/** Saves a PNG of the page under test-artifacts/screenshots/. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true })
  const file = path.join(SCREENSHOT_DIR, `${name}.png`)
  await page.screenshot({ path: file, fullPage: false })
  return file
}
