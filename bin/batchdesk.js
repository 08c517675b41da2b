#!/usr/bin/env node
// The CLI is bundled into out/cli/index.js by `npm run build:engine`; a fresh checkout builds it on first use.
const path = require('node:path')
const fs = require('node:fs')
const { spawnSync } = require('node:child_process')

const root = path.join(__dirname, '..')
const cli = path.join(root, 'out', 'cli', 'index.js')
if (!fs.existsSync(cli)) {
  process.stderr.write('Building the Batchdesk engine (first use)…\n')
  const build = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-engine.mjs')], { cwd: root, stdio: 'inherit' })
  if (build.status !== 0 || !fs.existsSync(cli)) {
    process.stderr.write(`Batchdesk could not be built: run \`npm run build\` in ${root} and look at the errors.\n`)
    process.exit(2)
  }
}
require(cli)
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code
  })
