import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'

let cached: string | undefined

/**
 * The folder of Batchdesk's own package.json. Found by walking up from this module, so it works from the
 * TypeScript sources (tests), the esbuild bundles in out/ and the electron-vite bundle alike.
 */
export function packageRoot(): string {
  if (cached) return cached
  let dir = __dirname
  for (;;) {
    const manifest = path.join(dir, 'package.json')
    if (existsSync(manifest)) {
      try {
        if (JSON.parse(readFileSync(manifest, 'utf8')).name === 'batchdesk') return (cached = dir)
      } catch {
        // An unreadable package.json on the way up is not ours; keep walking.
      }
    }
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error(`Cannot find Batchdesk's package.json above ${__dirname}`)
    dir = parent
  }
}

/** The bundled example projects. */
export function examplesFolder(): string {
  return path.join(packageRoot(), 'resources', 'examples')
}
