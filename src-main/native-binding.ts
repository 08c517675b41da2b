import { existsSync } from 'node:fs'
import path from 'node:path'

/** The environment variable through which the Electron main process hands the SQLite addon path to the engine. */
export const SQLITE_BINDING_ENV = 'BATCHDESK_SQLITE_BINDING'

/**
 * The better-sqlite3 addon built for this Electron (by scripts/electron-native.mjs), or undefined when not
 * running in Electron or when it was not built (a packaged app rebuilds natives itself; the default addon
 * is then right). The Node build in node_modules stays untouched for tests and the CLI.
 */
export function electronSqliteBinding(
  packageRoot: string,
  versions: NodeJS.ProcessVersions
): string | undefined {
  const electron = (versions as NodeJS.ProcessVersions & { electron?: string }).electron
  if (!electron) return undefined
  const file = path.join(
    packageRoot,
    'node_modules',
    '.cache',
    'electron-native',
    electron,
    'better_sqlite3.node'
  )
  return existsSync(file) ? file : undefined
}
