import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AppService } from '../../src-main/api/app-service'
import { executeAndWait } from '../api/helpers'
import { copyExample, startApp, tempDir, type RunningApp } from './harness'

/** Drops a file on the page the way a browser does when the user drags it from the desktop. */
async function dropFile(page: Page, file: string, options: { hold?: boolean } = {}): Promise<void> {
  await page.evaluate(
    ({ name, base64, hold }) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
      const data = new DataTransfer()
      data.items.add(new File([bytes], name, { type: 'application/zip' }))
      const fire = (type: string) =>
        document.body.dispatchEvent(
          new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: data })
        )
      fire('dragenter')
      fire('dragover')
      if (!hold) fire('drop')
    },
    { name: path.basename(file), base64: readFileSync(file).toString('base64'), hold: options.hold === true }
  )
}

/**
 * Sharing results between two people, in the real app: Ada computes the quickstart, filters A <= 3 and
 * shares those runs as a pack from the run table; Bob opens his own (fresh) quickstart, drops the pack on
 * the window, reads what it holds and the code that made it, imports it, and finds the runs in his table
 * (marked as imported) and in a chart. Screenshots: test-artifacts/screenshots/packs-*.png.
 */
describe('sharing results as a result pack', () => {
  let app: RunningApp
  const home = process.env.HOME
  const shot = (name: string) => app.screenshot(`packs-${name}`)
  let packFile = ''

  beforeAll(async () => {
    // Exports default to ~/Batchdesk/exports: keep them in a temp home.
    process.env.HOME = tempDir('bd-e2e-home-')
    app = await startApp({ example: 'quickstart' })
    await app.page.setViewportSize({ width: 1280, height: 760 })
    await app.service.call('settings.set', { author: 'Ada Lovelace' })
  })
  afterAll(async () => {
    await app?.close()
    process.env.HOME = home
  })

  it('computes the quickstart and filters the runs with A <= 3', async () => {
    const { page } = app
    await page.getByTestId('run-batch').click()
    await page
      .getByTestId('done-count')
      .filter({ hasText: /\b62\b/ })
      .waitFor()
    await page.getByTestId('filter-input').fill('A <= 3')
    await page.getByTestId('filter-input').press('Enter')
    await expect.poll(() => page.getByTestId('filter-chip').allInnerTexts()).toEqual(['A <= 3'])
  })

  it('shares the filtered runs from the run table and says where the file went', async () => {
    const { page } = app
    await page.getByTestId('share-pack').click()
    const dialog = page.getByTestId('export-pack-dialog')
    await dialog.waitFor()
    await expect.poll(() => dialog.getByTestId('export-count').innerText()).toContain('36 runs with results')
    await expect
      .poll(() => dialog.getByTestId('export-file').inputValue())
      .toMatch(/Batchdesk[/\\]exports[/\\]Quickstart-example-\d{4}-\d{2}-\d{2}\.bdpack$/)
    expect(await dialog.getByTestId('export-scope-filter').isChecked()).toBe(true)
    await shot('01-export')
    await dialog.getByTestId('export-confirm').click()
    await dialog.getByTestId('export-done').waitFor()
    packFile = await dialog.getByTestId('export-path').innerText()
    expect(packFile.startsWith(path.join(process.env.HOME!, 'Batchdesk', 'exports'))).toBe(true)
    expect(existsSync(packFile)).toBe(true)
    await shot('02-export-done')
    await dialog.getByRole('button', { name: 'Done' }).click()
    await dialog.waitFor({ state: 'detached' })
  })

  it("previews the pack dropped on a colleague's project window, with the code that made it", async () => {
    const { page } = app
    const second = copyExample('quickstart')
    expect((await app.service.call('projects.open', { dir: second })).ok).toBe(true)
    await expect.poll(() => page.locator('.status-bar .dir').innerText()).toBe(second)
    await page.getByTestId('run-row').first().waitFor()
    // The other project's batch has the same name: its filter must not carry over.
    expect(await page.getByTestId('filter-chip').count()).toBe(0)

    await dropFile(page, packFile, { hold: true })
    await page.getByTestId('pack-drop-overlay').waitFor()
    await shot('03-drop-overlay')
    await dropFile(page, packFile)
    const dialog = page.getByTestId('import-pack-dialog')
    await dialog.waitFor()
    await expect.poll(() => dialog.getByTestId('import-confirm').innerText()).toBe('Import 36 results')
    const text = await dialog.innerText()
    expect(text).toContain('Ada Lovelace')
    expect(text).toContain(second)
    await shot('04-preview')

    await dialog.getByTestId('view-pack-code').first().click()
    const viewer = page.getByTestId('pack-code-viewer')
    await expect.poll(() => viewer.getByTestId('pack-code').innerText()).toContain('extends Run')
    expect(await viewer.innerText()).toContain('never runs it')
    await shot('05-code')
    await viewer.getByRole('button', { name: 'Close' }).last().click()
    await viewer.waitFor({ state: 'detached' })
  })

  it('imports the runs: they are in the table, marked as imported, with their origin', async () => {
    const { page } = app
    const dialog = page.getByTestId('import-pack-dialog')
    await dialog.getByTestId('import-confirm').click()
    await dialog.waitFor({ state: 'detached' })
    await page
      .getByTestId('done-count')
      .filter({ hasText: /\b36\b/ })
      .waitFor()
    await expect
      .poll(() => page.locator('[data-testid="run-row"][data-status="cached"]').count())
      .toBeGreaterThan(0)
    expect(app.service.project!.batch('example').batch.statusCounts()).toMatchObject({
      cached: 36,
      pending: 26
    })
    await page.locator('[data-testid="run-row"][data-status="cached"]').first().click()
    const origin = page.getByTestId('run-origin')
    await expect.poll(() => origin.innerText()).toContain(path.basename(packFile))
    expect(await origin.innerText()).toContain('Ada Lovelace')
    await shot('06-imported')
  })

  it('charts the imported runs', async () => {
    const { page } = app
    await page.getByTestId('tab-charts').click()
    await page.getByTestId('chart').locator('canvas').first().waitFor()
    await page.waitForTimeout(500)
    await shot('07-chart')
  })

  it('opens the preview for a pack picked from the File menu', async () => {
    const { page } = app
    await page.getByTestId('tab-runs').click()
    app.service.emit('packImportRequested', { path: packFile })
    const dialog = page.getByTestId('import-pack-dialog')
    await dialog.waitFor()
    // Imported a moment ago: everything is here already, so there is nothing to import.
    await expect.poll(() => dialog.locator('tbody tr').innerText()).toMatch(/example\s+0\s+36\s+0\s+0/)
    expect(await dialog.getByTestId('import-confirm').isDisabled()).toBe(true)
    expect(await dialog.getByTestId('import-confirm').innerText()).toBe('Nothing new to import')
    await dialog.getByTestId('import-nothing-new').waitFor()
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    await dialog.waitFor({ state: 'detached' })
  })

  it('keeps both when a pack holds other results for runs already here', async () => {
    const { page } = app
    // Carol's code gives other results for the same parameters; her pack has all 62 runs.
    const carol = new AppService({ configDir: tempDir('bd-e2e-config-') })
    const carolFile = path.join(tempDir('bd-e2e-carol-'), 'carol.bdpack')
    try {
      const dir = copyExample('quickstart')
      const code = path.join(dir, 'example_run.ts')
      writeFileSync(
        code,
        readFileSync(code, 'utf8').replace('val: A * operator(B)', 'val: A * operator(B) + 0.5')
      )
      await carol.openProject(dir)
      await executeAndWait(carol, 'example')
      expect((await carol.call('packs.export', { file: carolFile })).ok).toBe(true)
    } finally {
      await carol.dispose()
    }
    await dropFile(page, carolFile)
    const dialog = page.getByTestId('import-pack-dialog')
    await expect.poll(() => dialog.locator('tbody tr').innerText()).toMatch(/example\s+26\s+0\s+36\s+0/)
    expect(await dialog.innerText()).toContain('No author named')
    expect(await dialog.getByTestId('import-confirm').innerText()).toBe('Import 26 results')
    await dialog.getByLabel(/Keep both/).check()
    expect(await dialog.getByTestId('import-confirm').innerText()).toBe('Import 62 results')
    await shot('08-conflicts')
    await dialog.getByTestId('import-confirm').click()
    await dialog.waitFor({ state: 'detached' })
    // Theirs went to a batch of its own, shown at once; yours are unchanged.
    await expect
      .poll(() => page.getByTestId('batch-picker').inputValue())
      .toMatch(/^example\.imported-\d{8}$/)
    await page
      .getByTestId('done-count')
      .filter({ hasText: /\b36\b/ })
      .waitFor()
    // Her 26 new runs joined yours, marked stale: her code is not the code of this batch.
    expect(app.service.project!.batch('example').batch.statusCounts()).toMatchObject({
      cached: 36,
      stale: 26,
      pending: 0
    })
    await shot('09-kept-both')
    // The code that came with her results is there to read, not to edit or run.
    await page.getByTestId('tab-code').click()
    await page.getByTestId('imported-code-notice').waitFor()
    expect(await page.getByTestId('save-class').count()).toBe(0)
    await page.getByTestId('imported-side').waitFor()
    expect(await page.getByTestId('try-once').count()).toBe(0)
    await shot('09b-imported-code-read-only')
    await page.getByTestId('tab-runs').click()
  })

  it('imports from the start screen into an existing project chosen instead of a new one', async () => {
    const { page } = app
    await page.getByTestId('close-project').click()
    await page.getByTestId('import-pack').click()
    const dialog = page.getByTestId('import-pack-dialog')
    await expect.poll(() => dialog.getByLabel('Folder', { exact: true }).inputValue()).not.toBe('')
    await dialog.getByLabel('Folder', { exact: true }).fill(path.dirname(packFile))
    await dialog.getByLabel('Folder', { exact: true }).press('Enter')
    await dialog
      .getByTestId('pack-entry')
      .filter({ hasText: path.basename(packFile) })
      .click()
    await expect.poll(() => dialog.getByTestId('import-target').innerText()).toContain('a new project')
    await dialog.getByTestId('import-into-existing').click()
    const browser = page.getByTestId('folder-browser')
    await browser.getByLabel('Folder path').fill(app.projectDir)
    await browser.getByLabel('Folder path').press('Enter')
    await expect.poll(() => browser.getByText('This folder is a Batchdesk project').count()).toBe(1)
    await browser.getByTestId('folder-choose').click()
    await expect.poll(() => dialog.getByTestId('import-target').innerText()).toContain(app.projectDir)
    // Ada's own project has every run of her pack already.
    await expect.poll(() => dialog.locator('tbody tr').innerText()).toMatch(/example\s+0\s+36\s+0\s+0/)
    await shot('10-start-existing-project')
    await dialog.getByRole('button', { name: 'Cancel' }).click()
  })

  it('says what to do when the file dropped is not a pack', async () => {
    const { page } = app
    const notes = path.join(tempDir('bd-e2e-notes-'), 'notes.txt')
    writeFileSync(notes, 'not a pack')
    await dropFile(page, notes)
    await page.getByText('notes.txt is not a result pack').waitFor()
    expect(await page.getByTestId('import-pack-dialog').count()).toBe(0)
  })

  it('raised no uncaught error in the page', () => {
    expect(app.pageErrors.map((error) => error.message)).toEqual([])
  })
})
