import * as fs from 'node:fs'
import * as path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeToJson, scalarFields } from '../../../src-main/engine/store/codec'
import {
  acquireStore,
  CorruptResultError,
  nodeFileSystem,
  type ResultStore,
  type StoreFileSystem
} from '../../../src-main/engine/store'
import { idOf, makeResult, makeResults, makeTempFolder } from './helpers'

const opened: ResultStore[] = []

/** acquireStore, released after the test even if it fails. */
function open(dir: string, options?: Parameters<typeof acquireStore>[1]): ResultStore {
  const store = acquireStore(dir, options)
  opened.push(store)
  return store
}

function close(store: ResultStore): void {
  opened.splice(opened.indexOf(store), 1)
  store.release()
}

afterEach(() => {
  for (const store of opened.splice(0)) store.release()
})

function removeIndex(dir: string): void {
  for (const suffix of ['', '-wal', '-shm'])
    fs.rmSync(path.join(dir, '.batchdesk', `index.sqlite${suffix}`), { force: true })
}

/** Byte offset of the frame holding `id` in a segment file. */
function frameOffsetOf(file: string, id: string): number {
  const bytes = fs.readFileSync(file)
  const at = bytes.indexOf(`"id":"${id}"`)
  return bytes.lastIndexOf('#bd1 ', at)
}

function flipByte(file: string, position: number): void {
  const fd = fs.openSync(file, 'r+')
  const byte = Buffer.alloc(1)
  fs.readSync(fd, byte, 0, 1, position)
  byte[0] ^= 0x01
  fs.writeSync(fd, byte, 0, 1, position)
  fs.closeSync(fd)
}

function segmentFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.bdseg'))
    .sort()
}

describe('result store', () => {
  it('reads back many results exactly, codec values included', async () => {
    const dir = makeTempFolder()
    const store = open(dir)
    const values = Array.from({ length: 2000 }, (_, n) => ({
      val: n,
      odd: [NaN, -0, Infinity],
      when: new Date(n),
      data: new Float64Array([n, n / 3])
    }))
    await store.write(
      values.map((value, n) =>
        makeResult('example', n, {
          resultJson: encodeToJson(value),
          scalarsJson: JSON.stringify(scalarFields(value))
        })
      )
    )
    expect(store.storedIds('example').size).toBe(2000)
    for (const n of [0, 1, 999, 1999]) {
      const stored = store.read('example', idOf(n))!
      expect(stored.result).toStrictEqual(values[n])
      expect(stored.parameters).toStrictEqual({ A: n, B: [1, 2, 3] })
      expect(stored.scalars).toStrictEqual({ val: n })
      expect(stored.log).toBe(`log of ${n}\n`)
      expect(stored.file).toBe(path.join(fs.realpathSync(dir), 'example_s000001.bdseg'))
    }
    expect(store.read('example', idOf(5000))).toBeUndefined()
    expect(store.has('example', idOf(3))).toBe(true)
    expect(store.has('other', idOf(3))).toBe(false)
  })

  it('commits writes that arrive during an fsync together, with one more fsync, and all of them durably', async () => {
    const dir = makeTempFolder()
    let fsyncs = 0
    let releaseFirstFsync!: () => void
    const firstFsyncHeld = new Promise<void>((resolve) => (releaseFirstFsync = resolve))
    let firstFsyncStarted!: () => void
    const firstFsyncReached = new Promise<void>((resolve) => (firstFsyncStarted = resolve))
    const slowFirstFsync: StoreFileSystem = {
      ...nodeFileSystem,
      async fsync(fd) {
        fsyncs++
        if (fsyncs === 1) {
          firstFsyncStarted()
          await firstFsyncHeld
        }
        return nodeFileSystem.fsync(fd)
      }
    }
    const store = open(dir, { fileSystem: slowFirstFsync })
    const first = store.write([makeResult('example', 0)])
    await firstFsyncReached
    const later = Array.from({ length: 50 }, (_, i) => store.write([makeResult('example', i + 1)]))
    releaseFirstFsync()
    await Promise.all([first, ...later])
    expect(fsyncs).toBe(2)
    close(store)

    const reopened = open(dir)
    expect(reopened.storedIds('example').size).toBe(51)
  })

  it('gives a record over 1 MiB a .bdr file of its own, written without leftovers', async () => {
    const dir = makeTempFolder()
    const store = open(dir)
    const big = { samples: 'x'.repeat(1024 * 1024 + 10), val: 7 }
    await store.write([
      makeResult('example', 1, {
        resultJson: encodeToJson(big),
        scalarsJson: JSON.stringify(scalarFields(big))
      }),
      makeResult('example', 2)
    ])
    const names = fs.readdirSync(dir)
    expect(names).toContain(`example_${idOf(1)}.bdr`)
    expect(names.filter((name) => name.endsWith('.tmp'))).toEqual([])
    expect(store.read('example', idOf(1))!.result).toStrictEqual(big)
    expect(store.meta('example', idOf(1))!.file).toBe(
      path.join(fs.realpathSync(dir), `example_${idOf(1)}.bdr`)
    )
    expect(store.read('example', idOf(2))!.result).toStrictEqual({ val: 6, label: 'run 2' })
  })

  it('sees everything after closing and reopening, and starts a new segment per writing session', async () => {
    const dir = makeTempFolder()
    let store = open(dir)
    await store.write(makeResults('example', 100))
    await store.write(makeResults('other', 5))
    close(store)
    store = open(dir)
    expect(store.storedIds('example').size).toBe(100)
    expect(store.batches()).toEqual(['example', 'other'])
    await store.write(makeResults('example', 10, 100))
    expect(segmentFiles(dir)).toEqual([
      'example_s000001.bdseg',
      'example_s000002.bdseg',
      'other_s000001.bdseg'
    ])
    expect(store.storedIds('example').size).toBe(110)
  })

  it('rotates to a new segment when one reaches the size limit', async () => {
    const dir = makeTempFolder()
    const store = open(dir, { segmentLimitBytes: 4000 })
    for (let i = 0; i < 10; i++) await store.write(makeResults('example', 10, i * 10))
    expect(segmentFiles(dir).length).toBeGreaterThan(3)
    expect(store.storedIds('example').size).toBe(100)
    expect(store.read('example', idOf(99))!.parameters).toStrictEqual({ A: 99, B: [1, 2, 3] })
  })

  it('rebuilds an identical index when the index is deleted', async () => {
    const dir = makeTempFolder()
    let store = open(dir)
    await store.write(makeResults('example', 300))
    await store.write([makeResult('example', 5, { codeHash: 'code-2', ended: 1_800_000_000_000 })])
    await store.write([
      makeResult('example', 6, { origin: { pack: 'p.bdpack', author: 'Ada' } }),
      makeResult('other', 1)
    ])
    const big = { nested: { data: 'y'.repeat(1100 * 1024) }, n: 1 }
    await store.write([
      makeResult('example', 7, {
        resultJson: encodeToJson(big),
        scalarsJson: JSON.stringify(scalarFields(big)),
        ended: 1_800_000_000_001
      })
    ])
    const ids = new Map(store.storedIds('example'))
    const listed = store.listMeta('example')
    const batches = store.batches()
    expect(ids.get(idOf(5))).toEqual({ codeHash: 'code-2', corrupt: false })
    expect(store.meta('example', idOf(6))!.origin).toEqual({ pack: 'p.bdpack', author: 'Ada' })
    close(store)

    removeIndex(dir)
    store = open(dir)
    expect(new Map(store.storedIds('example'))).toEqual(ids)
    expect(store.listMeta('example')).toEqual(listed)
    expect(store.batches()).toEqual(batches)
    expect(store.read('example', idOf(7))!.result).toStrictEqual(big)

    store.rebuildIndex()
    expect(store.listMeta('example')).toEqual(listed)
  })

  it('cuts off a frame torn at the end of a segment on reopen and keeps the valid ones', async () => {
    const dir = makeTempFolder()
    let store = open(dir)
    await store.write(makeResults('example', 10))
    close(store)
    const segment = path.join(dir, 'example_s000001.bdseg')
    const intactSize = fs.statSync(segment).size
    const torn = fs.readFileSync(segment).subarray(0, 150)
    fs.appendFileSync(segment, torn)

    store = open(dir)
    expect(store.storedIds('example').size).toBe(10)
    expect(fs.statSync(segment).size).toBe(intactSize)
    expect((await store.verify()).corrupt).toEqual([])
    await store.write(makeResults('example', 1, 10))
    expect(store.read('example', idOf(10))).toBeDefined()
  })

  it('indexes the tail a crash left beyond what the index knew', async () => {
    const dir = makeTempFolder()
    let store = open(dir)
    await store.write(makeResults('example', 5))
    close(store)
    // Frames appended by a session whose index commit never reached the disk.
    const other = makeTempFolder()
    store = open(other)
    await store.write(makeResults('example', 5, 5))
    close(store)
    fs.appendFileSync(
      path.join(dir, 'example_s000001.bdseg'),
      fs.readFileSync(path.join(other, 'example_s000001.bdseg'))
    )

    store = open(dir)
    expect(store.storedIds('example').size).toBe(10)
    expect(store.read('example', idOf(9))!.result).toStrictEqual({ val: 27, label: 'run 9' })
  })

  it('reports a bit-flipped record in the middle as corrupt and keeps the others', async () => {
    const dir = makeTempFolder()
    let store = open(dir)
    await store.write(makeResults('example', 3))
    close(store)
    const segment = path.join(dir, 'example_s000001.bdseg')
    const start = frameOffsetOf(segment, idOf(1))
    const end = frameOffsetOf(segment, idOf(2))
    flipByte(segment, end - 5)
    removeIndex(dir)

    store = open(dir)
    const ids = store.storedIds('example')
    expect(ids.size).toBe(3)
    expect(ids.get(idOf(1))!.corrupt).toBe(true)
    expect(ids.get(idOf(0))!.corrupt).toBe(false)
    expect(ids.get(idOf(2))!.corrupt).toBe(false)
    expect(store.read('example', idOf(2))!.result).toStrictEqual({ val: 6, label: 'run 2' })
    expect(() => store.read('example', idOf(1))).toThrow(CorruptResultError)

    const report = await store.verify()
    expect(report.validRecords).toBe(2)
    expect(report.corrupt).toEqual([
      {
        file: path.join(fs.realpathSync(dir), 'example_s000001.bdseg'),
        offset: start,
        length: end - start,
        batch: 'example',
        id: idOf(1),
        reason: 'checksum mismatch'
      }
    ])
    expect(report.missing).toEqual([])
    expect(fs.statSync(segment).size).toBeGreaterThan(end)
  })

  it('throws CorruptResultError naming the file when a record was tampered with, and marks the run corrupt', async () => {
    const dir = makeTempFolder()
    const store = open(dir)
    await store.write(makeResults('example', 3))
    const segment = path.join(dir, 'example_s000001.bdseg')
    flipByte(segment, frameOffsetOf(segment, idOf(2)) - 5)
    expect(() => store.read('example', idOf(1))).toThrow(
      /example_s000001\.bdseg at byte \d+ is corrupt: checksum mismatch/
    )
    expect(store.storedIds('example').get(idOf(1))).toEqual({ codeHash: 'code-1', corrupt: true })
    expect(store.meta('example', idOf(1))!.corrupt).toBe(true)
    expect(store.read('example', idOf(0))).toBeDefined()
  })

  it('replaces a stored run with a later write of the same id', async () => {
    const dir = makeTempFolder()
    const store = open(dir)
    await store.write([makeResult('example', 1)])
    await store.write([makeResult('example', 1, { codeHash: 'code-2', result: { val: 99 } })])
    expect(new Map(store.storedIds('example'))).toEqual(
      new Map([[idOf(1), { codeHash: 'code-2', corrupt: false }]])
    )
    expect(store.read('example', idOf(1))!.result).toEqual({ val: 99 })
    expect(store.listMeta('example')).toHaveLength(1)
  })

  it('maps every stored id of 10,000 to its code hash and corrupt flag', async () => {
    const dir = makeTempFolder()
    const store = open(dir)
    const results = Array.from({ length: 10_000 }, (_, n) =>
      makeResult('example', n, { codeHash: `code-${n % 3}` })
    )
    await store.write(results)
    await store.write([makeResult('other', 1)])
    const segment = path.join(dir, 'example_s000001.bdseg')
    flipByte(segment, frameOffsetOf(segment, idOf(11)) - 5)
    expect(() => store.read('example', idOf(10))).toThrow(CorruptResultError)

    const ids = store.storedIds('example')
    expect(ids.size).toBe(10_000)
    const iterated = [...ids]
    expect(new Set(iterated.map(([id]) => id)).size).toBe(10_000)
    for (const [id, info] of iterated) expect(ids.get(id)).toBe(info)
    for (let n = 0; n < 10_000; n++)
      expect(ids.get(idOf(n))).toEqual({ codeHash: `code-${n % 3}`, corrupt: n === 10 })
    expect(ids.has(idOf(10_001))).toBe(false)
    expect([...ids.keys()]).toEqual(iterated.map(([id]) => id))
    expect(store.storedIds('nothing').size).toBe(0)
  })

  it('removes leftover temp files and forgets runs whose file vanished', async () => {
    const dir = makeTempFolder()
    let store = open(dir)
    const big = encodeToJson({ data: 'z'.repeat(1100 * 1024) })
    await store.write([
      makeResult('example', 1, { resultJson: big, scalarsJson: '{}' }),
      makeResult('example', 2)
    ])
    close(store)
    fs.writeFileSync(path.join(dir, `.example_${idOf(3)}.bdr.abc123.tmp`), 'half a write')
    fs.unlinkSync(path.join(dir, `example_${idOf(1)}.bdr`))

    store = open(dir)
    expect(fs.readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([])
    expect(store.has('example', idOf(1))).toBe(false)
    expect(store.has('example', idOf(2))).toBe(true)
  })

  it('keeps failures until cleared or until the run is stored, and the earliest time a code version was seen', async () => {
    const dir = makeTempFolder()
    const store = open(dir)
    store.recordFailures('example', [
      { id: idOf(1), kind: 'error', message: 'boom', stack: 'Error: boom', at: 10 },
      { id: idOf(2), kind: 'timeout', message: 'too slow', at: 20 },
      { id: idOf(3), kind: 'crashed', message: 'SIGKILL', log: 'last words', at: 30 }
    ])
    expect(store.failures('example').get(idOf(1))).toEqual({
      id: idOf(1),
      kind: 'error',
      message: 'boom',
      stack: 'Error: boom',
      at: 10
    })
    store.clearFailures('example', [idOf(2)])
    await store.write([makeResult('example', 3)])
    expect([...store.failures('example').keys()]).toEqual([idOf(1)])
    expect(store.failures('other').size).toBe(0)

    store.noteCodeVersion('example', 'code-1', 500)
    store.noteCodeVersion('example', 'code-1', 900)
    store.noteCodeVersion('example', 'code-1', 300)
    expect(store.codeVersionSeenAt('example', 'code-1')).toBe(300)
    expect(store.codeVersionSeenAt('example', 'code-2')).toBeUndefined()
  })

  it('rejects malformed results, naming the run and the field, and stores none of that call', async () => {
    const dir = makeTempFolder()
    const store = open(dir)
    await expect(
      store.write([makeResult('example', 1), makeResult('example', 2, { id: 'short' })])
    ).rejects.toThrow(/run short of batch "example": id must be 40 lowercase hex characters/)
    await expect(store.write([makeResult('example', 1, { runtime: NaN })])).rejects.toThrow(
      /runtime must be a finite number/
    )
    expect(store.has('example', idOf(1))).toBe(false)
  })

  it('refuses to write after the last release', async () => {
    const dir = makeTempFolder()
    const store = acquireStore(dir)
    store.release()
    await expect(store.write(makeResults('example', 1))).rejects.toThrow(/was released/)
    expect(() => store.storedIds('example')).toThrow(/was released/)
  })
})
