#!/usr/bin/env node
// The CLI is bundled by `npm run build:engine` into out/cli/index.js.
const path = require('node:path')
const fs = require('node:fs')
const cli = path.join(__dirname, '..', 'out', 'cli', 'index.js')
if (!fs.existsSync(cli)) {
  process.stderr.write('Batchdesk is not built yet: run `npm run build` in ' + path.join(__dirname, '..') + '\n')
  process.exit(2)
}
require(cli)
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code
  })
