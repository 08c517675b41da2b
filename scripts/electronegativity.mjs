// `npm run security:electron`: Electronegativity (Doyensec's Electron security scanner) over src-main,
// src-preload and the renderer page. Prints every finding. Exits 1 when a HIGH or MEDIUM finding remains that is not a reviewed
// false positive; each reviewed one names why it does not apply and is re-checked here against the code as
// it is now (by running the real functions), so a review cannot outlive the code it was about.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const electronVersion = JSON.parse(
  readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8')
).version

/**
 * Findings reviewed as not applying, by check and file: `{ check, file, why, verify() }`, where `verify` throws
 * when the reason no longer holds, so a review cannot outlive the code it was about. None are needed now:
 * the window's security switches are written literally at `new BrowserWindow(…)`, no link leaves the app,
 * and the scan includes the renderer page with its CSP.
 */
const reviewed = []

const work = mkdtempSync(join(tmpdir(), 'bd-electronegativity-'))
let exitCode = 0
try {
  // Scan a copy of just the two folders (the repository root would include node_modules).
  const input = join(work, 'scan')
  for (const folder of ['src-main', 'src-preload'])
    cpSync(join(root, folder), join(input, folder), { recursive: true })
  // The renderer's page, for its Content-Security-Policy meta tag (the app protocol also sends it as a header).
  cpSync(join(root, 'src-renderer', 'index.html'), join(input, 'src-renderer', 'index.html'))
  writeFileSync(
    join(input, 'package.json'),
    JSON.stringify({ name: 'batchdesk', devDependencies: { electron: electronVersion } })
  )
  // The package's CLI breaks on this project's newer commander, so its runner is called directly.
  const run = require('@doyensec/electronegativity')
  const options = {
    input,
    isSarif: false,
    customScan: [],
    excludeFromScan: [],
    isRelative: true,
    isVerbose: true,
    electronVersionOverride: electronVersion,
    parserPlugins: []
  }
  const result = await run(options, false)
  if (result.errors?.length)
    console.warn(
      `electronegativity could not parse: ${result.errors.map((e) => e.file ?? String(e)).join(', ')}`
    )
  const findings = result.issues.map((issue) => ({
    check: issue.id,
    severity: issue.severity.name,
    confidence: issue.confidence.name,
    file: issue.file,
    location: `${issue.location.line}:${issue.location.column}`,
    description: issue.description
  }))
  console.log(
    `Electronegativity ${require('@doyensec/electronegativity/package.json').version} over src-main and src-preload (Electron ${electronVersion}): ${findings.length} findings`
  )
  const unresolved = []
  for (const finding of findings) {
    const serious = finding.severity === 'HIGH' || finding.severity === 'MEDIUM'
    const review = reviewed.find((r) => r.check === finding.check && r.file === finding.file)
    let verdict = serious ? 'NOT REVIEWED' : 'low/informational'
    if (serious && review) {
      try {
        await review.verify()
        verdict = `reviewed, does not apply: ${review.why} (re-checked)`
      } catch (error) {
        verdict = `REVIEW NO LONGER HOLDS: ${error.message}`
      }
    }
    if (serious && !verdict.startsWith('reviewed')) unresolved.push(finding)
    console.log(
      `  ${finding.severity.padEnd(6)} ${finding.confidence.padEnd(9)} ${finding.check} ${finding.file}:${finding.location} — ${finding.description}\n         ${verdict}`
    )
  }
  console.log(
    unresolved.length === 0
      ? 'No unreviewed HIGH or MEDIUM findings.'
      : `${unresolved.length} HIGH or MEDIUM finding(s) need attention.`
  )
  if (unresolved.length > 0) exitCode = 1
} catch (error) {
  console.error(String(error.stack ?? error))
  exitCode = 2
} finally {
  rmSync(work, { recursive: true, force: true })
}
process.exitCode = exitCode
