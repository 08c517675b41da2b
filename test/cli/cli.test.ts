import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { main } from '../../src-main/cli'

function capture() {
  const out: string[] = []
  const err: string[] = []
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), isTTY: false }, out, err }
}

describe('the batchdesk command', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bd-cli-'))
  })

  it('creates the quickstart, runs it, and reports status, queries and ids', async () => {
    const project = path.join(dir, 'qs')
    let c = capture()
    expect(await main(['new', project, '--example', 'quickstart'], c.io)).toBe(0)
    expect(c.out.join('\n')).toContain('62 runs')

    c = capture()
    expect(await main(['run', project], c.io)).toBe(0)
    expect(c.out.join('\n')).toMatch(/example: 62 computed, 0 already stored/)

    c = capture()
    expect(await main(['run', project, '--processes', '2'], c.io)).toBe(0)
    expect(c.out.join('\n')).toMatch(/example: 0 computed, 62 already stored/)

    c = capture()
    expect(await main(['status', project], c.io)).toBe(0)
    expect(c.out.join('\n')).toMatch(/example\s+62\s+62\s+0\s+0\s+0/)

    c = capture()
    expect(await main(['query', project, '--batch', 'example', 'A<=3', 'B=[2,5,8]', 'operator=min', '--json'], c.io)).toBe(0)
    const rows = JSON.parse(c.out.join('\n')) as { result: { val: number } }[]
    expect(rows.map((r) => r.result.val)).toEqual([2, 4, 6])

    c = capture()
    expect(await main(['query', project, '--batch', 'example', 'A>=5', 'operator=len', '--csv'], c.io)).toBe(0)
    const csv = c.out.join('\n').trim().split('\r\n')
    expect(csv[0]).toBe('index,id,status,A,B,operator,val,runtime')
    expect(csv).toHaveLength(1 + 3)

    c = capture()
    expect(await main(['ids', project, '--batch', 'example', '--format', 'py'], c.io)).toBe(0)
    expect(c.out.join('\n')).toMatch(/^ids = \[\n "[0-9a-f]{40}"/)
  })

  it('says what is wrong with bad input and exits with 2', async () => {
    const project = path.join(dir, 'qs')
    await main(['new', project, '--example', 'quickstart'], capture().io)

    let c = capture()
    expect(await main(['run', project, '--processes', 'many'], c.io)).toBe(2)
    expect(c.err.join('\n')).toContain("--processes must be a whole number from 1 to 256, not 'many'")

    c = capture()
    expect(await main(['query', project, '--batch', 'nope', 'A>=3'], c.io)).toBe(2)
    expect(c.err.join('\n')).toContain("There is no batch 'nope' in this project; batches: example")

    c = capture()
    expect(await main(['query', project, '--batch', 'example', 'A >='], c.io)).toBe(2)
    expect(c.err.join('\n')).toContain('A >=')

    c = capture()
    expect(await main(['frobnicate'], c.io)).toBe(2)

    c = capture()
    expect(await main(['status', dir], c.io)).toBe(2)
    expect(c.err.join('\n')).toContain('is not a Batchdesk project')

    const manifest = path.join(project, 'batchdesk.json')
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('"A": 10', '"A": 10,,'))
    c = capture()
    expect(await main(['status', project], c.io)).toBe(2)
    expect(c.err.join('\n')).toMatch(/batchdesk\.json:\d+:\d+: this is not valid JSON/)
  })

  it('names the unknown parameter and the valid ones when a design uses a wrong name', async () => {
    const project = path.join(dir, 'qs')
    await main(['new', project, '--example', 'quickstart'], capture().io)
    const manifest = path.join(project, 'batchdesk.json')
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('"A": 8', '"C": 8'))
    const c = capture()
    expect(await main(['run', project], c.io)).toBe(2)
    expect(c.err.join('\n')).toContain("ExampleRun has no parameter 'C'; its parameters are A, B, operator")
  })

  it('points at file:line:col when the run class does not compile, and exits with 1 when runs fail', async () => {
    const project = path.join(dir, 'qs')
    await main(['new', project, '--example', 'quickstart'], capture().io)
    const source = path.join(project, 'example_run.ts')
    const original = readFileSync(source, 'utf8')
    writeFileSync(source, original.replace('return { val: A * operator(B) }', 'return { val: A * operator(B) '))
    let c = capture()
    expect(await main(['run', project], c.io)).toBe(2)
    expect(c.err.join('\n')).toMatch(/example_run\.ts:\d+:\d+/)

    writeFileSync(source, original.replace('return { val: A * operator(B) }', "if (A === 3) throw new Error('A is three'); return { val: A * operator(B) }"))
    c = capture()
    expect(await main(['run', project], c.io)).toBe(1)
    expect(c.out.join('\n')).toMatch(/50 computed, 0 already stored, 12 failed/)
    expect(c.out.join('\n')).toContain('A is three')
  })
})

describe('a colleague’s pack imported into a batch of the same name', () => {
  it('shows the imported runs beside the ones the designs make', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bd-cli-merge-'))
    const theirs = path.join(dir, 'theirs')
    const mine = path.join(dir, 'mine')
    await main(['new', theirs, '--example', 'quickstart'], capture().io)
    await main(['new', mine, '--example', 'quickstart'], capture().io)
    // Their project has one extra run that my designs do not make.
    const manifest = path.join(theirs, 'batchdesk.json')
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('"A": 8, "operator": "min"', '"A": 99, "operator": "min"'))
    expect(await main(['run', theirs], capture().io)).toBe(0)
    const pack = path.join(dir, 'theirs.bdpack')
    expect(await main(['export', theirs, '--batch', 'example', '--where', 'A>=99', '-o', pack], capture().io)).toBe(0)
    expect(await main(['import', mine, pack], capture().io)).toBe(0)

    const c = capture()
    expect(await main(['query', mine, '--batch', 'example', 'A=99', '--json'], c.io)).toBe(0)
    const rows = JSON.parse(c.out.join('\n')) as { status: string; result: { val: number } }[]
    expect(rows).toHaveLength(1)
    expect(rows[0].result.val).toBe(99 * 1)
  })
})
