/**
 * Vitest global setup: bundles the engine (out/engine/worker.js, out/cli/index.js) once before any test,
 * because worker processes and the CLI run the built JavaScript, not the TypeScript sources.
 */
import { buildEngine, formatBuildError } from '../scripts/build-engine.mjs'

export default async function setup(): Promise<void> {
  try {
    await buildEngine({ quiet: true })
  } catch (error) {
    // Throwing here would fail every test, also those that never start a worker; tests that do will fail
    // on their own, and this message says why.
    console.error(
      `\n[global-setup] ${formatBuildError(error)}\n[global-setup] tests that fork workers or run the CLI will use a stale or missing build.\n`
    )
  }
}
