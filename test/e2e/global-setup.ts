/**
 * Builds what the end-to-end tests run: the engine bundles (worker processes) and the renderer
 * (out/renderer). CI runs `npm run build` just before, so there the build is skipped when out/renderer
 * exists; BATCHDESK_E2E_SKIP_BUILD=1 skips it too (when iterating on tests only).
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { buildEngine, formatBuildError } from '../../scripts/build-engine.mjs'

const root = path.resolve(__dirname, '../..')

export default async function setup(): Promise<void> {
  try {
    await buildEngine({ quiet: true })
  } catch (error) {
    throw new Error(formatBuildError(error))
  }
  if (process.env.BATCHDESK_E2E_RENDERER) return
  const built = existsSync(path.join(root, 'out', 'renderer', 'index.html'))
  if (built && (process.env.CI === 'true' || process.env.BATCHDESK_E2E_SKIP_BUILD === '1')) return
  const result = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'],
    { cwd: root, encoding: 'utf8' }
  )
  if (result.status !== 0) throw new Error(`electron-vite build failed:\n${result.stdout}\n${result.stderr}`)
}
