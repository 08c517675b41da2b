/**
 * What travels through Redis: the data of a chunk job (engine → worker) and the entries of a results
 * stream (worker → engine). Parameters go as the result codec's JSON (`encodeResult`), which keeps NaN,
 * -0, Dates and typed arrays exactly, as the local pool's structured clone does.
 */
import { decodeResult, encodeResult } from '../store/codec'
import type { RunOutcome, RunTask } from '../types'

/** Version of the chunk job format; a worker refuses jobs of another version with a clear reason. */
export const CHUNK_JOB_FORMAT = 1

/** The data of one BullMQ job: runs of one batch that share a run class. */
export interface ChunkJobData {
  format: typeof CHUNK_JOB_FORMAT
  batch: string
  /** The stream the worker adds outcomes to. */
  results: string
  /** The set of run ids already published for this chunk. */
  done: string
  runClass: { codeHash: string; exportName: string; sourceFile?: string }
  /** Per-run timeout in milliseconds. */
  timeoutMs?: number
  /** Runs to compute: id and parameters (wire form, then `encodeResult`). */
  tasks: { id: string; p: unknown }[]
}

/** The data for a chunk of tasks that share `tasks[0].runClass`. */
export function chunkJobData(
  tasks: readonly RunTask[],
  keys: { results: string; done: string },
  timeoutMs: number | undefined
): ChunkJobData {
  const { codeHash, exportName, sourceFile } = tasks[0].runClass
  return {
    format: CHUNK_JOB_FORMAT,
    batch: tasks[0].batch,
    results: keys.results,
    done: keys.done,
    runClass: sourceFile === undefined ? { codeHash, exportName } : { codeHash, exportName, sourceFile },
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    tasks: tasks.map((task) => ({ id: task.id, p: encodeResult(task.params, 'parameters') }))
  }
}

/**
 * Checks job data read from the queue.
 * @throws Error saying what is wrong (an engine of another version, or not a Batchdesk job).
 */
export function parseChunkJob(data: unknown): ChunkJobData {
  const job = data as Partial<ChunkJobData> | null
  if (job === null || typeof job !== 'object')
    throw new Error('the job holds no Batchdesk chunk (its data is not an object)')
  if (job.format !== CHUNK_JOB_FORMAT) {
    throw new Error(
      `the job was sent by a Batchdesk that uses chunk format ${String(job.format)}; this worker reads format ${CHUNK_JOB_FORMAT}: run the same Batchdesk version on the engine and the workers`
    )
  }
  const valid =
    typeof job.batch === 'string' &&
    typeof job.results === 'string' &&
    typeof job.done === 'string' &&
    typeof job.runClass?.codeHash === 'string' &&
    /^[0-9a-f]{64}$/.test(job.runClass.codeHash) &&
    typeof job.runClass.exportName === 'string' &&
    Array.isArray(job.tasks) &&
    job.tasks.every((task) => typeof task?.id === 'string')
  if (!valid)
    throw new Error('the job data is not a valid Batchdesk chunk (a field is missing or has the wrong type)')
  return job as ChunkJobData
}

/** The parameters of a chunk task, as a RunTask needs them. */
export function taskParams(task: ChunkJobData['tasks'][number]): Record<string, unknown> {
  return decodeResult(task.p) as Record<string, unknown>
}

/** Fields of one results stream entry: the chunk it belongs to, the code that computed it, the outcomes. */
export function resultEntryFields(
  jobId: string,
  codeHash: string,
  outcomes: readonly RunOutcome[]
): string[] {
  return ['j', jobId, 'h', codeHash, 'o', JSON.stringify(outcomes)]
}

/** A results stream entry, read back. Unknown or damaged entries give `outcomes: []`. */
export interface ResultEntry {
  jobId: string
  codeHash: string
  outcomes: RunOutcome[]
}

/** Decodes the flat field list XREAD returns for one entry. */
export function parseResultEntry(fields: readonly string[]): ResultEntry {
  let jobId = ''
  let codeHash = ''
  let outcomes: RunOutcome[] = []
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1]
    if (fields[i] === 'j') jobId = value
    else if (fields[i] === 'h') codeHash = value
    else if (fields[i] === 'o') {
      try {
        const parsed = JSON.parse(value)
        if (Array.isArray(parsed)) outcomes = parsed
      } catch {
        // A damaged entry carries nothing usable; its runs are sent again.
      }
    }
  }
  return { jobId, codeHash, outcomes }
}
