import { createRequire } from 'node:module'
import * as runApi from '../run-api'

/**
 * Evaluates a compiled run class bundle in this process and returns its exports. The bundle's banner reads
 * `globalThis.__batchdeskModuleFile` so that `__dirname`, `__filename` and `import.meta.url` inside the user's
 * module name the user's source file, not the cache folder the bundle lives in.
 * Node caches the module by `bundleFile`; a bundle is named by its code hash, so that is safe.
 * @throws whatever the module throws while it loads.
 */
export function requireBundle(bundleFile: string, sourceFile?: string): Record<string, unknown> {
  installRunApi()
  const scope = globalThis as Record<string, unknown>
  scope.__batchdeskModuleFile = sourceFile
  try {
    return createRequire(bundleFile)(bundleFile) as Record<string, unknown>
  } finally {
    delete scope.__batchdeskModuleFile
  }
}

/**
 * Makes `import … from 'batchdesk'` in user modules resolve to the engine's run API (compiled bundles read
 * `globalThis.__batchdesk`). Keeps an existing value: the engine's entry point sets it too, and a class must
 * extend the very `Run` the engine checks against.
 */
export function installRunApi(): void {
  ;(globalThis as Record<string, unknown>).__batchdesk ??= runApi
}

/** The `Run` class user modules extend. */
export function runBaseClass(): typeof runApi.Run {
  installRunApi()
  return ((globalThis as Record<string, unknown>).__batchdesk as typeof runApi).Run
}
