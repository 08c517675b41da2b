import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startApp, tempDir, type RunningApp } from './harness'

/**
 * 100,000 runs in the table and the charts: the table keeps only the rows on screen (paged by offset),
 * and a 100,000-point scatter draws in ECharts' large mode. Prints the measured times.
 */
const RUN_CLASS = `import { Run } from 'batchdesk'

export default class Sum extends Run {
  run({ a = 0, b = 0 }) {
    return { s: a + b, wave: Math.sin(a / 50) * Math.cos(b / 20) }
  }
}
`

function largeProject(): string {
  const dir = path.join(tempDir('bd-e2e-large-'), 'large')
  const manifest = {
    format: 1,
    name: 'Large',
    batches: [
      {
        name: 'big',
        runClass: 'sum.ts',
        designs: [{ kind: 'factorial', grid: { a: { $range: [0, 1000, 1] }, b: { $range: [0, 100, 1] } } }]
      }
    ],
    settings: {}
  }
  mkdirSync(dir, { recursive: true })
  writeFileSync(path.join(dir, 'batchdesk.json'), JSON.stringify(manifest, null, 2))
  writeFileSync(path.join(dir, 'sum.ts'), RUN_CLASS)
  return dir
}

describe('100,000 runs', () => {
  let app: RunningApp

  beforeAll(async () => {
    app = await startApp({ projectDir: largeProject() })
    await app.page.setViewportSize({ width: 1280, height: 720 })
  })
  afterAll(async () => {
    await app?.close()
  })

  it('lists 100,000 pending runs and scrolls to the end without rendering them all', async () => {
    const { page } = app
    await page.getByTestId('run-table').waitFor()
    await expect.poll(() => page.getByTestId('run-row').count()).toBeGreaterThan(0)
    const scroller = page.locator('[data-testid="run-table"] .scroller')
    const started = Date.now()
    for (let i = 1; i <= 10; i++) {
      await scroller.evaluate((el, f) => (el.scrollTop = el.scrollHeight * f), i / 10)
      await page.waitForTimeout(50)
    }
    await expect.poll(() => page.locator('[data-testid="run-row"][data-index="99999"]').count()).toBe(1)
    console.log(`scrolled through 100,000 rows in 10 jumps: ${Date.now() - started} ms`)
    expect(await page.getByTestId('run-row').count()).toBeLessThan(120)
    await app.screenshot('large-01-table-end')
  })

  it('computes them with live progress', async () => {
    const { page } = app
    const started = Date.now()
    await page.getByTestId('run-batch').click()
    await expect.poll(() => page.getByTestId('progress').getAttribute('data-state')).toBe('running')
    await page.waitForTimeout(3000)
    await app.screenshot('large-02-running')
    await expect
      .poll(() => page.getByTestId('progress').getAttribute('data-state'), {
        timeout: 600_000,
        interval: 1000
      })
      .toBe('idle')
    console.log(`computed 100,000 runs: ${Date.now() - started} ms`)
    await page.getByTestId('done-count').filter({ hasText: '100,000' }).waitFor()
  })

  it('draws a 100,000-point scatter without freezing the page', async () => {
    const { page } = app
    await page.getByTestId('tab-charts').click()
    await page.getByTestId('chart-kind').selectOption('scatter')
    const started = Date.now()
    await page.getByTestId('chart').locator('canvas').first().waitFor()
    // A frame that comes back quickly means the main thread is free again.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(null))))
    console.log(`scatter of 100,000 points drawn in ${Date.now() - started} ms`)
    await page.waitForTimeout(500)
    await app.screenshot('large-03-scatter')
    await page.getByTestId('chart-kind').selectOption('heatmap')
    await page.waitForTimeout(2500) // 100,000 cells are drawn progressively
    await app.screenshot('large-04-heatmap')
  })

  it('raised no uncaught error in the page', () => {
    expect(app.pageErrors.map((error) => error.message)).toEqual([])
  })
})
