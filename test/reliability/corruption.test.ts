/**
 * Damaged result files and a damaged index. A damaged result is never shown as done: it is reported as
 * corrupt with the reason (status 'corrupt', reading it throws CorruptResultError naming file and reason),
 * it is recomputed by the next execute, and nothing else is recomputed. A damaged or incomplete index is
 * set aside and rebuilt from `_res/`, identical to what it was.
 */
import {
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync
} from 'node:fs'
import path from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { Batch } from '../../src-main/engine/batch'
import { Run } from '../../src-main/engine/run'
import { acquireStore, CorruptResultError, type ResultStore } from '../../src-main/engine/store'
import { encodeFrame, readOneFrame, scanFrames } from '../../src-main/engine/store/frame'
import { makeTempFolder, removeTempFolders } from './helpers'

afterAll(() => removeTempFolders())

const RUNS = 10
const BIG = 3

class CorruptionRun extends Run {
  override run({ i = 0 }) {
    return i === BIG ? { i, big: 'c'.repeat(1_100_000) } : { i, square: i * i }
  }
}

function expected(i: number): unknown {
  return i === BIG ? { i, big: 'c'.repeat(1_100_000) } : { i, square: i * i }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i)
const openBatches: Batch[] = []
afterEach(() => {
  for (const batch of openBatches.splice(0)) batch.close()
})

function openBatch(dir: string): Batch {
  const batch = new Batch('c', { path: dir })
  openBatches.push(batch)
  batch.addFactorialRuns(CorruptionRun, { i: range(RUNS) })
  return batch
}

function closeBatch(batch: Batch): void {
  openBatches.splice(openBatches.indexOf(batch), 1)
  batch.close()
}

/** A project whose 10 results are stored (run 3 in a .bdr file, the others in one segment). */
async function storedProject(): Promise<{ dir: string; res: string; ids: string[]; meta: unknown }> {
  const dir = makeTempFolder('bd-corrupt-')
  const batch = openBatch(dir)
  await batch.execute()
  const ids = batch.runs.map((run) => run.id)
  closeBatch(batch)
  const res = path.join(dir, '_res')
  return { dir, res, ids, meta: indexSnapshot(res) }
}

function withStore<T>(res: string, work: (store: ResultStore) => T): T {
  const store = acquireStore(res)
  try {
    return work(store)
  } finally {
    store.release()
  }
}

/** Everything the index says about the stored runs (what a rebuild must reproduce). */
function indexSnapshot(res: string): unknown {
  return withStore(res, (store) => store.listMeta('c').sort((a, b) => (a.id < b.id ? -1 : 1)))
}

function segmentOf(res: string): string {
  return path.join(
    res,
    readdirSync(res).find((name) => name.endsWith('.bdseg'))!
  )
}

function recordFileOf(res: string, id: string): string {
  return path.join(res, `c_${id}.bdr`)
}

/** Offset of the frame of run `id` in a segment. */
function frameOffset(file: string, id: string): number {
  const scan = scanFrames(readFileSync(file), 0)
  return scan.frames.find((frame) => frame.body.includes(`"id":"${id}"`))!.offset
}

function flipByte(file: string, position: number): void {
  const bytes = readFileSync(file)
  bytes[position] ^= 0x20
  writeFileSync(file, bytes)
}

/** Rewrites a one-frame file's record as format 2, with a correct checksum (as a newer Batchdesk would). */
function rewriteAsFormat2(file: string): void {
  const frame = readOneFrame(readFileSync(file))
  if ('reason' in frame) throw new Error(frame.reason)
  writeFileSync(file, encodeFrame(frame.body.toString('utf8').replace('{"format":1,', '{"format":2,')).text)
}

interface Damage {
  /** Damages the stored project; returns the index (0..9) of the run it damaged. */
  apply(project: { res: string; ids: string[] }): number
  reason: RegExp
}

const damages: [string, Damage][] = [
  [
    'a .bdr file cut in half',
    {
      apply: ({ res, ids }) => (truncateSync(recordFileOf(res, ids[BIG]), 500_000), BIG),
      reason: /frame cut short/
    }
  ],
  [
    'a .bdr file with one bit flipped',
    {
      apply: ({ res, ids }) => (flipByte(recordFileOf(res, ids[BIG]), 300_000), BIG),
      reason: /checksum mismatch/
    }
  ],
  [
    'a .bdr file emptied',
    {
      apply: ({ res, ids }) => (truncateSync(recordFileOf(res, ids[BIG]), 0), BIG),
      reason: /frame header cut short|invalid frame header/
    }
  ],
  [
    'a bit flipped in a record in the middle of a segment',
    {
      apply: ({ res, ids }) => {
        const file = segmentOf(res)
        flipByte(file, frameOffset(file, ids[5]) + 150)
        return 5
      },
      reason: /checksum mismatch/
    }
  ],
  [
    'a bit flipped in the header of a record in a segment',
    {
      apply: ({ res, ids }) => {
        const file = segmentOf(res)
        flipByte(file, frameOffset(file, ids[6]) + 2)
        return 6
      },
      reason: /invalid frame header|checksum mismatch/
    }
  ],
  [
    'a result moved to a segment in a newer record format',
    {
      apply: ({ res, ids }) => {
        // As a newer Batchdesk would append it: a segment of its own, intact, in format 2.
        const file = recordFileOf(res, ids[BIG])
        rewriteAsFormat2(file)
        renameSync(file, path.join(res, 'c_s000009.bdseg'))
        return BIG
      },
      reason: /format 2 is not supported/
    }
  ],
  [
    'a .bdr file in a newer record format',
    {
      apply: ({ res, ids }) => (rewriteAsFormat2(recordFileOf(res, ids[BIG])), BIG),
      reason: /format 2 is not supported/
    }
  ]
]

describe('damaged result files', () => {
  it.each(damages)(
    '%s: reported corrupt with its reason, never done, recomputed alone',
    async (_what, damage) => {
      const project = await storedProject()
      const victim = damage.apply(project)

      const batch = openBatch(project.dir)
      const victimRun = batch.runs[victim]
      expect(victimRun.status).toBe('corrupt')
      expect(victimRun.done).toBe(false)
      let thrown: unknown
      try {
        void victimRun.result
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(CorruptResultError)
      expect((thrown as Error).message).toMatch(
        new RegExp(
          `^The stored result of run ${victimRun.id} \\(batch "c"\\) in ${project.res}/\\S+ at byte \\d+ is corrupt: `
        )
      )
      expect((thrown as Error).message, 'the reason').toMatch(damage.reason)
      const report = await withStore(project.res, (store) => store.verify())
      expect(report.corrupt.length + report.unreadable.length, 'verify names the damage').toBeGreaterThan(0)
      expect(JSON.stringify(report)).toMatch(damage.reason)

      for (const run of batch.runs) if (run.index !== victim) expect(run.result).toEqual(expected(run.index))
      const executed = await batch.execute()
      expect(executed).toMatchObject({ computed: 1, cached: RUNS - 1, failed: 0 })
      expect(victimRun.status).toBe('done')
      expect(victimRun.result).toEqual(expected(victim))
      closeBatch(batch)

      const again = openBatch(project.dir)
      expect(again.statusCounts()).toMatchObject({ cached: RUNS, corrupt: 0 })
      for (const run of again.runs) expect(run.result).toEqual(expected(run.index))
    }
  )

  it('treats a segment cut in the middle of a record as never written: the lost runs are pending and recomputed', async () => {
    const project = await storedProject()
    const file = segmentOf(project.res)
    const cut = frameOffset(file, project.ids[7]) + 40
    const lost = scanFrames(readFileSync(file), 0).frames.filter(
      (frame) => frame.offset >= frameOffset(file, project.ids[7])
    ).length
    truncateSync(file, cut)

    const batch = openBatch(project.dir)
    expect(batch.statusCounts()).toMatchObject({ cached: RUNS - lost, pending: lost, corrupt: 0 })
    expect(statSync(file).size, 'the torn record is cut off').toBe(
      frameOffset(file, project.ids[6]) + scanFrames(readFileSync(file), 0).frames.at(-1)!.length
    )
    expect(await batch.execute()).toMatchObject({ computed: lost, cached: RUNS - lost, failed: 0 })
    for (const run of batch.runs) expect(run.result).toEqual(expected(run.index))
  })
})

describe('a damaged run index', () => {
  function brokenIndexes(res: string): string[] {
    return readdirSync(path.join(res, '.batchdesk')).filter(
      (name) => /^index\.sqlite\.broken-/.test(name) && !/-(wal|shm)$/.test(name)
    )
  }

  it.each([
    [
      'its header overwritten',
      (file: string) =>
        writeFileSync(
          file,
          Buffer.concat([Buffer.from('not a database!!'), readFileSync(file).subarray(16)])
        ),
      true
    ],
    [
      'its pages overwritten',
      (file: string) => {
        const bytes = readFileSync(file)
        bytes.fill(0x5a, 4096, bytes.length)
        writeFileSync(file, bytes)
      },
      true
    ],
    ['it deleted', (file: string) => rmSync(file), false]
  ])(
    'with %s: set aside, rebuilt from the files identical to before, nothing recomputed',
    async (_what, damage, setAside) => {
      const project = await storedProject()
      const file = path.join(project.res, '.batchdesk', 'index.sqlite')
      damage(file)

      const batch = openBatch(project.dir)
      expect(batch.statusCounts()).toMatchObject({ cached: RUNS, corrupt: 0 })
      expect(await batch.execute()).toMatchObject({ computed: 0, cached: RUNS })
      closeBatch(batch)
      expect(indexSnapshot(project.res)).toEqual(project.meta)
      expect(brokenIndexes(project.res)).toHaveLength(setAside ? 1 : 0)
    }
  )

  it('whose -wal was deleted after a crash: the lost commits are taken again from the files', async () => {
    const dir = makeTempFolder('bd-corrupt-wal-')
    const batch = openBatch(dir)
    await batch.execute()
    const res = path.join(dir, '_res')
    // A crash image: the folder copied while the store is open, so the index has a WAL with the commits.
    const crashed = makeTempFolder('bd-corrupt-wal-image-')
    cpSync(dir, crashed, { recursive: true })
    const meta = indexSnapshot(res)
    closeBatch(batch)
    const crashedRes = path.join(crashed, '_res')
    expect(existsSync(path.join(crashedRes, '.batchdesk', 'index.sqlite-wal')), 'the image has a WAL').toBe(
      true
    )
    rmSync(path.join(crashedRes, '.batchdesk', 'index.sqlite-wal'))

    const reopened = openBatch(crashed)
    expect(reopened.statusCounts()).toMatchObject({ cached: RUNS, corrupt: 0 })
    expect(await reopened.execute()).toMatchObject({ computed: 0, cached: RUNS })
    closeBatch(reopened)
    expect(JSON.stringify(indexSnapshot(crashedRes))).toEqual(JSON.stringify(meta).replaceAll(dir, crashed))
  })
})
