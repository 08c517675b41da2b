import { describe, expect, it } from 'vitest'
import {
  attemptFailedLine,
  attemptStartedLine,
  summarizeJobFailure
} from '../../../src-main/engine/distributed/job-failure'

describe('a chunk that failed for good', () => {
  it('lists every attempt: where it ran and how it ended', () => {
    const summary = summarizeJobFailure({
      failedReason: 'job stalled more than allowable limit',
      runs: 3,
      logs: [
        attemptStartedLine(1, 'node-a', 11),
        attemptStartedLine(2, 'node-b', 22),
        attemptFailedLine(2, 'node-b', 22, 'Worker processes exit as soon as they start (exit code 1)'),
        attemptStartedLine(3, 'node-c', 33)
      ]
    })
    expect(summary).toEqual({
      kind: 'crashed',
      host: 'node-c',
      attempts: 3,
      message:
        'the chunk of 3 runs holding this run was attempted 3 times and never finished (job stalled more than allowable limit):\n' +
        '  attempt 1 on node-a (worker pid 11): the worker stopped responding (killed, or cut off from Redis) and the chunk was found stalled\n' +
        '  attempt 2 on node-b (worker pid 22): Worker processes exit as soon as they start (exit code 1)\n' +
        '  attempt 3 on node-c (worker pid 33): the worker stopped responding (killed, or cut off from Redis) and the chunk was found stalled'
    })
  })

  it('calls a chunk whose run class code could not be had a load failure', () => {
    const reason =
      'the run class code 0123456789ab is not in Redis (it expires a week after the last batch that used it)'
    const summary = summarizeJobFailure({
      failedReason: reason,
      runs: 1,
      logs: [attemptStartedLine(1, 'h', 1), attemptFailedLine(1, 'h', 1, reason)]
    })
    expect(summary.kind).toBe('load')
    expect(summary.message).toBe(
      `the chunk of 1 run holding this run was attempted 1 time and never finished (${reason}):\n  attempt 1 on h (worker pid 1): ${reason}`
    )
  })

  it('says so when no worker ever started it', () => {
    expect(summarizeJobFailure({ failedReason: '', runs: 2, logs: [] }).message).toBe(
      'the chunk of 2 runs holding this run failed on the workers before any of them started it (no reason given)'
    )
  })
})
