/**
 * `batchdesk export` and `batchdesk import`: result packs (docs/packs.md) and batchpy result folders.
 */
import { statSync } from 'node:fs'
import path from 'node:path'
import type { Command } from 'commander'
import { Project } from '../engine/project/project'
import { parseCondition } from '../engine/query/conditions'
import {
  exportPack,
  importLegacyResults,
  importPack,
  PackError,
  type PackImportReport
} from '../engine/packs'
import { formatBytes } from '../engine/packs/zip-reader'
import { EXIT_OK, EXIT_RUNS_FAILED, openForReading, type Output } from './commands'
import { formatTable } from './format'

/** Adds the export and import commands; `done` receives each command's exit code. */
export function registerPackCommands(program: Command, io: Output, done: (exitCode: number) => void): void {
  program
    .command('export')
    .description(
      "write stored results to a .bdpack file to share, e.g. batchdesk export --batch example --where 'A>=3' -o results.bdpack"
    )
    .argument('[dir]', 'project folder', '.')
    .requiredOption('-o, --output <file>', 'the pack file to write (.bdpack)')
    .option('--batch <name>', 'only this batch (default: every batch)')
    .option(
      '--where <condition>',
      "only runs whose parameters match, e.g. 'A>=3' (repeat for several)",
      (value: string, all: string[]) => [...all, value],
      []
    )
    .option('--author <name>', "the author named in the pack (default: the project's settings.author)")
    .action(
      async (dir: string, options: { output: string; batch?: string; where: string[]; author?: string }) => {
        done(await exportCommand(dir, options, io))
      }
    )

  program
    .command('import')
    .description(
      'import a .bdpack file, or a batchpy _res folder with --batch; conflicting results never replace yours'
    )
    .argument('[dir]', 'project folder (default: the current folder)')
    .argument('[source]', 'a .bdpack file, or a batchpy _res folder (then give --batch)')
    .option('--batch <name>', 'for a batchpy folder: the batch name of its <batch>_<id>.npy files')
    .option(
      '--keep-both',
      'store conflicting runs from the pack in a batch <batch>.imported-<date> beside yours'
    )
    .option('--dry-run', 'only show what would be imported')
    .action(
      async (
        dir: string | undefined,
        source: string | undefined,
        options: { batch?: string; keepBoth?: boolean; dryRun?: boolean }
      ) => {
        // One argument is the source, imported into the current folder.
        if (source === undefined) [dir, source] = ['.', dir]
        if (source === undefined)
          throw new PackError(
            'INPUT',
            'Give the pack to import: batchdesk import [dir] FILE (or a batchpy _res folder with --batch NAME)'
          )
        done(await importCommand(dir ?? '.', source, options, io))
      }
    )
}

async function exportCommand(
  dir: string,
  options: { output: string; batch?: string; where: string[]; author?: string },
  io: Output
): Promise<number> {
  const conditions = options.where.map((text) => parseCondition(text))
  const project = await openForReading(dir)
  try {
    const report = await exportPack(project, options.output, {
      batch: options.batch,
      conditions,
      author: options.author
    })
    const batches = report.batches.map((batch) => `${batch.name} (${batch.runs})`).join(', ')
    io.out(
      `Wrote ${report.runs} run${report.runs === 1 ? '' : 's'} of ${batches} to ${report.file} (${formatBytes(report.bytes)})`
    )
    for (const skipped of report.skipped.slice(0, 10))
      io.err(`  left out ${skipped.batch} ${skipped.id.slice(0, 10)}: ${skipped.reason}`)
    if (report.skipped.length > 10)
      io.err(`  … and ${report.skipped.length - 10} more damaged results left out`)
  } finally {
    project.close()
  }
  return EXIT_OK
}

async function importCommand(
  dir: string,
  source: string,
  options: { batch?: string; keepBoth?: boolean; dryRun?: boolean },
  io: Output
): Promise<number> {
  const isFolder = statSync(source, { throwIfNoEntry: false })?.isDirectory() === true
  if (isFolder && !options.batch) {
    throw new PackError(
      'INPUT',
      `${source} is a folder: to import batchpy results, name their batch with --batch (files <batch>_<id>.npy)`
    )
  }
  if (!isFolder && options.batch)
    throw new PackError('INPUT', '--batch is for batchpy result folders; a pack keeps its own batch names')
  const project = options.dryRun ? await openForReading(dir) : await Project.open(dir)
  try {
    const common = {
      conflicts: options.keepBoth ? ('keep-both' as const) : ('keep-mine' as const),
      dryRun: options.dryRun === true
    }
    const report = isFolder
      ? await importLegacyResults(source, project, { ...common, batch: options.batch! })
      : await importPack(source, project, common)
    printImport(report, io)
    return report.rejected.length > 0 ? EXIT_RUNS_FAILED : EXIT_OK
  } finally {
    project.close()
  }
}

function printImport(report: PackImportReport, io: Output): void {
  const from = report.app.name === 'batchpy' ? 'batchpy results' : `made with Batchdesk ${report.app.version}`
  const who = report.author ? ` by ${report.author}` : ''
  const origin = report.project ? ` from project '${report.project}'` : ''
  io.out(
    `${path.basename(report.file)}: ${from}${who} on ${report.createdAt.slice(0, 16).replace('T', ' ')}${origin}`
  )
  if (report.interruptedImport && !report.dryRun)
    io.err(
      `Note: an import of ${report.interruptedImport.source} started ${report.interruptedImport.startedAt} did not finish; import it again to complete it`
    )
  io.out(
    formatTable(
      ['batch', 'runs', 'new', 'already here', 'conflicting', 'rejected', ''],
      report.batches.map((batch) => [
        batch.name,
        String(batch.listed),
        String(batch.new),
        String(batch.present),
        String(batch.conflicting),
        String(batch.rejected),
        batch.inProject ? '' : 'new batch'
      ])
    )
  )
  if (report.rejected.length > 0) {
    io.err(`Rejected ${report.rejected.length} run${report.rejected.length === 1 ? '' : 's'} (not imported):`)
    for (const run of report.rejected.slice(0, 20))
      io.err(`  ${run.batch} ${run.id.slice(0, 12)}: ${run.reason}`)
    if (report.rejected.length > 20) io.err(`  … and ${report.rejected.length - 20} more`)
  }
  for (const code of report.codeRejected)
    io.err(`  reference code ${code.batch}/${code.file} skipped: ${code.reason}`)
  for (const kept of report.keptBoth) {
    io.out(
      `${kept.runs} conflicting run${kept.runs === 1 ? '' : 's'} of ${kept.batch} ${report.dryRun ? 'would be' : 'were'} stored in ${kept.into} to compare with yours`
    )
  }
  if (report.keptBoth.length === 0 && report.totals.conflicting > 0) {
    io.out(
      `${report.totals.conflicting} run${report.totals.conflicting === 1 ? ' is' : 's are'} stored here with a different result: kept yours (--keep-both stores theirs beside them)`
    )
  }
  const added =
    report.addedBatches.length > 0
      ? `; ${report.dryRun ? 'would add' : 'added'} batch${report.addedBatches.length === 1 ? '' : 'es'} ${report.addedBatches.join(', ')}`
      : ''
  if (report.dryRun)
    io.out(
      `Dry run: would import ${report.planned} run${report.planned === 1 ? '' : 's'}${added}. Nothing was written.`
    )
  else io.out(`Imported ${report.imported} run${report.imported === 1 ? '' : 's'}${added}.`)
}
