import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startApp, type RunningApp } from './harness'

/**
 * The first user story, in the real app: open the quickstart project, compute its batch, watch the run
 * table fill up, then restart the server and see the same results read back from the index.
 */
describe('the quickstart in the browser', () => {
  let app: RunningApp
  beforeAll(async () => {
    app = await startApp({ example: 'quickstart' })
  })
  afterAll(async () => {
    await app?.close()
  })

  it('opens on the project with its run table of pending runs', async () => {
    const { page } = app
    await page.getByTestId('workspace').waitFor()
    await page.getByTestId('run-table').waitFor()
    await expect.poll(() => page.getByTestId('run-row').count()).toBeGreaterThan(0)
    expect(await page.getByTestId('run-row').first().getAttribute('data-status')).toBe('pending')
    await app.screenshot('01-workspace-pending')
  })

  it('computes the batch and shows 62 done runs', async () => {
    const { page } = app
    await page.getByTestId('run-batch').click()
    await page
      .getByTestId('done-count')
      .filter({ hasText: /\b62\b/ })
      .waitFor()
    await expect.poll(() => page.locator('[data-testid="run-row"][data-status="pending"]').count()).toBe(0)
    expect(await page.locator('[data-testid="run-row"][data-status="done"]').count()).toBeGreaterThan(0)
    await app.screenshot('02-workspace-done')
  })

  it('shows the same results after a restart, read from the index without computing again', async () => {
    const { page } = app
    await app.restartHost()
    await page.getByTestId('run-table').waitFor()
    await page
      .getByTestId('done-count')
      .filter({ hasText: /\b62\b/ })
      .waitFor()
    // Stored before this session: the runs are 'cached', none was computed again.
    await expect
      .poll(() => page.locator('[data-testid="run-row"][data-status="cached"]').count())
      .toBeGreaterThan(0)
    expect(await page.locator('[data-testid="run-row"][data-status="done"]').count()).toBe(0)
    expect(app.service.project!.batch('example').batch.statusCounts()).toMatchObject({
      cached: 62,
      pending: 0
    })
    await app.screenshot('03-workspace-after-restart')
  })

  it('raised no uncaught error in the page', () => {
    expect(app.pageErrors.map((error) => error.message)).toEqual([])
  })
})
