/**
 * Power-loss simulation of the result store: every file operation goes through a file system that models
 * what survives a power cut (see power-loss-fs.ts). After the scenario, the folder is rebuilt as it would be
 * after a crash at every crash point k, in five variants of which unsynced work reached the disk, with the
 * SQLite index as it was at that moment (and without it), and then opened again. For every k:
 * - every result whose write had resolved is there, readable, with its latest acknowledged value (a result
 *   rewritten later may show its old or its new value, never anything else);
 * - nothing is corrupt, `verify()` is clean and no temp file is left;
 * - the index agrees with a rebuild from the files (the files are the truth).
 * A second test checks the real order of system calls (write → fsync → rename → directory fsync → reported
 * stored) with strace.
 */
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import { hostname } from 'node:os'
import * as path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { encodeToJson } from '../../../src-main/engine/store/codec'
import { acquireStore, type NewResult, type ResultStore } from '../../../src-main/engine/store'
import { buildChild, removeTempFolders, soak } from '../../reliability/helpers'
import { crashVariants, PowerLossFileSystem, type CrashVariant } from './power-loss-fs'
import { makeResult, makeTempFolder } from './helpers'

afterAll(() => removeTempFolders())

/** Records over this many body bytes get a .bdr file (small, so crash images stay small). */
const LARGE = 600

interface Version {
  id: string
  value: unknown
  /** Crash points recorded when the write was issued and when it resolved. */
  issuedAt: number
  ackedAt: number
}

function version(n: number, v: number, large = false): NewResult {
  const value = large ? { n, v, fill: `${n}.${v}`.padEnd(LARGE + 100, '#') } : { n, v }
  return makeResult('b', n, {
    result: value,
    resultJson: encodeToJson(value),
    ended: 1_764_000_000_000 + v * 1000 + n
  })
}

async function recordScenario(
  root: string
): Promise<{ fileSystem: PowerLossFileSystem; versions: Version[] }> {
  const fileSystem = new PowerLossFileSystem(root, ['.batchdesk/index.sqlite', '.batchdesk/index.sqlite-wal'])
  const versions: Version[] = []
  const write = async (store: ResultStore, results: NewResult[]): Promise<void> => {
    const issuedAt = fileSystem.crashPoints - 1
    await store.write(results)
    const ackedAt = fileSystem.crashPoints - 1
    for (const r of results) versions.push({ id: r.id, value: JSON.parse(r.resultJson), issuedAt, ackedAt })
  }
  const options = { fileSystem, largeRecordBytes: LARGE }

  // Session 1: a new segment, appends, a large record, rewrites of a small and of a large result, and two
  // writes that share one group commit.
  let store = acquireStore(root, options)
  await write(store, [version(0, 1), version(1, 1), version(2, 1)])
  await write(store, [version(3, 1)])
  await write(store, [version(4, 1, true)])
  await write(store, [version(0, 2), version(5, 1)])
  await write(store, [version(4, 2, true)])
  await Promise.all([write(store, [version(6, 1)]), write(store, [version(7, 1, true), version(8, 1)])])
  store.release()

  // Session 2 finds the lock of an engine that died (taken over by rename), starts a new segment, rewrites
  // a session-1 result and adds a large record.
  plantStaleLock(fileSystem, path.join(root, '.batchdesk', 'lock'))
  store = acquireStore(root, options)
  await write(store, [version(1, 3), version(9, 1)])
  await write(store, [version(10, 1, true)])
  store.release()
  return { fileSystem, versions }
}

/** Writes, through the recorded file system, the lock of an engine on this host that is no longer running. */
function plantStaleLock(fileSystem: PowerLossFileSystem, file: string): void {
  const pid = spawnSync(process.execPath, ['-e', '0']).pid!
  const text = JSON.stringify({
    pid,
    host: hostname(),
    since: '2026-11-25T10:00:00.000Z',
    app: 'batchdesk',
    token: 'dead'
  })
  const fd = fileSystem.openSync(file, 'wx')
  fileSystem.writeSync(fd, Buffer.from(text), 0, Buffer.byteLength(text), 0)
  fileSystem.fsyncSync(fd)
  fileSystem.closeSync(fd)
  fileSystem.fsyncDirectorySync(path.dirname(file))
}

/** The values run `id` may have after a crash at point k; `undefined` stands for "not stored". */
function allowedValues(versions: Version[], id: string, k: number): unknown[] {
  const mine = versions.filter((v) => v.id === id)
  const acked = mine.filter((v) => v.ackedAt <= k)
  const latestAcked = acked[acked.length - 1]
  const allowed: unknown[] = latestAcked ? [latestAcked.value] : [undefined]
  for (const v of mine)
    if (v.issuedAt < k && (!latestAcked || v.issuedAt >= latestAcked.issuedAt)) allowed.push(v.value)
  return allowed
}

function runNumber(versions: Version[], id: string): number {
  return (versions.find((v) => v.id === id)!.value as { n: number }).n
}

function indexView(store: ResultStore): unknown {
  return [...store.storedIds('b')]
    .map(([id, info]) => ({ id, ...info, meta: store.meta('b', id) }))
    .sort((a, b) => (a.id < b.id ? -1 : 1))
}

describe('result store after a power cut at every crash point', () => {
  it('keeps every acknowledged result (old or new value for rewrites), and the index reconciles with the files', async () => {
    const root = fs.realpathSync(makeTempFolder())
    const { fileSystem, versions } = await recordScenario(path.join(root, 'recorded'))
    const ids = [...new Set(versions.map((v) => v.id))]
    const variants: readonly CrashVariant[] = crashVariants
    let images = 0
    for (let k = 0; k < fileSystem.crashPoints; k++) {
      for (const variant of variants) {
        for (const withIndex of soak || k % 2 === 0 ? [true, false] : [true]) {
          const image = path.join(root, `image-${k}-${variant}-${withIndex}`)
          fileSystem.image(k, variant, image, { withExtras: withIndex })
          const context = `crash after operation ${k} (${fileSystem.operation(k)}), ${variant}, ${withIndex ? 'index as it was' : 'index lost'}`
          const store = acquireStore(image)
          let view: unknown
          try {
            for (const id of ids) {
              const stored = store.read('b', id)
              expect(
                allowedValues(versions, id, k),
                `${context}: run ${runNumber(versions, id)}`
              ).toContainEqual(stored?.result)
            }
            expect(await store.verify(), context).toMatchObject({ corrupt: [], unreadable: [], missing: [] })
            expect(
              [...fs.readdirSync(image), ...fs.readdirSync(path.join(image, '.batchdesk'))].filter((name) =>
                name.endsWith('.tmp')
              ),
              `${context}: temp files`
            ).toEqual([])
            view = indexView(store)
          } finally {
            store.release()
          }
          // The files are the truth: an index rebuilt from them alone must say the same.
          fs.rmSync(path.join(image, '.batchdesk'), { recursive: true })
          const rebuilt = acquireStore(image)
          try {
            expect(indexView(rebuilt), `${context}: index vs rebuild`).toEqual(view)
          } finally {
            rebuilt.release()
          }
          fs.rmSync(image, { recursive: true })
          images++
        }
      }
    }
    console.log(
      `power loss: ${fileSystem.crashPoints} crash points × ${variants.length} variants: ${images} crash images reopened and checked`
    )
    expect(fileSystem.crashPoints).toBeGreaterThan(40)
  }, 240_000)
})

/** Parses `strace -f -y` output into calls with the line where each started and where it returned. */
function parseStrace(
  text: string
): { name: string; args: string; result: string; start: number; end: number }[] {
  const calls: { name: string; args: string; result: string; start: number; end: number }[] = []
  const unfinished = new Map<string, (typeof calls)[number]>()
  text.split('\n').forEach((line, at) => {
    const started = /^(\d+)\s+(\w+)\((.*?)(?: <unfinished \.\.\.>|\)\s+=\s+(.*))$/.exec(line)
    if (started) {
      const [, pid, name, args, result] = started
      const call = { name, args, result: result ?? '', start: at, end: at }
      calls.push(call)
      if (result === undefined) unfinished.set(`${pid}:${name}`, call)
      return
    }
    const resumed = /^(\d+)\s+<\.\.\. (\w+) resumed>(.*?)\)\s+=\s+(.*)$/.exec(line)
    if (resumed) {
      const call = unfinished.get(`${resumed[1]}:${resumed[2]}`)
      if (call) {
        call.args += resumed[3]
        call.result = resumed[4]
        call.end = at
        unfinished.delete(`${resumed[1]}:${resumed[2]}`)
      }
    }
  })
  return calls
}

describe('system calls of a durable write', () => {
  const strace = spawnSync('strace', ['-V'], { encoding: 'utf8' })
  const haveStrace = strace.status === 0
  if (!haveStrace)
    console.warn(
      'SKIPPED the strace check of write → fsync → rename → directory fsync: strace is not installed (apt-get install -y strace)'
    )

  it.skipIf(!haveStrace)(
    'writes, fsyncs, renames and fsyncs the folder, in that order, before reporting a result stored',
    async () => {
      const script = await buildChild('durable-write')
      const dir = fs.realpathSync(makeTempFolder())
      const log = path.join(dir, 'strace.txt')
      const res = path.join(dir, '_res')
      const traced = spawnSync(
        'strace',
        [
          '-f',
          '-y',
          '-qq',
          '-s',
          '40',
          '-o',
          log,
          '-e',
          'trace=openat,write,pwrite64,pwritev,fsync,fdatasync,rename,renameat,renameat2',
          process.execPath,
          script,
          res
        ],
        { encoding: 'utf8' }
      )
      expect(traced.status, traced.stderr).toBe(0)
      const calls = parseStrace(fs.readFileSync(log, 'utf8'))
      const ack = (label: string) =>
        calls.find((c) => c.name === 'write' && c.args.startsWith('1<') && c.args.includes(label))!
      const on = (name: string, file: RegExp) =>
        calls.filter((c) => c.name === name && file.test(c.args.split(',')[0]))
      const segment = /b_s000001\.bdseg>$/
      const temp = /\.b_[0-9a-f]{40}\.bdr\.[0-9a-f]+\.tmp>$/
      const folder = new RegExp(`${res.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}>$`)

      // A small result: appended to a new segment, fsynced, the folder fsynced (a new file), then reported.
      const smallAck = ack('STORED small')
      const segmentWrite = on('pwrite64', segment)[0] ?? on('pwritev', segment)[0]
      const segmentSync = on('fsync', segment)[0]
      const folderSyncs = on('fsync', folder)
      expect(segmentWrite, 'segment written').toBeDefined()
      expect(segmentWrite.end).toBeLessThan(segmentSync.start)
      expect(segmentSync.end).toBeLessThan(smallAck.start)
      expect(
        folderSyncs.find((c) => c.start > segmentSync.end && c.end < smallAck.start),
        'folder fsynced between segment fsync and report'
      ).toBeDefined()

      // A large result: temp file written and fsynced, renamed to its final name, the folder fsynced, reported.
      const largeAck = ack('STORED large')
      const tempWrite = on('pwrite64', temp)[0] ?? on('pwritev', temp)[0]
      const tempSync = on('fsync', temp)[0]
      const rename = calls.find(
        (c) => /^rename/.test(c.name) && /\.tmp"/.test(c.args) && /b_[0-9a-f]{40}\.bdr"/.test(c.args)
      )!
      expect(tempWrite, 'temp file written').toBeDefined()
      expect(tempWrite.end).toBeLessThan(tempSync.start)
      expect(tempSync.end).toBeLessThan(rename.start)
      const folderSync = folderSyncs.find((c) => c.start > rename.end)
      expect(folderSync, 'folder fsynced after the rename').toBeDefined()
      expect(folderSync!.end).toBeLessThan(largeAck.start)
      console.log(
        `strace: ${calls.length} system calls traced; the order write → fsync → rename → folder fsync → reported holds`
      )
    },
    60_000
  )
})
