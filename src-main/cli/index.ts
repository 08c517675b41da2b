import { Command, CommanderError, Option } from 'commander'
import * as commands from './commands'
import { registerPackCommands } from './packs'
import { serve } from './serve'
import { registerWorkerCommand } from './worker'
import { registerVerifyCommand } from './verify'

/**
 * The `batchdesk` command. Exit codes: 0 ok, 1 some runs failed, 2 bad usage or input.
 * Every command takes the project folder as an optional first argument (default: the current folder).
 */
export async function main(argv: string[], io: commands.Output = consoleOutput()): Promise<number> {
  let exitCode = commands.EXIT_OK
  const program = new Command()
    .name('batchdesk')
    .description('Run large parameter sweeps without ever computing the same run twice.')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text.trimEnd()), writeErr: (text) => io.err(text.trimEnd()) })
    .showHelpAfterError('(run batchdesk --help for the commands)')

  program
    .command('new')
    .description('create a project folder, empty or from an example (batchdesk examples lists them)')
    .argument('<dir>', 'folder to create')
    .option('--example <name>', 'start from a bundled example, e.g. quickstart')
    .option('--name <name>', 'project name (default: the folder name)')
    .action(async (dir, options) => {
      exitCode = await commands.newProject(dir, options, io)
    })

  program
    .command('examples')
    .description('list the bundled example projects')
    .action(() => {
      exitCode = commands.examples(io)
    })

  program
    .command('run')
    .description('compute every run that has no stored result yet')
    .argument('[dir]', 'project folder', '.')
    .option('--batch <name>', 'only this batch')
    .option('--processes <n>', 'worker processes (default: one per CPU core)')
    .option('--timeout <seconds>', 'stop a run that takes longer than this')
    .option('--rerun-stale', 'also recompute results made by an older version of the run class')
    .addOption(new Option('--redis <url>', 'send the runs to `batchdesk worker` processes through this Redis (default: the project setting "redis")').conflicts('local'))
    .option('--local', 'compute here even when the project sets a Redis')
    .action(async (dir, options) => {
      exitCode = await commands.runBatches(
        dir,
        {
          batch: options.batch,
          processes: options.processes === undefined ? undefined : commands.wholeNumber('--processes', options.processes, 256),
          timeout: options.timeout === undefined ? undefined : commands.positiveNumber('--timeout', options.timeout),
          rerunStale: options.rerunStale === true,
          redis: options.redis,
          local: options.local === true
        },
        io
      )
    })

  program
    .command('status')
    .description('show done / pending / failed / stale runs per batch')
    .argument('[dir]', 'project folder', '.')
    .action(async (dir) => {
      exitCode = await commands.status(dir, io)
    })

  program
    .command('query')
    .description("list runs whose parameters match, e.g. batchdesk query --batch example 'A>=3' 'B=[2,5,8]'")
    .argument('[dir]', 'project folder', '.')
    .argument('[conditions...]', "conditions such as 'A>=3', 'B=[2,5,8]', 'operator=min', 'x in [1,2]'")
    .requiredOption('--batch <name>', 'the batch to query')
    .option('--status <status>', 'only runs with this status (pending, done, cached, failed, stale, corrupt)')
    .addOption(new Option('--json', 'print JSON').conflicts('csv'))
    .option('--csv', 'print CSV')
    .action(async (dir, conditions, options) => {
      // A first argument that looks like a condition is not a folder.
      if (/[=<>!]|\bin\b/.test(dir)) {
        conditions = [dir, ...conditions]
        dir = '.'
      }
      exitCode = await commands.query(dir, { batch: options.batch, conditions, status: options.status, format: options.json ? 'json' : options.csv ? 'csv' : 'table' }, io)
    })

  program
    .command('ids')
    .description('print the ids of all runs of a batch, in run order')
    .argument('[dir]', 'project folder', '.')
    .requiredOption('--batch <name>', 'the batch')
    .addOption(new Option('--format <format>', 'json, ts or py').choices(['json', 'ts', 'py']).default('json'))
    .option('-o, --output <file>', 'write to a file instead of printing')
    .action(async (dir, options) => {
      exitCode = await commands.ids(dir, { batch: options.batch, format: options.format, output: options.output }, io)
    })

  program
    .command('serve')
    .description('open the app in a browser: serves it on 127.0.0.1 with a per-start token')
    .argument('[dir]', 'project folder to open')
    .option('--port <n>', 'port to listen on (default: a free one)')
    .option('--example <name>', 'create the project from this example when the folder has none (default folder ~/Batchdesk/<name>)')
    .option('--open', 'open the address in the default browser')
    .action(async (dir, options) => {
      const port = options.port === undefined ? undefined : commands.wholeNumber('--port', options.port, 65535)
      exitCode = await serve(dir, { port, example: options.example, open: options.open === true }, io)
    })

  registerPackCommands(program, io, (code) => (exitCode = code))
  registerWorkerCommand(program, io, (code) => (exitCode = code))
  registerVerifyCommand(program, io, (code) => (exitCode = code))

  try {
    await program.parseAsync(argv, { from: 'user' })
    return exitCode
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? commands.EXIT_OK : commands.EXIT_BAD_INPUT
    }
    io.err(`Error: ${(error as Error).message}`)
    if (process.env.BATCHDESK_DEBUG) io.err(String((error as Error).stack))
    return isInputError(error) ? commands.EXIT_BAD_INPUT : commands.EXIT_RUNS_FAILED
  }
}

const inputErrors = new Set([
  'PackError',
  'BatchInputError',
  'ManifestError',
  'NotAProjectError',
  'RunClassError',
  'RunClassCompileError',
  'ConditionError',
  'ProjectInUseError',
  'DesignError',
  'ParameterValueError',
  'ZodError'
])

function isInputError(error: unknown): boolean {
  return error instanceof Error && inputErrors.has(error.name)
}

function consoleOutput(): commands.Output {
  return { out: (text) => process.stdout.write(`${text}\n`), err: (text) => process.stderr.write(`${text}\n`), isTTY: process.stderr.isTTY === true }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code
  })
}
