/**
 * Stores one small and one large result in the result folder given as argument, printing `STORED small` and
 * `STORED large` once each write has resolved (for the strace test of the durable write order).
 */
import { writeSync } from 'node:fs'
import { acquireStore } from '../../../src-main/engine/store'

const folder = process.argv[2]

function result(n: number, value: unknown) {
  const id = n.toString(16).padStart(40, '0')
  return {
    batch: 'b',
    id,
    runClass: 'R',
    codeHash: 'code',
    parametersJson: `{"n":${n}}`,
    runtime: 0.001,
    started: Date.now(),
    ended: Date.now(),
    host: 'host',
    log: '',
    logTruncated: false,
    resultJson: JSON.stringify(value),
    scalarsJson: '{}'
  }
}

async function main(): Promise<void> {
  const store = acquireStore(folder, { largeRecordBytes: 1000 })
  await store.write([result(1, { small: true })])
  writeSync(1, 'STORED small\n')
  await store.write([result(2, { large: 'x'.repeat(5000) })])
  writeSync(1, 'STORED large\n')
  store.release()
}

main().catch((error) => {
  writeSync(2, String((error as Error).stack))
  process.exitCode = 1
})
