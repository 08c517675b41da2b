/**
 * Opens a result folder for writing, holds it for a while, and says so: `HELD <epoch ms>` once the store is
 * open, `RELEASED <epoch ms>` just before releasing it, or `INUSE <message>` (exit 2) when refused.
 * Usage: node out/reliability/hold-lock.js <result folder> <hold ms> [<start at epoch ms>]
 */
import { writeSync } from 'node:fs'
import { acquireStore, ProjectInUseError } from '../../../src-main/engine/store'

async function main(): Promise<void> {
  const [folder, holdText, startText] = process.argv.slice(2)
  // Contenders wait for a common moment so that they really race.
  const startAt = Number(startText ?? 0)
  while (Date.now() < startAt) {
    // spin: a timer would be too coarse
  }
  let store
  try {
    store = acquireStore(folder)
  } catch (error) {
    if (error instanceof ProjectInUseError) {
      writeSync(1, `INUSE ${error.message}\n`)
      process.exitCode = 2
      return
    }
    throw error
  }
  writeSync(1, `HELD ${Date.now()}\n`)
  await new Promise((resolve) => setTimeout(resolve, Number(holdText)))
  writeSync(1, `RELEASED ${Date.now()}\n`)
  store.release()
}

main().catch((error) => {
  writeSync(2, `ERROR ${(error as Error).stack ?? String(error)}\n`)
  process.exitCode = 3
})
