import { defineConfig } from 'vitest/config'

// End-to-end tests: the built app in Debian's Chromium (playwright-core), served by the browser-mode
// server in the test process against a temp copy of an example project. `npm run test:e2e`.
export default defineConfig({
  test: {
    name: 'e2e',
    environment: 'node',
    include: ['test/e2e/**/*.e2e.test.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    // One browser at a time on a 2-core machine; each file starts its own server and browser.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000
  }
})
