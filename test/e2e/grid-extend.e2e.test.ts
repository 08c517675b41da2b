import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startApp, type RunningApp } from './harness'

/**
 * Extending a sweep later: the quickstart's 60-run design is loaded back into the grid, one more value of A
 * is added, the design is saved in place, and only the 12 new combinations are computed.
 */
describe('extending a saved design', () => {
  let app: RunningApp
  beforeAll(async () => {
    app = await startApp({ example: 'quickstart' })
  })
  afterAll(async () => {
    await app?.close()
  })

  it('computes the quickstart first', async () => {
    const { page } = app
    await page.getByTestId('run-batch').click()
    await page
      .getByTestId('done-count')
      .filter({ hasText: /\b62\b/ })
      .waitFor()
  })

  it('loads the 60-run design into the grid: everything in it is stored already', async () => {
    const { page } = app
    await page.getByTestId('tab-grid').click()
    const designs = page.getByTestId('existing-design')
    await expect.poll(() => designs.count()).toBe(3)
    expect(await designs.nth(1).innerText()).toContain('Full factorial design')
    // Single runs have no grid to load.
    expect(await designs.nth(0).getByTestId('design-load').count()).toBe(0)
    await designs.nth(1).getByTestId('design-load').click()
    const rowA = page.locator('[data-testid="grid-row"][data-name="A"]')
    expect(await rowA.getByTestId('grid-list').inputValue()).toBe('1, 2, 3, 4, 5')
    await expect.poll(() => page.getByTestId('grid-preview-total').innerText()).toBe('60')
    await expect.poll(() => page.getByTestId('grid-preview-cached').innerText()).toBe('60')
    expect(await page.getByTestId('grid-preview-new').innerText()).toBe('0')
    expect(await page.getByTestId('grid-editing').innerText()).toContain(
      'Changing the saved design “Full factorial design”: saving replaces it.'
    )
    expect(await page.getByTestId('grid-add-run').innerText()).toBe('Save and run')
    await app.screenshot('grid-01-design-loaded')
  })

  it('adds a value of A, saves the design, and computes only the 12 new runs', async () => {
    const { page } = app
    const rowA = page.locator('[data-testid="grid-row"][data-name="A"]')
    await rowA.getByTestId('grid-list').fill('1, 2, 3, 4, 5, 6')
    await expect.poll(() => page.getByTestId('grid-preview-total').innerText()).toBe('72')
    await expect.poll(() => page.getByTestId('grid-preview-new').innerText()).toBe('12')
    expect(await page.getByTestId('grid-preview-cached').innerText()).toBe('60')
    await app.screenshot('grid-02-design-extended')
    await page.getByTestId('grid-add-run').click()
    await page
      .getByTestId('done-count')
      .filter({ hasText: /\b74\b/ })
      .waitFor()
    const { batch } = app.service.project!.batch('example')
    expect(batch.runs).toHaveLength(74)
    // The batch was rebuilt from its designs: the 62 earlier results count as stored before (cached).
    expect(batch.statusCounts()).toMatchObject({ done: 12, cached: 62, pending: 0, failed: 0 })
    expect(app.service.project!.manifest.batches[0].designs).toHaveLength(3)
    await expect
      .poll(() => page.getByTestId('toast').allInnerTexts())
      .toContainEqual(expect.stringContaining('12 runs computed'))
    await app.screenshot('grid-03-extension-computed')
  })

  it('raised no uncaught error in the page', () => {
    expect(app.pageErrors.map((error) => error.message)).toEqual([])
  })
})
