/**
 * Entry point of the pack reader thread (built to out/engine/packs-worker.js, started by worker-source.ts).
 * Opens the source given as workerData and answers scan / records requests one at a time; records are sent
 * in chunks, each after the main thread asked for the next one (back-pressure).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { PackError } from './errors'
import { openLegacyFolder } from './legacy-source'
import { openPack, type PackSource } from './pack-source'
import type { FromWorker, SourceSpec, ToWorker } from './worker-source'

const port = parentPort
if (!port) {
  process.stderr.write(
    'out/engine/packs-worker.js is a worker thread: it is started by Batchdesk, not run directly\n'
  )
  process.exit(2)
}

const inbox: ToWorker[] = []
let waiting: ((message: ToWorker) => void) | undefined

port.on('message', (message: ToWorker) => {
  const resolve = waiting
  waiting = undefined
  if (resolve) resolve(message)
  else inbox.push(message)
})

function next(): Promise<ToWorker> {
  const queued = inbox.shift()
  return queued ? Promise.resolve(queued) : new Promise((resolve) => (waiting = resolve))
}

function send(message: FromWorker): void {
  port!.postMessage(message)
}

function errorMessage(error: unknown): FromWorker {
  const { name, message } = error instanceof Error ? error : new Error(String(error))
  return {
    type: 'error',
    error: { name, message, code: error instanceof PackError ? error.code : undefined }
  }
}

async function serve(): Promise<void> {
  const spec = workerData as SourceSpec
  let source: PackSource
  try {
    source =
      spec.kind === 'pack'
        ? await openPack(spec.file, spec.limits)
        : await openLegacyFolder(spec.folder, spec.batch)
  } catch (error) {
    send(errorMessage(error))
    return
  }
  send({ type: 'ready' })
  for (;;) {
    const request = await next()
    try {
      if (request.type === 'close') break
      if (request.type === 'scan') send({ type: 'scan', scan: await source.scan() })
      else if (request.type === 'records') {
        await source.records(new Set(request.select), request.chunkBytes, async (records) => {
          send({ type: 'chunk', records })
          const answer = await next()
          if (answer.type !== 'next') throw new Error(`expected next, got ${answer.type}`)
        })
        send({ type: 'done' })
      }
    } catch (error) {
      send(errorMessage(error))
    }
  }
  await source.close()
  port!.close()
}

void serve()
