import { spawn, type ChildProcess } from 'node:child_process'
import * as fs from 'node:fs'
import { hostname } from 'node:os'
import * as path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { acquireStore, ProjectInUseError, type ResultStore } from '../../../src-main/engine/store'
import { idOf, makeResults, makeTempFolder } from './helpers'

const children: ChildProcess[] = []
const opened: ResultStore[] = []

afterEach(() => {
  for (const store of opened.splice(0)) store.release()
  for (const child of children.splice(0)) child.kill()
})

function open(dir: string, options?: Parameters<typeof acquireStore>[1]): ResultStore {
  const store = acquireStore(dir, options)
  opened.push(store)
  return store
}

/** A process that stays alive for a minute (killed after the test). */
async function sleepingProcess(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' })
  children.push(child)
  await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject))
  return child.pid!
}

function plantLock(dir: string, pid: number, since = '2026-11-25T10:00:00.000Z'): string {
  const file = path.join(dir, '.batchdesk', 'lock')
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, JSON.stringify({ pid, host: hostname(), since, app: 'batchdesk' }))
  return file
}

/** Every path under `dir` with its size and modification time. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const stats = fs.statSync(path.join(dir, name))
    out[name] = `${stats.size}:${stats.mtimeMs}`
  }
  return out
}

describe('project lock', () => {
  it('refuses a project locked by a live process, naming its host, pid and since', async () => {
    const dir = makeTempFolder()
    const pid = await sleepingProcess()
    plantLock(dir, pid)
    expect(() => acquireStore(dir)).toThrow(ProjectInUseError)
    expect(() => acquireStore(dir)).toThrow(
      `This project is in use by ${hostname()} pid ${pid} since 2026-11-25T10:00:00.000Z; open it read-only or close the other window`
    )
  })

  it('takes over a stale lock left by a dead process and removes it on release', async () => {
    const dir = makeTempFolder()
    const lockFile = plantLock(dir, 999_999)
    const store = acquireStore(dir)
    const lock = JSON.parse(fs.readFileSync(lockFile, 'utf8'))
    expect(lock).toMatchObject({ pid: process.pid, host: hostname(), app: 'batchdesk' })
    expect(Number.isNaN(Date.parse(lock.since))).toBe(false)
    await store.write(makeResults('example', 1))
    store.release()
    expect(fs.existsSync(lockFile)).toBe(false)
    expect(fs.readdirSync(path.dirname(lockFile)).filter((name) => name.includes('lock'))).toEqual([])
  })

  it('takes over an unreadable lock', () => {
    const dir = makeTempFolder()
    const lockFile = plantLock(dir, 1)
    fs.writeFileSync(lockFile, '{"pid": 12')
    open(dir)
    expect(JSON.parse(fs.readFileSync(lockFile, 'utf8')).pid).toBe(process.pid)
  })

  it('shares one store per folder within a process, and the last release unlocks it', async () => {
    const dir = makeTempFolder()
    const first = acquireStore(dir)
    const second = acquireStore(path.join(dir, '.'))
    expect(second).toBe(first)
    await second.write(makeResults('example', 3))
    first.release()
    expect(second.storedIds('example').size).toBe(3)
    expect(fs.existsSync(path.join(dir, '.batchdesk', 'lock'))).toBe(true)
    second.release()
    expect(fs.existsSync(path.join(dir, '.batchdesk', 'lock'))).toBe(false)
    const third = open(dir)
    expect(third).not.toBe(first)
    expect(third.storedIds('example').size).toBe(3)
  })

  it('opens read-only while another process holds the lock, and writes nothing anywhere', async () => {
    const dir = makeTempFolder()
    const writer = acquireStore(dir)
    await writer.write(makeResults('example', 20))
    writer.release()
    fs.appendFileSync(path.join(dir, 'example_s000001.bdseg'), '#bd1 999 ')
    fs.writeFileSync(path.join(dir, '.example_x.bdr.123.tmp'), 'leftover')
    plantLock(dir, await sleepingProcess())
    const before = snapshot(dir)

    const reader = open(dir, { readOnly: true })
    expect(reader.readOnly).toBe(true)
    expect(reader.storedIds('example').size).toBe(20)
    expect(reader.read('example', idOf(19))!.result).toEqual({ val: 57, label: 'run 19' })
    await expect(reader.write(makeResults('example', 1, 20))).rejects.toThrow(/open read-only/)
    reader.release()
    opened.splice(0)
    expect(snapshot(dir)).toEqual(before)
  })

  it('opens a missing folder read-only as an empty store without creating it', () => {
    const dir = path.join(makeTempFolder(), 'not-there')
    const reader = open(dir, { readOnly: true })
    expect(reader.batches()).toEqual([])
    expect(fs.existsSync(dir)).toBe(false)
  })
})
