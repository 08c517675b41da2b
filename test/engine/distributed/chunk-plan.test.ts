import { describe, expect, it } from 'vitest'
import { chunkSize, jobsInFlight, MAX_CHUNK_RUNS } from '../../../src-main/engine/distributed/chunk-plan'

describe('chunk sizes', () => {
  it.each([
    [
      'sends one run per job while the run time is unknown',
      { slots: 4, meanRuntimeMs: undefined, remaining: 10_000 },
      1
    ],
    ['packs trivial runs 256 to a job', { slots: 2, meanRuntimeMs: 0.01, remaining: 10_000 }, MAX_CHUNK_RUNS],
    ['gives 50 ms runs about 0.2 s of work per job', { slots: 2, meanRuntimeMs: 50, remaining: 10_000 }, 4],
    ['sends runs longer than 0.2 s one by one', { slots: 2, meanRuntimeMs: 2000, remaining: 10_000 }, 1],
    [
      'shrinks near the end so every worker gets a share',
      { slots: 4, meanRuntimeMs: 0.01, remaining: 80 },
      5
    ],
    ['never goes below one run', { slots: 64, meanRuntimeMs: 0.01, remaining: 1 }, 1],
    ['assumes one worker when none is known', { slots: 0, meanRuntimeMs: 0.01, remaining: 100 }, 25]
  ])('%s', (_name, sizing, expected) => {
    expect(chunkSize(sizing)).toBe(expected)
  })

  it('keeps three jobs per worker process in flight, at least four', () => {
    expect(jobsInFlight(0)).toBe(4)
    expect(jobsInFlight(1)).toBe(4)
    expect(jobsInFlight(8)).toBe(24)
  })
})
