// Flat config: TypeScript everywhere, Vue rules for the renderer, and the layer rules of the house.
import tseslint from 'typescript-eslint'
import pluginVue from 'eslint-plugin-vue'
import vueParser from 'vue-eslint-parser'

const nodeBuiltins = ['fs', 'path', 'child_process', 'os', 'crypto', 'worker_threads', 'net', 'http', 'stream']

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'coverage/**', 'test-artifacts/**', 'resources/examples/**/_res/**'] },
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/essential'],
  {
    files: ['**/*.vue'],
    languageOptions: { parser: vueParser, parserOptions: { parser: tseslint.parser, sourceType: 'module' } }
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off'
    }
  },
  {
    // The bin stub is plain CommonJS run by Node directly.
    files: ['bin/**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  },
  {
    // The engine is plain Node: the CLI, the tests and browser mode load it without Electron.
    files: ['src-main/engine/**', 'src-main/cli/**', 'src-main/server/**', 'src-main/api/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'The engine must stay free of Electron.' }] }] }
  },
  {
    // The renderer only ever sees the contract; Node and Electron stay on the other side of the bridge.
    files: ['src-renderer/**', 'src-preload/contract.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['electron', ...nodeBuiltins, ...nodeBuiltins.map((m) => `node:${m}`)].map((name) => ({
            name,
            message: 'The renderer talks to the engine only through the contract client.'
          })),
          patterns: [{ group: ['**/src-main/**', '../../src-main/**'], message: 'Use the contract, not the engine.' }]
        }
      ]
    }
  }
)
