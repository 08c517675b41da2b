/**
 * Result store benchmarks (run with `npm run bench -- <scenario>`): durable write throughput with group
 * commit, storedIds at 1M rows, reopening and rebuilding a large index. One line per figure.
 */
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import path from 'node:path'
import { acquireStore, type NewResult } from '../../src-main/engine/store'

function report(name: string, value: number, unit: string, target: string): void {
  console.log(`${name.padEnd(58)} ${value.toFixed(3).padStart(12)} ${unit.padEnd(9)} (target ${target})`)
}

function idOf(n: number): string {
  return createHash('sha1').update(`run ${n}`).digest('hex')
}

/** Results as a worker would send them: small, already encoded. */
function results(from: number, count: number): NewResult[] {
  const out: NewResult[] = new Array(count)
  for (let i = 0; i < count; i++) {
    const n = from + i
    out[i] = {
      batch: 'bench',
      id: idOf(n),
      runClass: 'TrivialRun',
      codeHash: n % 2 === 0 ? 'code-a' : 'code-b',
      parametersJson: `{"A":${n % 1000},"B":[2,5,8],"operator":{"$fn":"max"}}`,
      runtime: 0.00001,
      started: 1_764_000_000_000 + n,
      ended: 1_764_000_000_001 + n,
      host: 'bench-host',
      log: '',
      logTruncated: false,
      resultJson: `{"val":${n}}`,
      scalarsJson: `{"val":${n}}`
    }
  }
  return out
}

function tempFolder(): string {
  return mkdtempSync(path.join(tmpdir(), 'bd-bench-'))
}

async function fill(dir: string, total: number, group: number, inFlight: number): Promise<number> {
  const store = acquireStore(dir)
  const groups: NewResult[][] = []
  for (let start = 0; start < total; start += group)
    groups.push(results(start, Math.min(group, total - start)))
  const started = performance.now()
  let next = 0
  async function lane(): Promise<void> {
    while (next < groups.length) await store.write(groups[next++])
  }
  await Promise.all(Array.from({ length: inFlight }, lane))
  const seconds = (performance.now() - started) / 1000
  store.release()
  return seconds
}

async function writeThroughput(total: number, group: number, inFlight: number): Promise<void> {
  const dir = tempFolder()
  const seconds = await fill(dir, total, group, inFlight)
  report(
    `write ${total.toLocaleString('en')} results, groups of ${group}, ${inFlight} in flight`,
    total / seconds,
    'results/s',
    '≥ 20,000/s'
  )
  rmSync(dir, { recursive: true, force: true })
}

async function large(total: number): Promise<void> {
  const dir = tempFolder()
  const store = acquireStore(dir)
  const started = performance.now()
  const body = JSON.stringify({ data: 'x'.repeat(2 * 1024 * 1024) })
  await Promise.all(
    Array.from({ length: total }, (_, n) =>
      store.write([{ ...results(n, 1)[0], resultJson: body, scalarsJson: '{}' }])
    )
  )
  report(`write ${total} results of 2 MiB (own .bdr files)`, (performance.now() - started) / 1000, 's', '-')
  store.release()
  rmSync(dir, { recursive: true, force: true })
}

async function storedIdsAndReopen(total: number): Promise<void> {
  const dir = tempFolder()
  const fillSeconds = await fill(dir, total, 5000, 2)
  report(`  (filled ${total.toLocaleString('en')} results)`, total / fillSeconds, 'results/s', '-')

  let started = performance.now()
  let store = acquireStore(dir)
  report(
    `reopen ${total.toLocaleString('en')} results after a clean close`,
    (performance.now() - started) / 1000,
    's',
    '-'
  )
  store.release()
  writeFileSync(
    path.join(dir, '.batchdesk', 'lock'),
    JSON.stringify({ pid: 999_999, host: hostname(), since: new Date().toISOString(), app: 'batchdesk' })
  )
  started = performance.now()
  store = acquireStore(dir)
  report(
    `reopen after an unclean shutdown (stale lock: quick_check)`,
    (performance.now() - started) / 1000,
    's',
    '-'
  )
  for (let i = 0; i < 2; i++) {
    started = performance.now()
    const ids = store.storedIds('bench')
    const seconds = (performance.now() - started) / 1000
    if (ids.size !== total) throw new Error(`storedIds gave ${ids.size} ids, expected ${total}`)
    report(
      `storedIds of ${total.toLocaleString('en')} rows${i === 0 ? '' : ' (again)'}`,
      seconds,
      's',
      '< 0.5 s'
    )
  }
  started = performance.now()
  let corrupt = 0
  for (const [, info] of store.storedIds('bench')) if (info.corrupt) corrupt++
  report(
    `  storedIds and iterate all ${total.toLocaleString('en')}`,
    (performance.now() - started) / 1000,
    's',
    '-'
  )
  started = performance.now()
  const ids = store.storedIds('bench')
  if (!ids.has(idOf(total - 1)) || corrupt !== 0) throw new Error('storedIds lost an id')
  report(
    `  storedIds and a first has() (builds the lookup Map)`,
    (performance.now() - started) / 1000,
    's',
    '-'
  )
  store.release()

  unlinkSync(path.join(dir, '.batchdesk', 'index.sqlite'))
  for (const suffix of ['-wal', '-shm'])
    rmSync(path.join(dir, '.batchdesk', `index.sqlite${suffix}`), { force: true })
  started = performance.now()
  store = acquireStore(dir)
  report(
    `rebuild the index of ${total.toLocaleString('en')} results from the files`,
    (performance.now() - started) / 1000,
    's',
    '-'
  )
  store.release()

  started = performance.now()
  store = acquireStore(dir, { readOnly: true })
  report(
    `open read-only (scan into memory) ${total.toLocaleString('en')} results`,
    (performance.now() - started) / 1000,
    's',
    '-'
  )
  store.release()
  rmSync(dir, { recursive: true, force: true })
}

const scenarios: Record<string, () => Promise<void>> = {
  'store-write-100k-g1000': () => writeThroughput(100_000, 1000, 2),
  'store-write-100k-g100': () => writeThroughput(100_000, 100, 8),
  'store-write-large': () => large(20),
  'store-storedids-1m': () => storedIdsAndReopen(1_000_000)
}

export async function runScenario(name: string): Promise<void> {
  const scenario = scenarios[name]
  if (!scenario) throw new Error(`unknown scenario ${name}; scenarios: ${Object.keys(scenarios).join(', ')}`)
  await scenario()
}

export const scenarioNames = Object.keys(scenarios)
