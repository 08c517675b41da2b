import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

// Non-default folders: src-main, src-preload, src-renderer. package.json has no "type": "module", so main
// and preload are emitted as CommonJS, which a sandboxed preload requires.
export default defineConfig({
  main: {
    build: { lib: { entry: resolve(__dirname, 'src-main/index.ts') } }
  },
  preload: {
    // A sandboxed preload cannot require packages: bundle zod (the contract's schemas) into it.
    build: { lib: { entry: resolve(__dirname, 'src-preload/index.ts') }, externalizeDeps: false }
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    build: { rollupOptions: { input: { index: resolve(__dirname, 'src-renderer/index.html') } } },
    plugins: [vue()]
  }
})
