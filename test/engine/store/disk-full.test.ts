import * as fs from 'node:fs'
import * as path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeToJson } from '../../../src-main/engine/store/codec'
import {
  acquireStore,
  DiskFullError,
  installFileSystem,
  nodeFileSystem,
  type ResultStore,
  type StoreFileSystem
} from '../../../src-main/engine/store'
import { idOf, makeResult, makeResults, makeTempFolder } from './helpers'

const opened: ResultStore[] = []
afterEach(() => {
  for (const store of opened.splice(0)) store.release()
})

function open(dir: string, options?: Parameters<typeof acquireStore>[1]): ResultStore {
  const store = acquireStore(dir, options)
  opened.push(store)
  return store
}

function diskFull(code = 'ENOSPC'): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: no space left on device, write`), { code })
}

/** A file system whose writes, once `full` is set, write half of what they are asked and then fail. */
function fillingFileSystem(): { fileSystem: StoreFileSystem; setFull(full: boolean, code?: string): void } {
  let full = false
  let errorCode = 'ENOSPC'
  let wroteHalf = false
  const fileSystem: StoreFileSystem = {
    ...nodeFileSystem,
    async write(fd, buffer, offset, length, position) {
      if (!full) return nodeFileSystem.write(fd, buffer, offset, length, position)
      if (wroteHalf || length < 2) throw diskFull(errorCode)
      wroteHalf = true
      return nodeFileSystem.write(fd, buffer, offset, Math.floor(length / 2), position)
    }
  }
  return {
    fileSystem,
    setFull(value, code = 'ENOSPC') {
      full = value
      errorCode = code
      wroteHalf = false
    }
  }
}

describe('result store on a full disk', () => {
  it('rejects with DiskFullError, stores nothing of the failed write, and works again once space is freed', async () => {
    const dir = makeTempFolder()
    const disk = fillingFileSystem()
    const store = open(dir, { fileSystem: disk.fileSystem })
    await store.write(makeResults('example', 5))

    disk.setFull(true)
    const failed = store.write(makeResults('example', 5, 5))
    await expect(failed).rejects.toThrow(DiskFullError)
    await expect(failed).rejects.toThrow(
      /^The disk is full: storing 5 results in .* failed \(ENOSPC\); free space and resume$/
    )
    expect(store.has('example', idOf(5))).toBe(false)
    expect(store.storedIds('example').size).toBe(5)

    disk.setFull(false)
    await store.write(makeResults('example', 5, 5))
    expect(store.storedIds('example').size).toBe(10)
    expect(store.read('example', idOf(9))!.result).toEqual({ val: 27, label: 'run 9' })

    const report = await store.verify()
    expect(report).toMatchObject({ validRecords: 10, corrupt: [], unreadable: [], missing: [] })
  })

  it('maps EDQUOT (quota exceeded) the same way', async () => {
    const disk = fillingFileSystem()
    const store = open(makeTempFolder(), { fileSystem: disk.fileSystem })
    disk.setFull(true, 'EDQUOT')
    await expect(store.write(makeResults('example', 2))).rejects.toThrow(/The disk is full: .*\(EDQUOT\)/)
  })

  it('leaves no partial frame behind: the failed bytes are cut off, and a reopen finds only acknowledged results', async () => {
    const dir = makeTempFolder()
    const disk = fillingFileSystem()
    let store = open(dir, { fileSystem: disk.fileSystem })
    await store.write(makeResults('example', 3))
    const acknowledgedSize = fs.statSync(path.join(dir, 'example_s000001.bdseg')).size
    disk.setFull(true)
    await expect(store.write(makeResults('example', 3, 3))).rejects.toThrow(DiskFullError)
    expect(fs.statSync(path.join(dir, 'example_s000001.bdseg')).size).toBe(acknowledgedSize)
    opened.splice(0)
    store.release()

    store = open(dir)
    expect(store.storedIds('example').size).toBe(3)
  })

  it('removes the temp file of a large record that did not fit', async () => {
    const dir = makeTempFolder()
    const disk = fillingFileSystem()
    const store = open(dir, { fileSystem: disk.fileSystem })
    disk.setFull(true)
    const big = makeResult('example', 1, {
      resultJson: encodeToJson({ data: 'q'.repeat(1100 * 1024) }),
      scalarsJson: '{}'
    })
    await expect(store.write([big])).rejects.toThrow(DiskFullError)
    expect(fs.readdirSync(dir).filter((name) => name !== '.batchdesk')).toEqual([])
    disk.setFull(false)
    await store.write([big])
    expect(store.has('example', idOf(1))).toBe(true)
  })

  it('fails a write whose fsync hits a full disk, and the next write goes to a fresh segment', async () => {
    const dir = makeTempFolder()
    let failFsync = false
    const fileSystem: StoreFileSystem = {
      ...nodeFileSystem,
      fsync: (fd) => (failFsync ? Promise.reject(diskFull()) : nodeFileSystem.fsync(fd))
    }
    const store = open(dir, { fileSystem })
    await store.write(makeResults('example', 2))
    failFsync = true
    await expect(store.write(makeResults('example', 2, 2))).rejects.toThrow(DiskFullError)
    failFsync = false
    await store.write(makeResults('example', 2, 4))
    expect([...store.storedIds('example').keys()].sort()).toEqual([0, 1, 4, 5].map(idOf).sort())
    expect(
      fs
        .readdirSync(dir)
        .filter((name) => name.endsWith('.bdseg'))
        .sort()
    ).toEqual(['example_s000001.bdseg', 'example_s000002.bdseg'])
  })

  it('uses the installed file system for stores opened after installFileSystem', async () => {
    const disk = fillingFileSystem()
    const restore = installFileSystem(disk.fileSystem)
    let store: ResultStore
    try {
      store = open(makeTempFolder())
    } finally {
      restore()
    }
    disk.setFull(true)
    await expect(store.write(makeResults('example', 1))).rejects.toThrow(DiskFullError)
  })
})
