import * as fs from 'node:fs'
import * as path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { acquireStore, type ResultStore } from '../../../src-main/engine/store'
import { latestSchemaVersion, migrations } from '../../../src-main/engine/store/migrations'
import { RunIndex } from '../../../src-main/engine/store/run-index'
import { idOf, makeResults, makeTempFolder } from './helpers'

const opened: ResultStore[] = []
afterEach(() => {
  for (const store of opened.splice(0)) store.release()
})

function open(dir: string): ResultStore {
  const store = acquireStore(dir)
  opened.push(store)
  return store
}

describe('run index', () => {
  it('migrates a new index to the schema in schema.snapshot.sql', () => {
    const file = path.join(makeTempFolder(), 'index.sqlite')
    const index = new RunIndex(file)
    const schema = index.schemaSql()
    index.close()
    expect(schema).toBe(fs.readFileSync(path.join(__dirname, 'schema.snapshot.sql'), 'utf8'))
    const db = new Database(file)
    expect(db.pragma('user_version', { simple: true })).toBe(latestSchemaVersion)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    db.close()
  })

  it('numbers its migrations 1, 2, 3… in order', () => {
    expect(migrations.map((migration) => migration.version)).toEqual(migrations.map((_, i) => i + 1))
  })

  it('sets a damaged index aside and rebuilds it from the result files', async () => {
    const dir = makeTempFolder()
    let store = acquireStore(dir)
    await store.write(makeResults('example', 50))
    store.release()
    const indexFile = path.join(dir, '.batchdesk', 'index.sqlite')
    fs.writeFileSync(indexFile, 'this is not a database, just some bytes that used to be one'.repeat(100))

    store = open(dir)
    expect(store.storedIds('example').size).toBe(50)
    expect(store.read('example', idOf(49))!.result).toEqual({ val: 147, label: 'run 49' })
    expect(
      fs.readdirSync(path.join(dir, '.batchdesk')).filter((name) => name.startsWith('index.sqlite.broken-'))
    ).toHaveLength(1)
  })

  it('rebuilds an index whose pages are damaged, whether opening or a later query finds the damage', async () => {
    const dir = makeTempFolder()
    let store = acquireStore(dir)
    await store.write(makeResults('example', 3000))
    store.release()
    const indexFile = path.join(dir, '.batchdesk', 'index.sqlite')
    const size = fs.statSync(indexFile).size
    const fd = fs.openSync(indexFile, 'r+')
    fs.writeSync(fd, Buffer.alloc(Math.floor(size / 3)), 0, Math.floor(size / 3), Math.floor(size / 3))
    fs.closeSync(fd)

    store = open(dir)
    expect(store.listMeta('example')).toHaveLength(3000)
    expect(store.storedIds('example').size).toBe(3000)
    expect(
      fs.readdirSync(path.join(dir, '.batchdesk')).filter((name) => name.startsWith('index.sqlite.broken-'))
    ).toHaveLength(1)
  })

  it('sets aside an index written by a newer Batchdesk instead of misreading it', async () => {
    const dir = makeTempFolder()
    let store = acquireStore(dir)
    await store.write(makeResults('example', 5))
    store.release()
    const db = new Database(path.join(dir, '.batchdesk', 'index.sqlite'))
    db.pragma(`user_version = ${latestSchemaVersion + 1}`)
    db.close()

    store = open(dir)
    expect(store.storedIds('example').size).toBe(5)
    expect(
      fs.readdirSync(path.join(dir, '.batchdesk')).filter((name) => name.startsWith('index.sqlite.newer-'))
    ).toHaveLength(1)
  })

  it('lists batches in name order', async () => {
    const store = open(makeTempFolder())
    await store.write([...makeResults('zeta', 2), ...makeResults('alpha', 3), ...makeResults('mid.v2', 1)])
    expect(store.batches()).toEqual(['alpha', 'mid.v2', 'zeta'])
  })
})

describe('design id cache', () => {
  it('returns the ids it was given and keeps the eight most recently saved designs of a batch', () => {
    const store = open(makeTempFolder())
    for (let i = 0; i < 10; i++) store.saveDesignIds('b', `digest${i}`, 'a'.repeat(40) + String(i).padStart(40, '0'))
    expect(store.designIds('b', 'digest9')).toBe('a'.repeat(40) + '9'.padStart(40, '0'))
    expect(store.designIds('b', 'digest0')).toBeUndefined()
    expect(store.designIds('other', 'digest9')).toBeUndefined()
  })
})
