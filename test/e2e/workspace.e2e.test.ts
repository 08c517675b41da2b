import { readFile } from 'node:fs/promises'
import path from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchBrowser, screenshot, startHost, tempDir, type AppHost } from './harness'

/** The quickstart run class with a second result field; `label` is what it prints. */
function runClassSource(label: string): string {
  return [
    "import { Run } from 'batchdesk'",
    '',
    'export function min(values: number[]): number { return Math.min(...values) }',
    'export function max(values: number[]): number { return Math.max(...values) }',
    'export function sum(values: number[]): number { return values.reduce((t, v) => t + v, 0) }',
    'export function len(values: number[]): number { return values.length }',
    '',
    '/** A × operator(B), and its square root. */',
    'export default class ExampleRun extends Run {',
    '  run({ A = 0, B = [1, 2, 3], operator = max }) {',
    '    const val = A * operator(B)',
    `    console.log('${label}', val)`,
    '    return { val, root: Math.sqrt(Math.abs(val)) }',
    '  }',
    '}',
    ''
  ].join('\n')
}

/**
 * The whole workspace as a new user meets it: a project made from the quickstart example on the start
 * screen, the run class edited in Monaco, a 3 × 3 × 4 grid built and run, the table filling live, a
 * filter, a line chart and one run's details. One screenshot per step under test-artifacts/screenshots/.
 */
describe('the workspace, from the start screen to a chart', () => {
  let host: AppHost
  let browser: Browser
  let page: Page
  const pageErrors: string[] = []
  const parent = tempDir('bd-e2e-new-')
  const shot = (name: string) => screenshot(page, `workspace-${name}`)
  /** Pastes text where the keyboard focus is: Monaco keeps pasted text as it is (no auto-indent). */
  const paste = async (text: string) => {
    await page.evaluate((t) => navigator.clipboard.writeText(t), text)
    await page.keyboard.press('ControlOrMeta+V')
  }

  beforeAll(async () => {
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

  it('creates a project from the quickstart example', async () => {
    await page.getByTestId('start-view').waitFor()
    await page.getByTestId('open-example-quickstart').waitFor()
    await shot('01-start')
    await page.getByTestId('open-example-quickstart').click()
    const dialog = page.getByTestId('new-project-dialog')
    await dialog.waitFor()
    await expect.poll(() => dialog.getByLabel('Parent folder').inputValue()).not.toBe('')
    await dialog.getByLabel('Parent folder').fill(parent)
    await dialog.getByTestId('new-project-name').fill('my-quickstart')
    await shot('02-new-project')
    await dialog.getByTestId('create-project').click()
    await page.getByTestId('workspace').waitFor()
    expect(host.service.project?.dir).toBe(path.join(parent, 'my-quickstart'))
  })

  it('edits the run class in Monaco, marks it unsaved, and saves with Ctrl+S', async () => {
    await page.getByTestId('tab-code').click()
    const editor = page.getByTestId('editor')
    await editor.locator('.view-lines').waitFor()
    await expect.poll(() => editor.locator('.view-lines').innerText()).toContain('operator(B)')
    await editor.locator('.view-lines').click()
    await page.keyboard.press('ControlOrMeta+End')
    await page.keyboard.press('Enter')
    // insertText types like a paste, so Monaco's auto-closing of brackets does not interfere.
    await page.keyboard.insertText('const broken: number = "text"')
    await page.getByTestId('unsaved-marker').waitFor()
    await expect.poll(() => page.getByTestId('problem').count(), { timeout: 15_000 }).toBeGreaterThan(0)
    await shot('03-editor-type-error')
    await page.keyboard.press('ControlOrMeta+A')
    await paste(runClassSource('val is'))
    await expect.poll(() => page.getByTestId('problem').count(), { timeout: 15_000 }).toBe(0)
    await page.keyboard.press('ControlOrMeta+S')
    await expect.poll(() => page.getByTestId('unsaved-marker').count(), { timeout: 10_000 }).toBe(0)
    await shot('04-editor-saved')
  })

  it('completes the Run API from its typings', async () => {
    const editor = page.getByTestId('editor')
    await editor.locator('.view-lines').click()
    await page.keyboard.press('ControlOrMeta+End')
    await page.keyboard.press('Enter')
    await page.keyboard.type('new ExampleRun().')
    const suggestions = page.locator('.monaco-editor .suggest-widget')
    await expect.poll(() => suggestions.innerText(), { timeout: 15_000 }).toContain('parameters')
    await shot('04b-completion')
    await page.keyboard.press('Escape')
    await page.getByRole('button', { name: 'Discard changes' }).click()
    await expect.poll(() => page.getByTestId('unsaved-marker').count()).toBe(0)
  })

  it('tries the class once without storing anything', async () => {
    await page.getByTestId('try-once').click()
    const result = page.getByTestId('try-result')
    await result.waitFor()
    await expect.poll(() => result.innerText()).toContain('val is')
    await shot('05-try-once')
  })

  it('builds a 3 × 3 × 4 grid and sees the preview count', async () => {
    await page.getByTestId('tab-grid').click()
    const row = (name: string) => page.locator(`[data-testid="grid-row"][data-name="${name}"]`)
    await row('A').waitFor()
    await row('A').getByTestId('grid-mode').selectOption('range')
    await row('A').getByTestId('grid-start').fill('1')
    await row('A').getByTestId('grid-stop').fill('3')
    await row('A').getByTestId('grid-step').fill('1')
    await row('B').getByTestId('grid-mode').selectOption('list')
    await row('B').getByTestId('grid-list').fill('[1, 2]\n[3, 4, 5]\n[6]')
    await row('operator').getByTestId('grid-mode').selectOption('functions')
    for (const fn of ['min', 'max', 'sum', 'len']) await row('operator').getByTestId(`grid-fn-${fn}`).check()
    await expect.poll(() => page.getByTestId('grid-preview-total').innerText()).toBe('36')
    await expect.poll(() => page.getByTestId('grid-preview-new').innerText()).toBe('36')
    await shot('06-grid')
  })

  it('adds the design and runs it; the table fills live', async () => {
    await page.getByTestId('grid-add-run').click()
    await page.getByTestId('run-table').waitFor()
    await page
      .getByTestId('done-count')
      .filter({ hasText: /\b98\b/ })
      .waitFor({ timeout: 60_000 })
    await expect.poll(() => page.locator('[data-testid="run-row"][data-status="pending"]').count()).toBe(0)
    await shot('07-runs-done')
  })

  it('filters the table with a chip', async () => {
    await page.getByTestId('filter-input').fill('A <= 3')
    await page.getByTestId('filter-input').press('Enter')
    await expect.poll(() => page.getByTestId('filter-chip').allInnerTexts()).toEqual(['A <= 3'])
    await expect
      .poll(async () => {
        const values = await page.locator('[data-testid="run-row"] .td:nth-child(4)').allInnerTexts()
        return values.length > 0 && values.every((v) => Number(v) <= 3)
      })
      .toBe(true)
    await shot('08-runs-filtered')
  })

  it('sorts by a result column and exports the filtered table as CSV', async () => {
    await page.locator('[data-testid="run-table"] .th', { hasText: 'val' }).click()
    await expect
      .poll(() => page.locator('[data-testid="run-row"] .td:nth-child(7)').first().innerText())
      .toBe('0')
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('export-csv').click()
    ])
    expect(download.suggestedFilename()).toMatch(/^Quickstart-example-\d{4}-\d{2}-\d{2}\.csv$/)
    const csv = await readFile((await download.path())!, 'utf8')
    expect(csv.split(/\r?\n/)[0]).toContain('val')
    // A <= 3 keeps 3 × 3 × 4 runs of each of the two factorial designs.
    expect(csv.trim().split(/\r?\n/)).toHaveLength(1 + 36 + 36)
    // Third click: back to the order of the batch.
    await page.locator('[data-testid="run-table"] .th', { hasText: 'val' }).click()
    await page.locator('[data-testid="run-table"] .th', { hasText: 'val' }).click()
  })

  it('draws a line chart when the filter leaves one parameter varying', async () => {
    await page.getByTestId('filter-input').fill('B = [3,4,5]')
    await page.getByTestId('filter-input').press('Enter')
    await page.getByTestId('filter-input').fill('operator = sum')
    await page.getByTestId('filter-input').press('Enter')
    await page.getByTestId('tab-charts').click()
    await page.getByTestId('chart').locator('canvas').first().waitFor()
    await expect
      .poll(() => page.getByTestId('chart-kind').locator('option').first().innerText())
      .toContain('Line')
    await shot('09-chart-line')
    for (const type of ['png', 'svg']) {
      const [image] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId(`export-${type}`).click()
      ])
      expect(image.suggestedFilename().endsWith(`.${type}`)).toBe(true)
      const bytes = await readFile((await image.path())!)
      expect(bytes.length).toBeGreaterThan(1000)
      if (type === 'svg') expect(bytes.toString('utf8')).toContain('<svg')
    }
  })

  it('opens the details of one run', async () => {
    await page.getByTestId('tab-runs').click()
    await page.getByTestId('run-row').first().click()
    const details = page.getByTestId('run-details')
    await details.waitFor()
    await expect.poll(() => details.innerText()).toContain('val is')
    await shot('10-run-details')
  })

  it('says how many stored results a code change makes stale, and offers to rerun them', async () => {
    await page.getByTestId('tab-code').click()
    await page.getByTestId('editor').locator('.view-lines').click()
    await page.keyboard.press('ControlOrMeta+A')
    await paste(runClassSource('val ='))
    await page.getByTestId('unsaved-marker').waitFor()
    await page.getByTestId('save-class').click()
    await expect
      .poll(() => page.getByTestId('stale-notice').innerText(), { timeout: 10_000 })
      .toContain('98 stored results are now stale')
    await shot('11-stale-notice')
    await page.getByTestId('stale-notice').getByRole('button', { name: 'Go to runs' }).click()
    await expect
      .poll(() => page.locator('[data-testid="run-row"][data-status="stale"]').count())
      .toBeGreaterThan(0)
    await page.getByTestId('rerun-stale').waitFor()
    await shot('12-runs-stale')
  })

  it('switches to the dark theme with Ctrl+Shift+L', async () => {
    await page.getByTestId('tab-charts').click()
    await page.getByTestId('chart').locator('canvas').first().waitFor()
    for (
      let i = 0;
      i < 3 && (await page.evaluate(() => document.documentElement.dataset.theme)) !== 'dark';
      i++
    )
      await page.keyboard.press('ControlOrMeta+Shift+L')
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark')
    await page.waitForTimeout(300) // let the colour transitions finish before the screenshot
    await shot('13-dark-chart')
    await page.getByTestId('tab-code').click()
    await shot('14-dark-code')
  })

  it('raised no uncaught error in the page', () => {
    expect(pageErrors).toEqual([])
  })
})
