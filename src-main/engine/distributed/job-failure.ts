/**
 * What a chunk job that BullMQ gave up on means for its runs. Workers write one log line to the job as
 * each attempt starts and one when an attempt fails; an attempt that started and never said more lost
 * its worker (killed, or cut off from Redis) and was found stalled.
 */
import type { RunFailureKind } from '../types'

/** The log line a worker writes as it starts an attempt. */
export function attemptStartedLine(attempt: number, host: string, pid: number): string {
  return `attempt ${attempt} on ${host} (worker pid ${pid}): started`
}

/** The log line a worker writes when an attempt fails with an error (not for a run's own failure). */
export function attemptFailedLine(attempt: number, host: string, pid: number, message: string): string {
  return `attempt ${attempt} on ${host} (worker pid ${pid}): failed: ${message}`
}

const LINE = /^attempt (\d+) on (.+?) \(worker pid (\d+)\): (started|failed: ([\s\S]*))$/

export interface JobFailureFacts {
  /** BullMQ's reason for the final failure. */
  failedReason: string
  /** The job's log lines, oldest first. */
  logs: readonly string[]
  /** How many runs the chunk held. */
  runs: number
}

export interface JobFailureSummary {
  kind: RunFailureKind
  message: string
  /** The host of the last attempt, when known. */
  host: string | undefined
  attempts: number
}

/**
 * The failure to record for every unfinished run of a chunk that failed for good: how many attempts
 * there were, where each ran and how it ended, and BullMQ's last reason.
 */
export function summarizeJobFailure(facts: JobFailureFacts): JobFailureSummary {
  const attempts = new Map<number, { host: string; pid: string; failure?: string }>()
  for (const line of facts.logs) {
    const match = LINE.exec(line)
    if (!match) continue
    const number = Number(match[1])
    const entry = attempts.get(number) ?? { host: match[2], pid: match[3] }
    if (match[5] !== undefined) entry.failure = match[5]
    attempts.set(number, entry)
  }
  const ordered = [...attempts.entries()].sort((a, b) => a[0] - b[0])
  const lines = ordered.map(
    ([number, attempt]) =>
      `  attempt ${number} on ${attempt.host} (worker pid ${attempt.pid}): ${
        attempt.failure ??
        'the worker stopped responding (killed, or cut off from Redis) and the chunk was found stalled'
      }`
  )
  const reason = facts.failedReason || 'no reason given'
  const kind: RunFailureKind = /run class code/.test(reason) ? 'load' : 'crashed'
  const count = ordered.length
  const what = `the chunk of ${facts.runs} run${facts.runs === 1 ? '' : 's'} holding this run`
  const message =
    count === 0
      ? `${what} failed on the workers before any of them started it (${reason})`
      : `${what} was attempted ${count} time${count === 1 ? '' : 's'} and never finished (${reason}):\n${lines.join('\n')}`
  return {
    kind,
    message,
    host: ordered.length > 0 ? ordered[ordered.length - 1][1].host : undefined,
    attempts: count
  }
}
