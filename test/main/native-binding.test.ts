import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { electronSqliteBinding } from '../../src-main/native-binding'
import { tempDir } from '../api/helpers'

const nodeBuild = path.resolve(
  __dirname,
  '../../node_modules/better-sqlite3/build/Release/better_sqlite3.node'
)

describe('the SQLite addon for Electron', () => {
  it('is looked up per Electron version, only in Electron', () => {
    const root = tempDir('bd-native-')
    const folder = path.join(root, 'node_modules', '.cache', 'electron-native', '42.11.18')
    mkdirSync(folder, { recursive: true })
    writeFileSync(path.join(folder, 'better_sqlite3.node'), '')
    const node = process.versions
    expect(electronSqliteBinding(root, node)).toBeUndefined()
    expect(electronSqliteBinding(root, { ...node, electron: '42.11.18' } as NodeJS.ProcessVersions)).toBe(
      path.join(folder, 'better_sqlite3.node')
    )
    expect(
      electronSqliteBinding(root, { ...node, electron: '43.0.0' } as NodeJS.ProcessVersions)
    ).toBeUndefined()
  })

  it('is loaded by better-sqlite3 through nativeBinding instead of its default addon', () => {
    const db = new Database(':memory:', { nativeBinding: nodeBuild })
    expect(db.prepare('select 1 + 1 as two').get()).toEqual({ two: 2 })
    db.close()
    expect(
      () => new Database(':memory:', { nativeBinding: path.join(tempDir('bd-none-'), 'missing.node') })
    ).toThrow()
  })
})
