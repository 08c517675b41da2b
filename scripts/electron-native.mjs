// Builds better-sqlite3 for Electron's ABI into node_modules/.cache/electron-native/<electron version>/
// WITHOUT touching the Node build in node_modules/better-sqlite3 (tests and the CLI keep using that one).
// The Electron main process opens SQLite with { nativeBinding } pointing at the file made here.
// Tries the prebuilt binary first (prebuild-install), then compiling against Electron's headers (node-gyp).
// Exit code 0 when the binary is there, 1 when it could not be had (e.g. offline).
import { spawnSync } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** Where the Electron build of better-sqlite3 goes for an Electron version. */
export function electronNativeBinding(electronVersion, base = root) {
  return join(base, 'node_modules', '.cache', 'electron-native', electronVersion, 'better_sqlite3.node')
}

function electronVersion() {
  return JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version
}

function run(command, args, cwd, env) {
  console.log(`> ${[command, ...args].join(' ')}`)
  return spawnSync(command, args, { cwd, env, stdio: 'inherit' }).status === 0
}

function nodeGypScript() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp))
    return process.env.npm_config_node_gyp
  try {
    return createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js')
  } catch {
    const npmBundled = join(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js'
    )
    return existsSync(npmBundled) ? npmBundled : undefined
  }
}

export function buildElectronNative() {
  const version = electronVersion()
  const target = electronNativeBinding(version)
  if (existsSync(target)) {
    console.log(`better-sqlite3 for Electron ${version} is ready: ${target}`)
    return true
  }
  const source = join(root, 'node_modules', 'better-sqlite3')
  const work = mkdtempSync(join(tmpdir(), 'bd-electron-native-'))
  try {
    cpSync(source, work, { recursive: true, filter: (from) => !from.startsWith(join(source, 'build')) })
    // The machine's npm config may point nodedir at the system Node headers: node-gyp would then
    // silently build for Node's ABI, not Electron's.
    const env = { ...process.env }
    delete env.npm_config_nodedir
    delete env.NPM_CONFIG_NODEDIR
    const prebuild = join(
      root,
      'node_modules',
      '.bin',
      process.platform === 'win32' ? 'prebuild-install.cmd' : 'prebuild-install'
    )
    let ok = run(
      prebuild,
      [
        '--runtime',
        'electron',
        '--target',
        version,
        '--arch',
        process.arch,
        '--platform',
        process.platform,
        '--verbose'
      ],
      work,
      env
    )
    if (!ok) {
      const gyp = nodeGypScript()
      ok =
        gyp !== undefined &&
        run(
          process.execPath,
          [
            gyp,
            'rebuild',
            '--release',
            '--runtime=electron',
            `--target=${version}`,
            `--arch=${process.arch}`,
            '--dist-url=https://electronjs.org/headers'
          ],
          work,
          env
        )
    }
    const built = join(work, 'build', 'Release', 'better_sqlite3.node')
    if (!ok || !existsSync(built)) {
      console.error(
        `Could not get better-sqlite3 for Electron ${version} (no prebuilt binary and no Electron headers: offline?).`
      )
      return false
    }
    mkdirSync(dirname(target), { recursive: true })
    copyFileSync(built, target)
    console.log(`better-sqlite3 for Electron ${version}: ${target}`)
    return true
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = buildElectronNative() ? 0 : 1
}
