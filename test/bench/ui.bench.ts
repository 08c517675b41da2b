/**
 * Renderer benchmarks in Chromium (browser mode) on a project of 100,000 done runs: time until the run
 * table is interactive after opening the project, frame times while scrolling it, and the time to draw a
 * 100,000-point chart. Needs the built renderer (out/renderer) and /usr/bin/chromium.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { Project } from '../../src-main/engine/project/project'
import { launchBrowser, startHost, tempDir } from '../e2e/harness'

const RUN_CLASS = `import { Run } from 'batchdesk'

export default class Sum extends Run {
  run({ a = 0, b = 0 }) {
    return { s: a + b, wave: Math.sin(a / 50) * Math.cos(b / 20) }
  }
}
`

function report(name: string, value: number, unit: string, target: string): void {
  console.log(`${name.padEnd(58)} ${value.toFixed(1).padStart(10)} ${unit.padEnd(6)} (target ${target})`)
}

async function doneProject(): Promise<string> {
  const dir = path.join(tempDir('bd-bench-ui-'), 'large')
  mkdirSync(dir, { recursive: true })
  const grid = { a: { $range: [0, 1000, 1] }, b: { $range: [0, 100, 1] } }
  writeFileSync(
    path.join(dir, 'batchdesk.json'),
    JSON.stringify({ format: 1, name: 'Large', batches: [{ name: 'big', runClass: 'sum.ts', designs: [{ kind: 'factorial', grid }] }], settings: {} })
  )
  writeFileSync(path.join(dir, 'sum.ts'), RUN_CLASS)
  const project = await Project.open(dir)
  const report = await project.execute('big', { processes: 2 })
  project.close()
  if (report.computed !== 100_000) throw new Error(`computed ${report.computed} runs`)
  return dir
}

async function table100k(): Promise<void> {
  const dir = await doneProject()
  const openStarted = performance.now()
  const host = await startHost(dir)
  const openMs = performance.now() - openStarted
  const browser = await launchBrowser()
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } })
    const loadStarted = performance.now()
    await page.goto(host.server.url)
    await page.getByTestId('run-row').first().waitFor()
    const firstRowMs = performance.now() - loadStarted
    report('open a project of 100,000 done runs (engine side)', openMs, 'ms', '-')
    report('  first page load until a run row shows (20 MB of app)', firstRowMs, 'ms', '-')

    // What a user does in a running app: close the project, open it again from Recent projects.
    await page.getByTestId('close-project').click()
    await page.getByTestId('recent-project').first().waitFor()
    const reopenStarted = performance.now()
    await page.getByTestId('recent-project').first().click()
    await page.getByTestId('run-row').first().waitFor()
    await page.getByTestId('run-row').nth(5).click()
    await page.getByTestId('run-details').waitFor()
    report('  open it from Recent projects until a clicked row shows details', performance.now() - reopenStarted, 'ms', '≤ 1000 ms')

    // Scroll continuously for 3 s, 150 px a frame (a brisk mouse wheel, ~9,000 px/s), and record the frame intervals.
    const frames = await page.evaluate(async () => {
      const scroller = document.querySelector('[data-testid="run-table"] .scroller') as HTMLElement
      const deltas: number[] = []
      let last = performance.now()
      const until = last + 3000
      await new Promise<void>((resolve) => {
        const step = (now: number) => {
          deltas.push(now - last)
          last = now
          scroller.scrollTop += 150
          if (scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight) scroller.scrollTop = 0
          if (now < until) requestAnimationFrame(step)
          else resolve()
        }
        requestAnimationFrame(step)
      })
      return deltas.slice(1)
    })
    frames.sort((x, y) => x - y)
    const at = (q: number) => frames[Math.min(frames.length - 1, Math.floor(q * frames.length))]
    report(`  scrolling: frames in 3 s`, frames.length, 'frames', '≈ 180 at 60 Hz')
    report(`  scrolling: median frame time`, at(0.5), 'ms', '≈ 16.7 ms')
    report(`  scrolling: 95th percentile frame time`, at(0.95), 'ms', '< 50 ms')
    report(`  scrolling: longest frame`, frames[frames.length - 1], 'ms', '-')

    await page.getByTestId('tab-charts').click()
    await page.getByTestId('chart').waitFor()
    const chartStarted = performance.now()
    await page.getByTestId('chart-kind').selectOption('scatter')
    await page.getByTestId('chart').locator('canvas').first().waitFor()
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(null)))))
    report('100,000-point scatter: from choosing it to a free frame', performance.now() - chartStarted, 'ms', '≤ 1000 ms')
  } finally {
    await browser.close()
    await host.close()
    rmSync(path.dirname(dir), { recursive: true, force: true })
  }
}

const scenarios: Record<string, () => Promise<void>> = { 'ui-100k': table100k }

export async function runScenario(name: string): Promise<void> {
  const scenario = scenarios[name]
  if (!scenario) throw new Error(`unknown scenario ${name}`)
  await scenario()
}

export const scenarioNames = Object.keys(scenarios)
