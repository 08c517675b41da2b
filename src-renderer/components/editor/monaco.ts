/**
 * The only module that imports Monaco. Bundled locally (no CDN): the editor core, its features, the
 * TypeScript language and both workers come from node_modules through Vite (`?worker`), which the CSP
 * allows with `worker-src 'self' blob:`. Unit tests mock this module; Monaco needs a real canvas.
 */
import * as monaco from 'monaco-editor/editor'
import 'monaco-editor/features/register.all'
import 'monaco-editor/languages/definitions/typescript/register'
import * as ts from 'monaco-editor/languages/features/typescript/register'
import EditorWorker from 'monaco-editor/editor/editor.worker?worker'
import TsWorker from 'monaco-editor/languages/features/typescript/ts.worker?worker'

declare global {
  interface Window {
    MonacoEnvironment?: { getWorker(workerId: string, label: string): Worker }
  }
}

self.MonacoEnvironment = {
  getWorker: (_id: string, label: string) =>
    label === 'typescript' || label === 'javascript' ? new TsWorker() : new EditorWorker()
}

const NODE_GLOBALS = `
interface Console {
  log(...data: any[]): void
  info(...data: any[]): void
  warn(...data: any[]): void
  error(...data: any[]): void
  debug(...data: any[]): void
  table(data: any, columns?: string[]): void
  time(label?: string): void
  timeEnd(label?: string): void
}
declare var console: Console
declare function setTimeout(callback: (...args: any[]) => void, ms?: number, ...args: any[]): any
declare function clearTimeout(handle: any): void
declare function setInterval(callback: (...args: any[]) => void, ms?: number, ...args: any[]): any
declare function clearInterval(handle: any): void
declare function structuredClone<T>(value: T): T
declare var performance: { now(): number }
declare var process: { env: Record<string, string | undefined>; pid: number; platform: string; memoryUsage(): { heapUsed: number; rss: number } }
`

let configured = false
let typingsDisposable: monaco.IDisposable | undefined

function configure(): void {
  if (configured) return
  configured = true
  ts.typescriptDefaults.setCompilerOptions({
    target: ts.ScriptTarget.ES2020,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.NodeJs,
    allowNonTsExtensions: true,
    strict: false,
    noImplicitAny: false,
    esModuleInterop: true,
    lib: ['es2022']
  })
  ts.typescriptDefaults.setDiagnosticsOptions({ noSemanticValidation: false, noSyntaxValidation: false })
  // Run classes execute in Node workers. The DOM lib would declare far too much (a stray `name` or
  // `status` would type-check), so only the Node globals run classes commonly use are declared.
  ts.typescriptDefaults.addExtraLib(NODE_GLOBALS, 'file:///node_modules/@types/batchdesk-globals/index.d.ts')
  monaco.editor.defineTheme('batchdesk-light', {
    base: 'vs',
    inherit: true,
    rules: [],
    colors: {
      'editor.background': '#ffffff',
      'editorLineNumber.foreground': '#9aa5b1',
      'editor.lineHighlightBackground': '#f5f7fa'
    }
  })
  monaco.editor.defineTheme('batchdesk-dark', {
    base: 'vs-dark',
    inherit: true,
    rules: [],
    colors: {
      'editor.background': '#1a1d23',
      'editorLineNumber.foreground': '#5c6573',
      'editor.lineHighlightBackground': '#21252c'
    }
  })
}

/** Gives the editor the Run API declarations so `this.`, `run({…})` and `import … from 'batchdesk'` complete. */
export function setRunApiTypings(file: string, text: string): void {
  configure()
  typingsDisposable?.dispose()
  typingsDisposable = ts.typescriptDefaults.addExtraLib(
    text,
    `file:///node_modules/@types/batchdesk/${file.replace(/^.*[\\/]/, '') || 'index.d.ts'}`
  )
}

export interface EditorMarker {
  line: number
  column: number
  message: string
  severity: 'error' | 'warning'
  /** 'typescript' for type errors from the editor, 'engine' for the engine's compile errors. */
  source: string
}

export interface CodeEditor {
  getValue(): string
  setValue(text: string): void
  setTheme(dark: boolean): void
  /** Shows the engine's compile diagnostics beside Monaco's own type errors. */
  setEngineMarkers(markers: Omit<EditorMarker, 'source'>[]): void
  revealLine(line: number, column?: number): void
  focus(): void
  layout(): void
  dispose(): void
}

export interface CodeEditorOptions {
  value: string
  /** File name inside the project, so TypeScript treats the text as a module of that name. */
  fileName: string
  dark: boolean
  /** Shown for reference only (code that came with imported results). */
  readOnly?: boolean
  onChange(text: string): void
  onMarkers(markers: EditorMarker[]): void
  /** Ctrl/Cmd+S inside the editor (Monaco takes the key before the window sees it). */
  onSave(): void
}

export function createCodeEditor(element: HTMLElement, options: CodeEditorOptions): CodeEditor {
  configure()
  const uri = monaco.Uri.parse(`file:///project/${options.fileName.replace(/\\/g, '/')}`)
  monaco.editor.getModel(uri)?.dispose()
  const model = monaco.editor.createModel(options.value, 'typescript', uri)
  const editor = monaco.editor.create(element, {
    model,
    theme: options.dark ? 'batchdesk-dark' : 'batchdesk-light',
    automaticLayout: true,
    fontSize: 13,
    fontFamily: "'JetBrains Mono', 'SF Mono', Menlo, Consolas, 'DejaVu Sans Mono', monospace",
    minimap: { enabled: false },
    scrollBeyondLastLine: false,
    tabSize: 2,
    renderLineHighlight: 'line',
    fixedOverflowWidgets: true,
    padding: { top: 8 },
    readOnly: options.readOnly === true
  })
  let settingValue = false
  const changes = model.onDidChangeContent(() => {
    if (!settingValue) options.onChange(model.getValue())
  })
  const markerListener = monaco.editor.onDidChangeMarkers((uris) => {
    if (!uris.some((u) => u.toString() === uri.toString())) return
    options.onMarkers(
      monaco.editor
        .getModelMarkers({ resource: uri })
        .filter((m) => m.severity >= monaco.MarkerSeverity.Warning)
        .map((m) => ({
          line: m.startLineNumber,
          column: m.startColumn,
          message: m.message,
          severity: m.severity === monaco.MarkerSeverity.Error ? 'error' : 'warning',
          source: m.owner === 'engine' ? 'engine' : 'typescript'
        }))
    )
  })
  editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => options.onSave())

  return {
    getValue: () => model.getValue(),
    setValue(text: string) {
      if (text === model.getValue()) return
      settingValue = true
      // pushEditOperations keeps undo history, unlike setValue.
      model.pushEditOperations([], [{ range: model.getFullModelRange(), text }], () => null)
      settingValue = false
    },
    setTheme: (dark: boolean) => monaco.editor.setTheme(dark ? 'batchdesk-dark' : 'batchdesk-light'),
    setEngineMarkers(markers) {
      monaco.editor.setModelMarkers(
        model,
        'engine',
        markers.map((m) => ({
          startLineNumber: m.line,
          startColumn: m.column,
          endLineNumber: m.line,
          endColumn: model.getLineMaxColumn(Math.min(Math.max(1, m.line), model.getLineCount())),
          message: m.message,
          severity: m.severity === 'error' ? monaco.MarkerSeverity.Error : monaco.MarkerSeverity.Warning
        }))
      )
    },
    revealLine(line: number, column = 1) {
      editor.revealLineInCenter(line)
      editor.setPosition({ lineNumber: line, column })
      editor.focus()
    },
    focus: () => editor.focus(),
    layout: () => editor.layout(),
    dispose() {
      changes.dispose()
      markerListener.dispose()
      editor.dispose()
      model.dispose()
    }
  }
}
