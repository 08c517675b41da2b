/**
 * A project folder from someone else is untrusted input: opening it (in the app, or with batchdesk status)
 * must not run its code, write outside it, or exhaust the machine. Computing its runs does run its code,
 * by design, and only when asked.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Project } from '../../src-main/engine/project/project'
import { makeTempFolder, removeTempFolders, runCli } from './helpers'

afterAll(() => removeTempFolders())

function project(manifest: unknown, files: Record<string, string> = {}): string {
  const dir = makeTempFolder('bd-untrusted-')
  writeFileSync(path.join(dir, 'batchdesk.json'), JSON.stringify(manifest))
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    writeFileSync(path.join(dir, name), text)
  }
  return dir
}

describe('an untrusted project', () => {
  it('runs none of its code when opened, listed or verified', async () => {
    const outside = makeTempFolder('bd-untrusted-outside-')
    const marker = path.join(outside, 'pwned')
    const dir = project(
      {
        format: 1,
        name: 'trap',
        batches: [
          { name: 'trap', runClass: 'trap.ts', designs: [{ kind: 'factorial', grid: { x: [1, 2, 3] } }] }
        ],
        settings: {}
      },
      {
        'trap.ts': `import { Run } from 'batchdesk'
import { writeFileSync } from 'node:fs'
writeFileSync(${JSON.stringify(marker)}, 'module top level ran')
export default class Trap extends Run {
  static { writeFileSync(${JSON.stringify(marker)}, 'static block ran') }
  run({ x = 0 }) { writeFileSync(${JSON.stringify(marker)}, 'run ran'); return { x } }
}
`
      }
    )
    const opened = await Project.open(dir)
    expect(opened.batch('trap').batch.runs).toHaveLength(3)
    opened.close()
    for (const command of [
      ['status', dir],
      ['query', dir, '--batch', 'trap'],
      ['verify', dir]
    ]) {
      const result = await runCli(command)
      expect(result.code, `${command[0]}: ${result.stderr}`).toBe(0)
    }
    expect(existsSync(marker), 'the project ran code on open').toBe(false)
  })

  it.each([
    [
      'a batch name that climbs out of _res',
      { name: '../../escape', runClass: 'r.ts' },
      /batches\[0\]\.name/
    ],
    ['a batch name with a path separator', { name: 'a/b', runClass: 'r.ts' }, /batches\[0\]\.name/],
    [
      'a run class outside the project',
      { name: 'b', runClass: '../../outside.ts' },
      /must be inside the project folder/
    ],
    [
      'a run class at an absolute path',
      { name: 'b', runClass: '/etc/outside.ts' },
      /must be inside the project folder/
    ],
    [
      'a run class on another drive',
      { name: 'b', runClass: 'C:\\\\outside.ts' },
      /must be inside the project folder/
    ]
  ])('is refused with %s', async (_what, batch, message) => {
    const dir = project({ format: 1, name: 'bad', batches: [{ ...batch, designs: [] }], settings: {} })
    await expect(Project.open(dir)).rejects.toThrow(message)
    expect(existsSync(path.join(dir, '_res')), 'nothing was written').toBe(false)
  })

  it('is refused before memory is spent when its designs add up to more runs than a project can hold', async () => {
    // Two batches of 40 million runs each: either one alone is within the limit of a design.
    const grid = { x: { $range: [0, 5000, 1] }, y: { $range: [0, 8000, 1] } }
    const dir = project(
      {
        format: 1,
        name: 'huge',
        batches: ['a', 'b'].map((name) => ({
          name,
          runClass: 'r.ts',
          designs: [{ kind: 'factorial', grid }]
        })),
        settings: {}
      },
      {
        'r.ts':
          "import { Run } from 'batchdesk'\nexport default class R extends Run { run({ x = 0, y = 0 }) { return { s: x + y } } }\n"
      }
    )
    // In a child with a small heap: without the limit it would run out of memory rather than answer.
    const status = await runCli(['status', dir], { NODE_OPTIONS: '--max-old-space-size=512' })
    expect(status.stderr).toMatch(
      /^Error: .*batchdesk\.json: the designs add up to 80,000,000 runs; a project holds at most 50,000,000$/m
    )
    expect(status.code).toBe(2)
  }, 60_000)

  it('refuses a design added through the API that would take the project past the limit, before building it', async () => {
    const dir = project(
      {
        format: 1,
        name: 'grow',
        batches: [{ name: 'g', runClass: 'r.ts', designs: [{ kind: 'factorial', grid: { x: [1, 2, 3] } }] }],
        settings: {}
      },
      {
        'r.ts':
          "import { Run } from 'batchdesk'\nexport default class R extends Run { run({ x = 0, y = 0 }) { return { s: x + y } } }\n"
      }
    )
    const opened = await Project.open(dir)
    try {
      // Exactly the limit on its own, one too many with the three runs already there.
      expect(() =>
        opened.addDesign('g', {
          kind: 'factorial',
          grid: { x: { $range: [0, 10000, 1] }, y: { $range: [0, 5000, 1] } }
        })
      ).toThrow('this design would make the project hold 50,000,003 runs; a project holds at most 50,000,000')
      expect(opened.batch('g').batch.runs).toHaveLength(3)
    } finally {
      opened.close()
    }
  })
})
