import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import path from 'node:path'
import { AppService } from '../api/app-service'
import { MANIFEST_FILE } from '../engine/project/manifest'
import { Project } from '../engine/project/project'
import { packageRoot } from '../engine/package-root'
import { startServer, type RunningServer } from '../server/server'
import { EXIT_BAD_INPUT, EXIT_OK, type Output } from './commands'

export interface ServeOptions {
  port?: number
  /** Create the project from this bundled example when the folder holds none yet. */
  example?: string
  /** Open the address in the default browser. */
  open?: boolean
  /** The built renderer (default: out/renderer of the package). */
  rendererDir?: string
  /** Folder of the app's settings (default: $BATCHDESK_CONFIG_DIR, else ~/.config/batchdesk). */
  configDir?: string
  /** Resolves when the server should stop (default: SIGINT or SIGTERM). */
  until?: Promise<void>
  /** Called once the server listens (tests). */
  onListening?: (server: RunningServer, service: AppService) => void
}

/** Where the app keeps its own settings in browser mode. */
export function defaultConfigDir(): string {
  if (process.env.BATCHDESK_CONFIG_DIR) return process.env.BATCHDESK_CONFIG_DIR
  return path.join(process.env.XDG_CONFIG_HOME || path.join(homedir(), '.config'), 'batchdesk')
}

/** Where `--example NAME` without a folder puts the example: ~/Batchdesk/NAME. */
export function defaultExampleDir(example: string): string {
  return path.join(homedir(), 'Batchdesk', example)
}

/**
 * `batchdesk serve [dir]`: the whole app in a browser. Hosts the engine in this process, serves the built
 * renderer and the contract on 127.0.0.1, and prints the address with its per-start token. Opens `dir`
 * (creating it from `--example` the first time); without a folder the app starts on its start screen.
 */
export async function serve(dir: string | undefined, options: ServeOptions, io: Output): Promise<number> {
  const rendererDir = options.rendererDir ?? path.join(packageRoot(), 'out', 'renderer')
  if (!existsSync(path.join(rendererDir, 'index.html'))) {
    io.err(`The app is not built yet: run \`npm run build\` in ${packageRoot()} first.`)
    return EXIT_BAD_INPUT
  }
  const target = dir ?? (options.example ? defaultExampleDir(options.example) : undefined)
  const service = new AppService({ configDir: options.configDir ?? defaultConfigDir() })
  try {
    if (target) await openOrCreate(service, target, options.example, io)
    const server = await startServer({ host: service, rendererDir, port: options.port })
    io.out(`Batchdesk is running at ${server.url}`)
    io.out(
      'Open that address in a browser on this machine (the token in it is the key). Press Ctrl+C to stop.'
    )
    if (options.open) openInBrowser(server.url, io)
    options.onListening?.(server, service)
    await (options.until ?? untilSignal())
    io.out('Stopping Batchdesk: runs in progress are cancelled, finished results are kept.')
    await server.close()
  } finally {
    await service.dispose()
  }
  return EXIT_OK
}

async function openOrCreate(
  service: AppService,
  dir: string,
  example: string | undefined,
  io: Output
): Promise<void> {
  const resolved = path.resolve(dir)
  if (!existsSync(path.join(resolved, MANIFEST_FILE)) && example) {
    await service.adoptProject(await Project.create(resolved, { example }))
    io.out(`Created the ${example} example in ${resolved}`)
    return
  }
  const opened = await service.openProject(resolved)
  if (!opened)
    io.out(`${resolved} is not a Batchdesk project yet: create one there from the app's start screen.`)
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}

function openInBrowser(url: string, io: Output): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'cmd' : 'xdg-open'
  const args = process.platform === 'win32' ? ['/c', 'start', '', url] : [url]
  try {
    const child = spawn(command, args, { detached: true, stdio: 'ignore' })
    child.on('error', () => io.err(`Could not open a browser (${command}); open the address above yourself.`))
    child.unref()
  } catch {
    io.err('Could not open a browser; open the address above yourself.')
  }
}
