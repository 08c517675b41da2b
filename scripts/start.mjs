// `npm start`: the desktop app when Electron can be had, otherwise the same app in the browser.
// 1. install-electron (downloads the Electron binary once), 2. better-sqlite3 for Electron's ABI
// (scripts/electron-native.mjs), 3. electron-vite preview. When any step fails (offline, no display),
// or with BATCHDESK_BROWSER=1, it builds the app and runs `batchdesk serve` on the quickstart example
// (copied to ~/Batchdesk/quickstart the first time) and opens the browser.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildElectronNative } from './electron-native.mjs'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const bin = (name) => join(root, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name)

function run(command, args, options = {}) {
  return spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options }).status === 0
}

function electronAvailable() {
  if (process.env.BATCHDESK_BROWSER === '1') return 'BATCHDESK_BROWSER=1 asks for the browser'
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY)
    return 'there is no display to open a window on'
  if (!existsSync(join(root, 'node_modules', 'electron', 'path.txt')) && !run(bin('install-electron'), [])) {
    return 'the Electron binary could not be downloaded (offline?)'
  }
  if (!buildElectronNative()) return 'better-sqlite3 could not be built for Electron (offline?)'
  return undefined
}

const reason = electronAvailable()
if (reason === undefined) {
  if (!run('npm', ['run', 'build:engine'])) process.exit(1)
  process.exit(run(bin('electron-vite'), ['preview']) ? 0 : 1)
}

console.log(`\nBatchdesk cannot open its own window: ${reason}.`)
console.log('Starting it in your browser instead: same app, served on 127.0.0.1 by this terminal.\n')
if (!run('npm', ['run', 'build'])) {
  console.error('The build failed; see above.')
  process.exit(1)
}
const args = [
  join(root, 'bin', 'batchdesk.js'),
  'serve',
  '--example',
  'quickstart',
  '--open',
  ...process.argv.slice(2)
]
process.exit(run(process.execPath, args) ? 0 : 1)
