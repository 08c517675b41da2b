/**
 * `batchdesk verify [dir] [--rebuild-index]`: re-reads every stored result, checks it against its checksum,
 * and reports damaged, unfinished and orphaned files in plain language. Exit 0 when clean, 1 when problems
 * were found (2 for bad input, e.g. not a project, or in use while rebuilding).
 */
import type { Command } from 'commander'
import { verifyProject } from '../engine/project/verify'
import { EXIT_OK, EXIT_RUNS_FAILED, type Output } from './commands'

/** Adds the verify command; `done` receives its exit code. */
export function registerVerifyCommand(program: Command, io: Output, done: (exitCode: number) => void): void {
  program
    .command('verify')
    .description('re-read every stored result and check it; report damaged, unfinished and orphaned files')
    .argument('[dir]', 'project folder', '.')
    .option(
      '--rebuild-index',
      'also rebuild the run index from the result files (needs the project not to be in use)'
    )
    .action(async (dir: string, options: { rebuildIndex?: boolean }) => {
      done(await verifyCommand(dir, { rebuildIndex: options.rebuildIndex === true }, io))
    })
}

async function verifyCommand(dir: string, options: { rebuildIndex: boolean }, io: Output): Promise<number> {
  const report = await verifyProject(dir, options)
  const count = (n: number, what: string) => `${n.toLocaleString('en')} ${what}${n === 1 ? '' : 's'}`
  io.out(
    `Checked ${count(report.files, 'result file')} in ${report.dir}: ${count(report.results, 'result')} intact.`
  )
  if (report.indexRebuiltWith !== undefined)
    io.out(`Rebuilt the run index from the result files: ${count(report.indexRebuiltWith, 'run')}.`)
  if (report.problems.length > 0) {
    io.out(`${count(report.problems.length, 'problem')} found:`)
    for (const problem of report.problems) io.out(`  - ${problem.message}`)
  } else {
    io.out('No problems found.')
  }
  if (report.notes.length > 0) {
    io.out('Notes:')
    for (const note of report.notes) io.out(`  - ${note}`)
  }
  return report.clean ? EXIT_OK : EXIT_RUNS_FAILED
}
