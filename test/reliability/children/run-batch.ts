/**
 * A child engine for the crash loop: opens a project, computes one batch in a local worker pool and prints
 * `ACK <id>` for every run once the engine shows it as done (its result stored), then `REPORT <json>`.
 * Usage: node out/reliability/run-batch.js <project dir> <batch> <processes>
 */
import { writeSync } from 'node:fs'
import { LocalPool } from '../../../src-main/engine/exec/pool'
import { Project } from '../../../src-main/engine/project/project'
import type { Executor } from '../../../src-main/engine/types'

async function main(): Promise<void> {
  const [dir, batchName, processesText] = process.argv.slice(2)
  const project = await Project.open(dir)
  const { batch } = project.batch(batchName)
  const indexOf = new Map(batch.runs.map((run) => [run.id, run.index]))
  const pool = new LocalPool({ processes: Number(processesText) })
  writeSync(1, 'OPEN\n')
  const executor: Executor = {
    execute: (tasks, options) =>
      pool.execute(tasks, {
        ...options,
        onOutcomes: async (outcomes) => {
          await options.onOutcomes(outcomes)
          // 'done' is what the app and the CLI show: the engine set it only after the store acknowledged.
          const acked = outcomes.filter((o) => o.ok && batch.runStatus(indexOf.get(o.id)!) === 'done')
          if (acked.length > 0) writeSync(1, acked.map((o) => `ACK ${o.id}\n`).join(''))
        }
      }),
    close: () => pool.close()
  }
  try {
    const report = await project.execute(batchName, { executor })
    writeSync(1, `REPORT ${JSON.stringify(report)}\n`)
  } finally {
    await pool.close()
    project.close()
  }
}

main().catch((error) => {
  writeSync(2, `ERROR ${(error as Error).stack ?? String(error)}\n`)
  process.exitCode = 3
})
