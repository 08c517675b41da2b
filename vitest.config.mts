import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

export default defineConfig({
  plugins: [vue()],
  test: {
    globalSetup: ['test/global-setup.ts'],
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
