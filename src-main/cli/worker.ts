import type { Command } from 'commander'
import { DEFAULT_QUEUE, RedisWorker } from '../engine/distributed'
import { EXIT_OK, wholeNumber, type Output } from './commands'

export interface WorkerCommandOptions {
  redis: string
  concurrency?: number
  queue?: string
  maxResultMb?: number
  maxMemoryMb?: number
  lockDurationMs?: number
  stalledIntervalMs?: number
  maxStalled?: number
}

/** Registers `batchdesk worker`. */
export function registerWorkerCommand(
  program: Command,
  io: Output,
  setExitCode: (code: number) => void
): void {
  program
    .command('worker')
    .description(
      'compute runs that `batchdesk run --redis` sends through Redis (no copy of the project needed)'
    )
    .requiredOption(
      '--redis <url>',
      'the Redis to pull from: redis://[user:password@]host:6379, or rediss://… for TLS'
    )
    .option(
      '--concurrency <n>',
      'worker processes, each computing one chunk of runs at a time (default: one per CPU core)'
    )
    .option('--queue <name>', 'queue name shared with the engine', DEFAULT_QUEUE)
    .option('--max-result-mb <n>', 'refuse results larger than this many MiB, as a failure of that run', '16')
    .option('--max-memory-mb <n>', 'heap limit of each worker process in MB')
    .option(
      '--lock-duration <ms>',
      'a worker silent this long is presumed dead and its chunk retried elsewhere',
      '30000'
    )
    .option('--stalled-interval <ms>', 'how often to look for chunks whose worker died', '30000')
    .option('--max-stalled <n>', 'how often a chunk may lose its worker before its runs fail', '2')
    .action(async (options) => {
      setExitCode(
        await runWorker(
          {
            redis: options.redis,
            concurrency:
              options.concurrency === undefined
                ? undefined
                : wholeNumber('--concurrency', options.concurrency, 256),
            queue: options.queue,
            maxResultMb: wholeNumber('--max-result-mb', options.maxResultMb, 512),
            maxMemoryMb:
              options.maxMemoryMb === undefined
                ? undefined
                : wholeNumber('--max-memory-mb', options.maxMemoryMb, 1_000_000),
            lockDurationMs: wholeNumber('--lock-duration', options.lockDuration, 3_600_000),
            stalledIntervalMs: wholeNumber('--stalled-interval', options.stalledInterval, 3_600_000),
            maxStalled: wholeNumber('--max-stalled', options.maxStalled, 100)
          },
          io
        )
      )
    })
}

/**
 * Runs a worker until SIGINT or SIGTERM: the first stops it after the chunks in progress, a second at
 * once (those chunks' locks expire and other workers take them over).
 * @throws RedisUnavailableError when Redis cannot be reached or refuses the credentials.
 */
export async function runWorker(options: WorkerCommandOptions, io: Output): Promise<number> {
  const worker = await RedisWorker.start({
    url: options.redis,
    concurrency: options.concurrency,
    queue: options.queue,
    maxResultBytes: options.maxResultMb === undefined ? undefined : options.maxResultMb * 1024 * 1024,
    maxOldSpaceMb: options.maxMemoryMb,
    lockDurationMs: options.lockDurationMs,
    stalledIntervalMs: options.stalledIntervalMs,
    maxStalledCount: options.maxStalled,
    onLog: (message) => io.err(`worker: ${message}`)
  })
  io.out(
    `Batchdesk worker ready on ${worker.host} (pid ${worker.pid}): ${worker.concurrency} process${worker.concurrency === 1 ? '' : 'es'} pulling from queue '${worker.layout.queue}' at ${worker.target.label}`
  )
  io.out(
    'Ctrl+C stops it after the runs in progress; press it twice to stop at once (other workers take those runs over).'
  )
  let stopping = false
  let onSignal = (): void => undefined
  await new Promise<void>((resolve) => {
    onSignal = () => {
      if (!stopping) {
        stopping = true
        io.err('Stopping after the runs in progress…')
        void worker.close().then(resolve)
      } else {
        io.err('Stopping now.')
        void worker.close({ force: true }).then(resolve)
      }
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
  return EXIT_OK
}
