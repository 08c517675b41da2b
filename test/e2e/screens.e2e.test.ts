import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  launchBrowser,
  screenshot,
  startApp,
  startHost,
  tempDir,
  type AppHost,
  type RunningApp
} from './harness'

/**
 * The screens the main flow does not pass through: a folder that is not a project, an empty project,
 * a batch that runs slowly (progress, pause, resume, cancel), failed runs, and the projectile example's
 * heatmap, array curves and runtime histogram. Screenshots under test-artifacts/screenshots/screens-*.
 */

/** A run class that takes a while per run and fails for x = 13, to see progress and errors. */
const SLOW_CLASS = [
  "import { Run } from 'batchdesk'",
  '',
  'export default class SlowRun extends Run {',
  '  async run({ x = 1, y = 2 }) {',
  '    await new Promise((resolve) => setTimeout(resolve, 150))',
  "    if (x === 13) throw new Error('x = 13 is unlucky: pick another value')",
  '    return { sum: x + y, product: x * y }',
  '  }',
  '}',
  ''
].join('\n')

describe('start screen, empty project, progress and failures', () => {
  let host: AppHost
  let browser: Browser
  let page: Page
  const pageErrors: string[] = []
  const folder = path.join(tempDir('bd-e2e-screens-'), 'plain folder')
  const shot = (name: string) => screenshot(page, `screens-${name}`)

  beforeAll(async () => {
    mkdirSync(path.join(folder, 'data'), { recursive: true })
    host = await startHost()
    browser = await launchBrowser()
    const context = await browser.newContext({
      viewport: { width: 1280, height: 720 },
      permissions: ['clipboard-read', 'clipboard-write']
    })
    page = await context.newPage()
    page.on('pageerror', (error) => pageErrors.push(error.message))
    await page.goto(host.server.url)
  })
  afterAll(async () => {
    await browser?.close()
    await host?.close()
  })

  it('browses to a folder that is not a project and offers to create one there', async () => {
    await page.getByTestId('open-project').click()
    const browserDialog = page.getByTestId('folder-browser')
    await browserDialog.waitFor()
    await browserDialog.getByLabel('Folder path').fill(folder)
    await browserDialog.getByLabel('Folder path').press('Enter')
    await expect.poll(() => browserDialog.getByTestId('folder-entry').allInnerTexts()).toEqual(['data'])
    await shot('01-folder-browser')
    await browserDialog.getByTestId('folder-choose').click()
    await page.getByTestId('not-a-project').waitFor()
    await shot('02-not-a-project')
    await page.getByTestId('create-here').click()
    await page.getByTestId('workspace').waitFor()
  })

  it('guides an empty project to its first batch', async () => {
    await page.getByTestId('new-batch-empty').waitFor()
    await shot('03-empty-project')
    await page.getByTestId('new-batch-empty').click()
    await page.getByTestId('new-batch-dialog').waitFor()
    await page.getByTestId('new-batch-name').fill('slow')
    await shot('04-new-batch')
    await page.getByTestId('create-batch').click()
    await page.getByTestId('editor').locator('.view-lines').waitFor()
    await shot('05-template-class')
  })

  it('shows an empty run table with what to do next', async () => {
    await page.getByTestId('tab-runs').click()
    await page.getByTestId('run-table').waitFor()
    await shot('06-no-runs')
  })

  it('shows progress with rate and time left, and pauses, resumes and cancels', async () => {
    await page.getByTestId('tab-code').click()
    await page.getByTestId('editor').locator('.view-lines').click()
    await page.keyboard.press('ControlOrMeta+A')
    await page.evaluate((t) => navigator.clipboard.writeText(t), SLOW_CLASS)
    await page.keyboard.press('ControlOrMeta+V')
    await page.keyboard.press('ControlOrMeta+S')
    await expect.poll(() => page.getByTestId('unsaved-marker').count(), { timeout: 10_000 }).toBe(0)
    await page.getByTestId('tab-grid').click()
    const row = (name: string) => page.locator(`[data-testid="grid-row"][data-name="${name}"]`)
    await row('x').getByTestId('grid-mode').selectOption('range')
    await row('x').getByTestId('grid-start').fill('1')
    await row('x').getByTestId('grid-stop').fill('20')
    await row('x').getByTestId('grid-step').fill('1')
    await row('y').getByTestId('grid-mode').selectOption('list')
    await row('y').getByTestId('grid-list').fill('1, 2, 3, 4, 5, 6')
    await expect.poll(() => page.getByTestId('grid-preview-total').innerText()).toBe('120')
    await row('y').getByTestId('grid-list').fill('1, 2, 3, 4, 5, 6, x')
    await shot('07-grid-error')
    await row('y').getByTestId('grid-list').fill('1, 2, 3, 4, 5, 6')
    await page.getByTestId('grid-add-run').click()
    const progress = page.getByTestId('progress')
    await expect.poll(() => progress.getAttribute('data-state')).toBe('running')
    await page.waitForTimeout(2500)
    await shot('08-running')
    await page.getByTestId('pause').click()
    await expect.poll(() => progress.getAttribute('data-state'), { timeout: 10_000 }).toBe('paused')
    await shot('09-paused')
    await page.getByTestId('resume').click()
    await expect.poll(() => progress.getAttribute('data-state')).toBe('running')
    await page.getByTestId('cancel').click()
    await expect.poll(() => progress.getAttribute('data-state'), { timeout: 10_000 }).toBe('idle')
    await expect
      .poll(() => page.getByTestId('toast').allInnerTexts())
      .toContainEqual(expect.stringContaining('cancelled'))
    await shot('10-cancelled')
  })

  it('shows failed runs with their error and offers to retry them', async () => {
    await page.getByTestId('run-batch').click()
    await expect
      .poll(() => page.getByTestId('progress').getAttribute('data-state'), { timeout: 60_000 })
      .toBe('idle')
    await page.getByTestId('retry-failed').waitFor()
    await page.getByTestId('filter-input').fill('x = 13')
    await page.getByTestId('filter-input').press('Enter')
    await page.locator('[data-testid="run-row"][data-status="failed"]').first().click()
    const details = page.getByTestId('run-details')
    await expect.poll(() => details.innerText()).toContain('x = 13 is unlucky')
    await shot('11-failed-details')
  })

  it('saves a class that does not compile but refuses to run it, pointing at the line', async () => {
    await page.getByTestId('tab-code').click()
    await page.getByTestId('editor').locator('.view-lines').click()
    await page.keyboard.press('ControlOrMeta+A')
    await page.evaluate(
      (t) => navigator.clipboard.writeText(t),
      SLOW_CLASS.replace('return { sum', 'return { sum: ,')
    )
    await page.keyboard.press('ControlOrMeta+V')
    await page.getByTestId('save-class').click()
    await expect.poll(() => page.getByTestId('unsaved-marker').count(), { timeout: 10_000 }).toBe(0)
    await page.getByTestId('tab-runs').click()
    await expect.poll(() => page.getByTestId('progress').innerText()).toContain('Cannot run')
    await expect.poll(() => page.getByTestId('progress').innerText()).toMatch(/slow\.ts:7/)
    await shot('12-cannot-run')
    await page.keyboard.press('F5')
    await page.waitForTimeout(300)
    expect(await page.getByTestId('progress').getAttribute('data-state')).toBe('idle')
    await page.getByRole('button', { name: 'Fix the code' }).click()
    await page.getByTestId('problem').first().waitFor()
    await shot('13-fix-the-code')
  })

  it('asks before closing the project with unsaved code, and lists it among recent projects', async () => {
    await page.getByTestId('editor').locator('.view-lines').click()
    await page.keyboard.press('ControlOrMeta+End')
    await page.keyboard.insertText('// a note')
    await page.getByTestId('unsaved-marker').waitFor()
    await page.getByTestId('close-project').click()
    const confirm = page.getByTestId('confirm-dialog')
    await confirm.waitFor()
    await shot('14-unsaved-confirm')
    await page.getByTestId('confirm-cancel').click()
    await expect.poll(() => confirm.count()).toBe(0)
    expect(await page.getByTestId('unsaved-marker').count()).toBe(1)
    await page.getByTestId('close-project').click()
    await page.getByTestId('confirm-extra').click()
    await page.getByTestId('start-view').waitFor()
    await expect.poll(() => page.getByTestId('recent-project').count()).toBeGreaterThan(0)
    await page.getByTestId('open-settings').click()
    await page.getByTestId('settings-dialog').waitFor()
    await shot('15-start-recent-settings')
    await page.keyboard.press('Escape')
  })

  it('raised no uncaught error in the page', () => {
    expect(pageErrors).toEqual([])
  })
})

describe('charts of the projectile example', () => {
  let app: RunningApp
  const shot = (name: string) => app.screenshot(`screens-${name}`)

  beforeAll(async () => {
    app = await startApp({ example: 'projectile' })
    await app.page.setViewportSize({ width: 1280, height: 720 })
  })
  afterAll(async () => {
    await app?.close()
  })

  it('computes the batch and draws a heatmap of range over angle and drag', async () => {
    const { page } = app
    await page.getByTestId('workspace').waitFor()
    await shot('16-projectile-opened')
    await page.getByTestId('run-batch').click()
    await expect
      .poll(() => page.getByTestId('progress').getAttribute('data-state'), { timeout: 60_000 })
      .toBe('idle')
    await page.getByTestId('tab-charts').click()
    await page.getByTestId('chart').locator('canvas').first().waitFor()
    await expect
      .poll(() => page.getByTestId('chart-kind').locator('option').first().innerText())
      .toContain('Heatmap')
    await page.waitForTimeout(300)
    await shot('17-heatmap')
  })

  it('switches to one line per drag value', async () => {
    const { page } = app
    await page.getByTestId('chart-kind').selectOption('lines')
    await page.waitForTimeout(300)
    await shot('18-lines')
  })

  it('overlays the trajectories of selected runs', async () => {
    const { page } = app
    await page.getByTestId('tab-runs').click()
    const rows = page.getByTestId('run-row')
    await rows.nth(2).click()
    await rows.nth(6).click({ modifiers: ['ControlOrMeta'] })
    await rows.nth(10).click({ modifiers: ['ControlOrMeta'] })
    await shot('19-selection')
    await app.context.grantPermissions(['clipboard-read', 'clipboard-write'])
    await page.getByTestId('copy-selection').click()
    const copied = await page.evaluate(() => navigator.clipboard.readText())
    expect(copied.split(/\r?\n/)[0]).toBe(
      'index,id,status,angle,drag,speed,dt,range,maxHeight,flightTime,runtime'
    )
    expect(copied.trim().split(/\r?\n/)).toHaveLength(4)
    await page.getByTestId('tab-charts').click()
    await page.getByTestId('chart-kind').selectOption('curves')
    await page.waitForTimeout(500)
    await shot('20-curves')
  })

  it('draws the runtime histogram', async () => {
    const { page } = app
    await page.getByTestId('chart-kind').selectOption('histogram')
    await page.waitForTimeout(500)
    await shot('21-histogram')
  })

  it('raised no uncaught error in the page', () => {
    expect(app.pageErrors.map((error) => error.message)).toEqual([])
  })
})

describe('importing a result pack from the start screen', () => {
  let app: RunningApp
  const home = process.env.HOME
  const shot = (name: string) => app.screenshot(`screens-${name}`)

  beforeAll(async () => {
    // Without an open project the results go to a new project under ~/Batchdesk: keep that in a temp home.
    process.env.HOME = tempDir('bd-e2e-home-')
    app = await startApp({ example: 'quickstart' })
    await app.page.setViewportSize({ width: 1280, height: 720 })
  })
  afterAll(async () => {
    await app?.close()
    process.env.HOME = home
  })

  it('shows what a pack holds, then imports it into a new project', async () => {
    const { page } = app
    await page.getByTestId('run-batch').click()
    await page
      .getByTestId('done-count')
      .filter({ hasText: /\b62\b/ })
      .waitFor()
    const dir = tempDir('bd-e2e-packs-')
    const exported = await app.service.call('packs.export', {
      file: path.join(dir, 'shared.bdpack'),
      batch: 'example'
    })
    expect(exported.ok).toBe(true)
    await page.getByTestId('close-project').click()
    await page.getByTestId('import-pack').click()
    const dialog = page.getByTestId('import-pack-dialog')
    await dialog.getByLabel('Folder').fill(dir)
    await dialog.getByLabel('Folder').press('Enter')
    await dialog.getByTestId('pack-entry').first().click()
    await expect.poll(() => dialog.getByTestId('import-confirm').innerText()).toBe('Import 62 results')
    await shot('22-import-preview')
    await dialog.getByTestId('import-confirm').click()
    await page.getByTestId('workspace').waitFor()
    await page
      .getByTestId('done-count')
      .filter({ hasText: /\b62\b/ })
      .waitFor()
    expect(app.service.project?.dir.startsWith(process.env.HOME!)).toBe(true)
    await page.getByTestId('run-row').first().click()
    await page.getByTestId('run-origin').waitFor()
    await shot('23-imported')
  })

  it('raised no uncaught error in the page', () => {
    expect(app.pageErrors.map((error) => error.message)).toEqual([])
  })
})
