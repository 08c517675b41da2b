import type Redis from 'ioredis'
import { failureOutcome } from '../exec/outcomes'
import type { RunOutcome } from '../types'
import { resultEntryFields, type ChunkJobData } from './chunk-job'

/** Outcomes are sent when this much is buffered… */
const FLUSH_BYTES = 1024 * 1024
/** …or when the oldest buffered one is this old. */
const FLUSH_MS = 50
/** The done set of a chunk outlives any sensible retry. */
const DONE_TTL_SECONDS = 7 * 24 * 3600

/**
 * Sends a chunk's outcomes to the engine's results stream as they come, a few at a time, and notes their
 * run ids in the chunk's done set in the same transaction (a retry of the chunk skips them). A result
 * larger than the cap is refused here, as a failure of that run, rather than pushed into Redis.
 */
export class OutcomePublisher {
  readonly #redis: Redis
  readonly #data: ChunkJobData
  readonly #jobId: string
  readonly #maxResultBytes: number
  #buffer: RunOutcome[] = []
  #bytes = 0
  #timer: NodeJS.Timeout | undefined
  #sending: Promise<void> = Promise.resolve()
  #error: unknown
  published = 0

  constructor(redis: Redis, data: ChunkJobData, jobId: string, maxResultBytes: number) {
    this.#redis = redis
    this.#data = data
    this.#jobId = jobId
    this.#maxResultBytes = maxResultBytes
  }

  /** Takes outcomes; resolves at once unless enough is buffered to send (back-pressure on the pool). */
  add(outcomes: readonly RunOutcome[]): Promise<void> | void {
    if (this.#error) throw this.#error
    for (const outcome of outcomes) {
      const capped = this.#capped(outcome)
      this.#buffer.push(capped)
      this.#bytes += capped.ok ? capped.resultJson.length + capped.log.length + 200 : capped.log.length + 500
    }
    if (this.#bytes >= FLUSH_BYTES) return this.flush()
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined
      this.flush().catch((error) => (this.#error = error))
    }, FLUSH_MS)
  }

  /** Sends whatever is buffered and waits until every earlier send is done. */
  flush(): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    const outcomes = this.#buffer
    this.#buffer = []
    this.#bytes = 0
    if (outcomes.length > 0) this.#sending = this.#sending.then(() => this.#send(outcomes))
    return this.#sending.then(() => {
      if (this.#error) throw this.#error
    })
  }

  async #send(outcomes: RunOutcome[]): Promise<void> {
    const { results, done, runClass } = this.#data
    const [[error]] = ((await this.#redis
      .multi()
      .xadd(results, '*', ...resultEntryFields(this.#jobId, runClass.codeHash, outcomes))
      .sadd(done, ...outcomes.map((outcome) => outcome.id))
      .expire(done, DONE_TTL_SECONDS)
      .exec()) ?? [[null]]) as [Error | null, unknown][]
    if (error) throw error
    this.published += outcomes.length
  }

  #capped(outcome: RunOutcome): RunOutcome {
    // A string of n UTF-16 units is at most 3n bytes of UTF-8: only long ones need counting.
    if (!outcome.ok || outcome.resultJson.length * 3 <= this.#maxResultBytes) return outcome
    const bytes = Buffer.byteLength(outcome.resultJson)
    if (bytes <= this.#maxResultBytes) return outcome
    const failure = failureOutcome(
      outcome,
      'unstorable',
      `the result is ${formatMiB(bytes)}, more than the ${formatMiB(this.#maxResultBytes)} a worker sends through Redis; compute this run locally (without --redis), or start the workers with a larger --max-result-mb`,
      { started: outcome.started, ended: outcome.ended, log: outcome.log, logTruncated: outcome.logTruncated }
    )
    return { ...failure, runtime: outcome.runtime, host: outcome.host }
  }
}

function formatMiB(bytes: number): string {
  return `${Number((bytes / 1024 / 1024).toPrecision(3))} MiB`
}
