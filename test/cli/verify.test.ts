import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { main } from '../../src-main/cli'

function capture() {
  const out: string[] = []
  const err: string[] = []
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), isTTY: false }, out, err }
}

describe('batchdesk verify', () => {
  it('exits 0 on a clean project, 1 with the problems in plain words, and rebuilds the index on request', async () => {
    const project = path.join(mkdtempSync(path.join(tmpdir(), 'bd-cli-verify-')), 'qs')
    expect(await main(['new', project, '--example', 'quickstart'], capture().io)).toBe(0)
    expect(await main(['run', project, '--processes', '1'], capture().io)).toBe(0)

    let c = capture()
    expect(await main(['verify', project], c.io)).toBe(0)
    expect(c.out).toEqual([`Checked 1 result file in ${project}: 62 results intact.`, 'No problems found.'])

    const res = path.join(project, '_res')
    const segment = path.join(
      res,
      readdirSync(res).find((name) => name.endsWith('.bdseg'))!
    )
    writeFileSync(segment, Buffer.concat([readFileSync(segment), Buffer.from('#bd1 99 ')]))
    c = capture()
    expect(await main(['verify', project], c.io)).toBe(1)
    expect(c.out).toEqual([
      `Checked 1 result file in ${project}: 62 results intact.`,
      '1 problem found:',
      `  - _res/${path.basename(segment)}: the last 8 bytes are a save that never finished (Batchdesk or the computer stopped while saving). They were never reported as stored and are cut off the next time the project is opened.`
    ])

    c = capture()
    expect(await main(['verify', project, '--rebuild-index'], c.io)).toBe(0)
    expect(c.out).toEqual([
      `Checked 1 result file in ${project}: 62 results intact.`,
      'Rebuilt the run index from the result files: 62 runs.',
      'No problems found.'
    ])
  })

  it('exits 2 for a folder that is not a project', async () => {
    const c = capture()
    expect(await main(['verify', mkdtempSync(path.join(tmpdir(), 'bd-cli-verify-none-'))], c.io)).toBe(2)
    expect(c.err.join('\n')).toMatch(/is not a Batchdesk project/)
  })
})
