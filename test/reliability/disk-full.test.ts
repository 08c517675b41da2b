/**
 * Disk full and failing disks. Part 1 injects, through the store's file-system seam, ENOSPC and EIO (once,
 * or from then on), short writes, and a short write followed by ENOSPC, at every file operation of a batch
 * (opening the project included). Part 2 runs the CLI on a real 2 MB tmpfs until it is full.
 * Expected every time: a clear error ("The disk is full: … free space and resume" for ENOSPC), the batch
 * stops, no run is marked failed because of it, every result shown as done and every earlier result is
 * intact, and after space is freed the next execute computes exactly what is missing.
 */
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Batch } from '../../src-main/engine/batch'
import { Run } from '../../src-main/engine/run'
import { acquireStore, DiskFullError, installFileSystem } from '../../src-main/engine/store'
import { expectedWork } from './fixtures/work/expected'
import { faultModes, faultyFileSystem, type FaultMode } from './fault-fs'
import { makeTempFolder, makeWorkProject, removeTempFolders, runCli, soak } from './helpers'

afterAll(() => removeTempFolders())

const TOTAL = 16
const BEFORE = 6
/** Milliseconds each run waits during the faulty session, so results reach the store in several groups. */
let runDelayMs = 0

/**
 * Runs 0..TOTAL-1; run 13's result is over 1 MiB (a .bdr file written by temp file and rename). During the
 * faulty session each run waits a few ms, so results reach the store in several groups (appends, fsyncs).
 */
class DiskRun extends Run {
  override async run({ i = 0 }) {
    if (runDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, runDelayMs))
    return i === 13 ? { i, big: 'b'.repeat(1_100_000) } : { i, square: i * i }
  }
}

function expected(i: number): unknown {
  return i === 13 ? { i, big: 'b'.repeat(1_100_000) } : { i, square: i * i }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i)

/** A project folder holding the results of runs 0..BEFORE-1, stored before the disk fills. */
async function makeTemplate(): Promise<string> {
  const dir = makeTempFolder('bd-disk-template-')
  const batch = new Batch('disk', { path: dir })
  batch.addFactorialRuns(DiskRun, { i: range(BEFORE) })
  await batch.execute()
  batch.close()
  return dir
}

interface Outcome {
  error: unknown
  shownDone: number[]
}

async function faultySession(
  dir: string,
  mode: FaultMode,
  at: number
): Promise<Outcome & { injected: number }> {
  const faulty = faultyFileSystem(mode, at)
  const restore = installFileSystem(faulty.fileSystem)
  const batch = new Batch('disk', { path: dir })
  let error: unknown
  runDelayMs = 5
  try {
    batch.addFactorialRuns(DiskRun, { i: range(TOTAL) })
    await batch.execute()
  } catch (caught) {
    error = caught
  } finally {
    restore()
    runDelayMs = 0
  }
  const shownDone: number[] = []
  if (batch.runs.length === TOTAL) {
    for (const run of batch.runs) {
      expect(run.status, `run ${run.parameters.i} after ${mode} at call ${at}: ${String(error)}`).not.toBe(
        'failed'
      )
      expect(run.status).not.toBe('corrupt')
      if (run.done) shownDone.push(run.parameters.i as number)
    }
  }
  try {
    batch.close()
  } catch (closeError) {
    // Releasing reads and removes the lock file: on a failing disk that may fail too (and must lose nothing).
    if (mode !== 'eio-once' && mode !== 'eio-forever') throw closeError
    expect((closeError as Error).message).toMatch(/\bEIO\b/)
  }
  faulty.heal()
  // A lock file that could not be written completely is removed (an empty one would make the next open
  // wait and then take it over as stale); only a disk that fails for good may leave one behind.
  const lockFile = path.join(dir, '_res', '.batchdesk', 'lock')
  if (!mode.endsWith('forever') && existsSync(lockFile)) {
    expect(
      () => JSON.parse(readFileSync(lockFile, 'utf8')),
      `${mode} at call ${at}: the lock file left behind`
    ).not.toThrow()
  }
  return { error, shownDone, injected: faulty.injected }
}

function checkError(mode: FaultMode, outcome: Outcome, context: string): void {
  const { error } = outcome
  if (mode === 'short-write') {
    expect(error, `${context}: a short write is retried, not an error`).toBeUndefined()
    return
  }
  if (error === undefined) return // the fault hit a call whose failure does not matter (closing a read, say)
  if (mode === 'eio-once' || mode === 'eio-forever') {
    expect((error as Error).message, `${context}: the error names the I/O failure`).toMatch(
      /\bEIO\b|i\/o error/i
    )
    return
  }
  expect(error, `${context}: ${(error as Error).stack}`).toBeInstanceOf(DiskFullError)
  expect((error as Error).message).toMatch(/^The disk is full: .+ failed \(ENOSPC\); free space and resume$/)
}

/** After space is freed: nothing lost or failed, and one execute computes exactly the missing runs. */
async function checkResume(dir: string, outcome: Outcome, context: string): Promise<void> {
  const batch = new Batch('disk', { path: dir })
  try {
    batch.addFactorialRuns(DiskRun, { i: range(TOTAL) })
    const counts = batch.statusCounts()
    expect(counts.failed, `${context}: failed runs`).toBe(0)
    expect(counts.corrupt, `${context}: corrupt runs`).toBe(0)
    for (const i of [...range(BEFORE), ...outcome.shownDone]) {
      const run = batch.runs[i]
      expect(run.done, `${context}: run ${i} was done before and must still be`).toBe(true)
      expect(run.result, `${context}: result of run ${i}`).toEqual(expected(i))
    }
    const done = batch.runs.filter((run) => run.done).length
    const report = await batch.execute()
    expect(report, context).toMatchObject({ computed: TOTAL - done, cached: done, failed: 0 })
    for (const run of batch.runs)
      expect(run.result, `${context}: run ${run.parameters.i}`).toEqual(expected(run.parameters.i as number))
    const store = acquireStore(path.join(dir, '_res'))
    try {
      expect(await store.verify(), context).toMatchObject({ corrupt: [], unreadable: [], missing: [] })
    } finally {
      store.release()
    }
  } finally {
    batch.close()
  }
}

describe('a full or failing disk, injected at every file operation', () => {
  it(`stops with a clear error, loses nothing and resumes exactly (${faultModes.length} fault kinds)`, async () => {
    const template = await makeTemplate()
    // How many file operations a clean session makes, and which.
    const reference = faultyFileSystem('enospc-once', Infinity)
    const restore = installFileSystem(reference.fileSystem)
    const counted = makeTempFolder()
    cpSync(template, counted, { recursive: true })
    const batch = new Batch('disk', { path: counted })
    runDelayMs = 5
    batch.addFactorialRuns(DiskRun, { i: range(TOTAL) })
    await batch.execute()
    runDelayMs = 0
    batch.close()
    restore()
    const calls = reference.calls
    expect(calls).toBeGreaterThan(20)

    const step = soak ? 1 : Math.max(1, Number(process.env.BATCHDESK_DISK_FULL_STEP ?? 1))
    let scenarios = 0
    let errors = 0
    for (const mode of faultModes) {
      for (let at = 1; at <= calls + 1; at += step) {
        const dir = makeTempFolder('bd-disk-')
        cpSync(template, dir, { recursive: true })
        const context = `${mode} at file operation ${at} of ${calls} (${reference.log[at - 1] ?? 'after the last'})`
        const outcome = await faultySession(dir, mode, at)
        checkError(mode, outcome, context)
        if (outcome.error) errors++
        await checkResume(dir, outcome, context)
        scenarios++
      }
    }
    console.log(
      `disk full: ${scenarios} scenarios (${faultModes.length} fault kinds × ${calls} file operations), ${errors} stopped the batch with a clear error; all resumed exactly`
    )
  }, 600_000)
})

// ---- a real tmpfs -------------------------------------------------------------------------------------

function mountTinyDisk(): { dir: string; reason?: string } {
  const dir = makeTempFolder('bd-tmpfs-')
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { encoding: 'utf8' })
  if (mounted.status !== 0)
    return { dir, reason: (mounted.stderr || mounted.error?.message || `exit ${mounted.status}`).trim() }
  return { dir }
}

const tiny = mountTinyDisk()
if (tiny.reason)
  console.warn(
    `SKIPPED the real-tmpfs disk-full test: mounting a 2 MB tmpfs is not permitted here (${tiny.reason}); it needs root or CAP_SYS_ADMIN`
  )
afterAll(() => {
  if (!tiny.reason) spawnSync('umount', ['-l', tiny.dir])
})

describe('a batch on a real 2 MB tmpfs', () => {
  it.skipIf(tiny.reason !== undefined)(
    'stops with "The disk is full" when it fills, keeps what it stored, and resumes after space is freed',
    async () => {
      const dir = path.join(tiny.dir, 'project')
      mkdirSync(dir)
      cpSync(makeWorkProject(), dir, { recursive: true })
      // 240 runs, four of them over 1 MiB: far more than 2 MB.
      const manifestFile = path.join(dir, 'batchdesk.json')
      const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'))
      manifest.batches[0].designs[0].grid = { i: { $range: [0, 240, 1] }, round: [0], ms: [0] }
      writeFileSync(manifestFile, JSON.stringify(manifest))

      const full = await runCli(['run', dir, '--processes', '1'])
      expect(full.code, full.stdout + full.stderr).toBe(1)
      expect(full.stderr).toMatch(
        /^Error: The disk is full: .+ failed \((ENOSPC|SQLITE_FULL)\); free space and resume$/m
      )

      const status = await runCli(['status', dir])
      expect(status.code, status.stderr).toBe(0)
      const [, runs, done, pending, failed, stale, corrupt] =
        /^work\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(status.stdout)!.map(Number)
      expect({ runs, failed, stale, corrupt }).toEqual({ runs: 240, failed: 0, stale: 0, corrupt: 0 })
      expect(done).toBeGreaterThan(0)
      expect(done + pending).toBe(240)

      // Free space, and resume: only the missing runs are computed.
      expect(spawnSync('mount', ['-o', 'remount,size=64m', tiny.dir]).status).toBe(0)
      const resumed = await runCli(['run', dir, '--processes', '1'])
      expect(resumed.code, resumed.stderr).toBe(0)
      expect(resumed.stdout).toMatch(
        new RegExp(`^work: ${pending} computed, ${done} already stored in `, 'm')
      )
      const verify = acquireStore(path.join(dir, '_res'))
      try {
        expect(await verify.verify()).toMatchObject({
          validRecords: 240,
          corrupt: [],
          unreadable: [],
          missing: []
        })
        for (const meta of verify.listMeta('work')) {
          const { i, round } = meta.parameters as { i: number; round: number }
          expect(verify.read('work', meta.id)!.result).toEqual(expectedWork(i, round))
        }
      } finally {
        verify.release()
      }
      console.log(`tmpfs: the disk filled after ${done} of 240 runs; resuming computed the other ${pending}`)
    },
    120_000
  )
})
