/**
 * How many runs go in one job, and how many jobs the engine keeps in Redis at once.
 *
 * One BullMQ job costs a few Redis round trips (~1–2 ms all told), which would cap trivial runs at a few
 * hundred per second; a job of 256 such runs spends that once. Long runs want the opposite: a chunk is
 * computed by one worker process, one run after the other, so big chunks of long runs leave other
 * workers idle. The size therefore follows the observed run time, like the local pool's.
 */

/** Runs per job at most. */
export const MAX_CHUNK_RUNS = 256
/** Aim for jobs that keep a worker process busy about this long (a job costs ~1–2 ms of overhead). */
const TARGET_CHUNK_MS = 200

export interface ChunkSizing {
  /** Worker processes currently pulling from the queue (at least 1 is assumed). */
  slots: number
  /** Mean time in run() so far, undefined before the first outcome. */
  meanRuntimeMs: number | undefined
  /** Runs still to send. */
  remaining: number
}

/**
 * Runs for the next job: one while the run time is unknown (a long run must not hold others hostage),
 * then enough for about 0.2 s of work, at most 256, and smaller near the end so every worker
 * gets a share of the last runs.
 */
export function chunkSize({ slots, meanRuntimeMs, remaining }: ChunkSizing): number {
  const bySpeed =
    meanRuntimeMs === undefined
      ? 1
      : Math.min(MAX_CHUNK_RUNS, Math.max(1, Math.floor(TARGET_CHUNK_MS / Math.max(meanRuntimeMs, 1e-3))))
  const byTail = Math.ceil(remaining / (Math.max(1, slots) * 4))
  return Math.max(1, Math.min(bySpeed, byTail))
}

/**
 * Jobs to keep queued or running at once: enough that no worker waits for the engine to send more
 * (three per worker process), few enough that cancelling has little to remove.
 */
export function jobsInFlight(slots: number): number {
  return Math.max(4, 3 * Math.max(1, slots))
}
