import { spawn } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { Project } from '../../src-main/engine/project/project'

const root = path.resolve(__dirname, '../..')
const fixture = path.join(root, 'test/fixtures/projects/slow')

function storedBytes(resDir: string): number {
  if (!existsSync(resDir)) return 0
  return readdirSync(resDir)
    .filter((name) => name.endsWith('.bdseg') || name.endsWith('.bdr'))
    .reduce((total, name) => total + statSync(path.join(resDir, name)).size, 0)
}

describe('an engine killed with SIGKILL in the middle of a batch', () => {
  it('loses no completed result, keeps none corrupt, and recomputes nothing that was done', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bd-crash-'))
    cpSync(fixture, dir, { recursive: true })
    const child = spawn(process.execPath, [path.join(root, 'bin/batchdesk.js'), 'run', dir, '--processes', '2'], { stdio: 'ignore' })
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
    // Kill once a good part of the results is on disk, while runs are still going.
    const deadline = Date.now() + 60_000
    while (storedBytes(path.join(dir, '_res')) < 40_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    child.kill('SIGKILL')
    await exited

    const project = await Project.open(dir)
    const { batch } = project.batch('slow')
    const before = batch.statusCounts()
    const done = batch.runs.filter((run) => run.done)
    expect(done.length).toBeGreaterThan(0)
    expect(done.length).toBeLessThan(3000)
    expect(before.corrupt).toBe(0)
    for (const run of done) expect(run.result).toMatchObject({ i: run.parameters.i, square: (run.parameters.i as number) ** 2 })
    const filesBefore = new Map(done.map((run) => [run.id, run.filename]))

    const report = await project.execute('slow', { processes: 2 })
    expect(report.computed).toBe(3000 - done.length)
    expect(report.cached).toBe(done.length)
    expect(report.failed).toBe(0)
    for (const run of done) expect(run.filename).toBe(filesBefore.get(run.id))
    expect(batch.statusCounts().pending).toBe(0)
    project.close()
  })
})
