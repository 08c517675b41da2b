/**
 * Only one writer touches a project at a time: a second engine gets "in use by … since …" and can open the
 * project read-only; a lock left by a killed engine is taken over; engines that start at the same moment, on
 * a free project or on a stale lock, never both get it.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { Project } from '../../src-main/engine/project/project'
import { ProjectInUseError } from '../../src-main/engine/store'
import { expectedWork } from './fixtures/work/expected'
import {
  buildChild,
  cliScript,
  iterations,
  makeTempFolder,
  makeWorkProject,
  removeTempFolders,
  runCli,
  soak,
  startNode,
  waitFor,
  type ChildRun
} from './helpers'

const started: ChildRun[] = []
afterEach(() => {
  for (const run of started.splice(0)) run.child.kill('SIGKILL')
})
afterAll(() => removeTempFolders())

function start(script: string, args: string[]): ChildRun {
  const run = startNode(script, args)
  started.push(run)
  return run
}

function lockHolder(resDir: string): { pid: number; since: string } | undefined {
  try {
    return JSON.parse(readFileSync(path.join(resDir, '.batchdesk', 'lock'), 'utf8'))
  } catch {
    return undefined
  }
}

/** Makes the work project slow: 30 ms per run, so a batch is still running when the test looks. */
function slowWorkProject(): string {
  const dir = makeWorkProject()
  const file = path.join(dir, 'batchdesk.json')
  const manifest = JSON.parse(readFileSync(file, 'utf8'))
  manifest.batches[0].designs[0].grid.ms = [30]
  writeFileSync(file, JSON.stringify(manifest))
  return dir
}

function plantStaleLock(resDir: string): number {
  const pid = spawnSync(process.execPath, ['-e', '0']).pid!
  mkdirSync(path.join(resDir, '.batchdesk'), { recursive: true })
  writeFileSync(
    path.join(resDir, '.batchdesk', 'lock'),
    JSON.stringify({
      pid,
      host: hostname(),
      since: '2026-11-25T10:00:00.000Z',
      app: 'batchdesk',
      token: 'dead'
    })
  )
  return pid
}

describe('two engines on one project', () => {
  it('refuses a second writer with "in use by … since …", lets it read, and takes over once the first is killed', async () => {
    const dir = slowWorkProject()
    const resDir = path.join(dir, '_res')
    const first = start(cliScript, ['run', dir, '--processes', '1'])
    await waitFor(() => lockHolder(resDir)?.pid === first.child.pid, 'the first engine to take the lock')
    const { since } = lockHolder(resDir)!

    const refusal = await Project.open(dir).then(
      (project) => (project.close(), undefined),
      (error: unknown) => error
    )
    expect(refusal).toBeInstanceOf(ProjectInUseError)
    expect((refusal as Error).message).toBe(
      `This project is in use by ${hostname()} pid ${first.child.pid} since ${since}; open it read-only or close the other window`
    )

    // A second CLI run is refused with the same message (exit 2); status reads the project read-only.
    const second = await runCli(['run', dir])
    expect(second.code).toBe(2)
    expect(second.stderr).toContain(
      `This project is in use by ${hostname()} pid ${first.child.pid} since ${since}`
    )
    const status = await runCli(['status', dir])
    expect(status.code, status.stderr).toBe(0)
    expect(status.stdout).toMatch(/^work\s+120\s+\d+/m)
    // verify reads while the other engine writes, and says so; rebuilding the index needs the lock.
    const verify = await runCli(['verify', dir])
    expect(verify.stdout).toContain(
      `The project is in use by ${hostname()} pid ${first.child.pid} since ${since}`
    )
    expect(verify.code, verify.stdout).toBe(0)
    const rebuild = await runCli(['verify', dir, '--rebuild-index'])
    expect(rebuild.code).toBe(2)
    expect(rebuild.stderr).toContain(`This project is in use by ${hostname()} pid ${first.child.pid}`)

    const readOnly = await Project.open(dir, { readOnly: true })
    try {
      await expect(readOnly.execute('work')).rejects.toThrow(/open read-only/)
      for (const run of readOnly.batch('work').batch.runs.filter((r) => r.done))
        expect(run.result).toEqual(expectedWork(run.parameters.i as number, 0))
    } finally {
      readOnly.close()
    }
    expect(lockHolder(resDir)?.pid, 'reading took nothing from the writer').toBe(first.child.pid)

    first.child.kill('SIGKILL')
    await first.exited
    // The dead engine's lock is stale: the next writer takes it over and finds every stored result intact.
    const project = await Project.open(dir)
    try {
      expect(lockHolder(resDir)?.pid).toBe(process.pid)
      const { batch } = project.batch('work')
      const done = batch.runs.filter((run) => run.done)
      for (const run of done) expect(run.result).toEqual(expectedWork(run.parameters.i as number, 0))
      const report = await project.execute('work', { processes: 1 })
      expect(report).toMatchObject({ computed: 120 - done.length, cached: done.length, failed: 0 })
    } finally {
      project.close()
    }
    expect(lockHolder(resDir), 'the lock is removed on close').toBeUndefined()
  }, 120_000)

  const rounds = iterations('BATCHDESK_LOCK_RACE_ROUNDS', soak ? 100 : 8)

  it.each([
    ['a free project', false],
    ['a stale lock left by a dead engine', true]
  ])(
    `never lets two engines that start at the same moment on %s both write (${rounds} rounds of 4)`,
    async (_what, stale) => {
      const script = await buildChild('hold-lock')
      let overlaps = 0
      for (let round = 0; round < rounds; round++) {
        const resDir = path.join(makeTempFolder(), '_res')
        if (stale) plantStaleLock(resDir)
        const startAt = Date.now() + 400
        const contenders = Array.from({ length: 4 }, () => start(script, [resDir, '300', String(startAt)]))
        await Promise.all(contenders.map((c) => c.exited))
        const holds = contenders.flatMap((c) => {
          expect(c.stderr(), 'no contender fails with anything but "in use"').toBe('')
          const held = c.lines.find((l) => l.startsWith('HELD '))
          const released = c.lines.find((l) => l.startsWith('RELEASED '))
          return held && released ? [[Number(held.slice(5)), Number(released.slice(9))]] : []
        })
        expect(holds.length, `round ${round}: someone got the lock`).toBeGreaterThan(0)
        holds.sort((a, b) => a[0] - b[0])
        for (let i = 1; i < holds.length; i++) if (holds[i][0] < holds[i - 1][1]) overlaps++
        for (const c of contenders.filter((c) => c.lines.some((l) => l.startsWith('INUSE '))))
          expect(c.lines.join('\n')).toMatch(
            /INUSE This project is in use by .+ pid \d+ since .+; open it read-only or close the other window/
          )
        expect(
          readdirSync(path.join(resDir, '.batchdesk')).filter((name) => name.endsWith('.tmp')),
          'temp lock files'
        ).toEqual([])
      }
      expect(overlaps, 'rounds in which two engines held the lock at once').toBe(0)
    },
    120_000
  )

  it('gives the lock back when a project fails to open half-way', async () => {
    const dir = makeWorkProject()
    const file = path.join(dir, 'batchdesk.json')
    const manifest = JSON.parse(readFileSync(file, 'utf8'))
    manifest.batches.push({
      name: 'broken',
      runClass: 'work_run.ts',
      designs: [{ kind: 'run', parameters: { nope: 1 } }]
    })
    writeFileSync(file, JSON.stringify(manifest))
    await expect(Project.open(dir)).rejects.toThrow(
      /batches 'broken' designs\[0\]: WorkRun has no parameter 'nope'/
    )
    expect(
      lockHolder(path.join(dir, '_res')),
      'the lock of the batch loaded before the failure'
    ).toBeUndefined()
  })
})
