// Runs the benchmarks under test/bench/: bundles each bench file with esbuild, then runs every scenario in
// its own Node process (fresh heap, honest memory figures). Usage: npm run bench [-- scenario ...]
import { build } from 'esbuild'
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const outDir = path.join(root, 'out', 'bench')
const benchDir = path.join(root, 'test', 'bench')
const only = process.argv.slice(2)

spawnSync(process.execPath, [path.join(root, 'scripts', 'build-engine.mjs')], { stdio: 'inherit', cwd: root })
// The renderer benchmark drives the built app in Chromium.
if (!existsSync(path.join(root, 'out', 'renderer', 'index.html'))) {
  spawnSync(process.execPath, [path.join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { stdio: 'inherit', cwd: root })
}
let failures = 0
for (const file of readdirSync(benchDir).filter((f) => f.endsWith('.bench.ts'))) {
  const outfile = path.join(outDir, file.replace(/\.ts$/, '.cjs'))
  await build({
    entryPoints: [path.join(benchDir, file)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'inline',
    external: ['better-sqlite3', 'esbuild', 'playwright-core', 'bullmq', 'ioredis'],
    logLevel: 'warning'
  })
  const { scenarioNames } = await import(outfile)
  console.log(`\n== ${file} (node ${process.version}, ${(await import('node:os')).cpus().length} cores)`)
  for (const name of scenarioNames.filter((n) => only.length === 0 || only.includes(n))) {
    const run = spawnSync(
      process.execPath,
      ['--expose-gc', '--enable-source-maps', '-e', `require(${JSON.stringify(outfile)}).runScenario(${JSON.stringify(name)}).catch((e) => { console.error(e); process.exit(1) })`],
      { stdio: 'inherit', cwd: root }
    )
    if (run.status !== 0) {
      failures++
      console.log(`  scenario ${name} failed (exit ${run.status})`)
    }
  }
}
process.exit(failures > 0 ? 1 : 0)
