import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'
import { existsSync } from 'node:fs'

// Builds the worker bundle (out/engine) once before the tests: worker processes run plain JS.
const globalSetup = existsSync('test/global-setup.ts') ? ['test/global-setup.ts'] : []

export default defineConfig({
  plugins: [vue()],
  test: {
    globalSetup,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'node', environment: 'node', include: ['test/**/*.test.ts'], exclude: ['test/**/*.dom.test.ts', 'test/e2e/**', 'test/bench/**'] }
      },
      {
        extends: true,
        test: { name: 'dom', environment: 'happy-dom', include: ['test/**/*.dom.test.ts'] }
      }
    ]
  }
})
