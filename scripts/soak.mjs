// `npm run soak`: the reliability tests with long iteration counts (BATCHDESK_SOAK=1): thousands of crash-loop
// kills, every power-loss variant with and without the index, 100 lock races. Takes tens of minutes.
// Extra arguments go to vitest; counts can be set one by one (BATCHDESK_CRASH_ITERATIONS, …).
import { spawn } from 'node:child_process'

const child = spawn(
  'npx',
  [
    'vitest',
    'run',
    '--project',
    'node',
    'test/reliability',
    'test/engine/store/power-loss.test.ts',
    ...process.argv.slice(2)
  ],
  { stdio: 'inherit', env: { ...process.env, BATCHDESK_SOAK: '1' }, shell: process.platform === 'win32' }
)
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0)
})
