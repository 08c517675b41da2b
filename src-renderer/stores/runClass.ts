/**
 * The run class of the current batch: the saved source, the draft in the editor, what the engine reads
 * from the draft (parameters, compile diagnostics), "Try once", and the typings for Monaco.
 * A draft that differs from the saved source is unsaved; closing or switching asks first.
 */
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { getApi, type Diagnostic, type RunClassSummary, type TryOnceResult } from '../api/client'
import { useNoticesStore } from './notices'
import { useProjectStore } from './project'
import { useRunsStore } from './runs'
import { withoutProjectDir } from '../logic/format'

/** Pause after the last keystroke before asking the engine to compile the draft. */
const CHECK_DELAY_MS = 400

export const useRunClassStore = defineStore('runClass', () => {
  const notices = useNoticesStore()
  const projectStore = useProjectStore()
  const batch = ref<string | null>(null)
  const file = ref('')
  const savedSource = ref('')
  const draft = ref('')
  const info = ref<RunClassSummary | null>(null)
  /** The saved class's load error, if it does not load (then nothing can run). */
  const loadError = ref<string | null>(null)
  const diagnostics = ref<Diagnostic[]>([])
  const checking = ref(false)
  const saving = ref(false)
  const loading = ref(false)
  const typings = ref<{ file: string; text: string } | null>(null)
  const tryResult = ref<TryOnceResult | null>(null)
  const trying = ref(false)
  const tryError = ref<string | null>(null)
  /** After a save: stored results made by the previous code. */
  const staleNotice = ref<number | null>(null)
  let checkTimer: ReturnType<typeof setTimeout> | undefined
  /** Messages with paths relative to the project, so the line numbers stand out. */
  const short = (message: string | null) =>
    message === null ? null : withoutProjectDir(message, projectStore.project?.dir)
  const shortDiagnostics = (list: Diagnostic[]) =>
    list.map((d) => ({ ...d, message: withoutProjectDir(d.message, projectStore.project?.dir) }))
  let checkSeq = 0

  const dirty = computed(() => batch.value !== null && draft.value !== savedSource.value)
  const errors = computed(() => diagnostics.value.filter((d) => d.severity === 'error'))
  async function load(name: string): Promise<void> {
    loading.value = true
    try {
      const source = await notices.attempt(`Could not open the run class of batch '${name}'`, () =>
        getApi().runClasses.get({ batch: name })
      )
      if (!source) return
      batch.value = name
      file.value = source.file
      savedSource.value = source.source
      draft.value = source.source
      info.value = source.info
      loadError.value = short(source.loadError)
      diagnostics.value = shortDiagnostics(source.diagnostics)
      tryResult.value = null
      tryError.value = null
      staleNotice.value = null
    } finally {
      loading.value = false
    }
  }

  async function loadTypings(): Promise<void> {
    if (typings.value) return
    typings.value =
      (await notices.attempt(
        'Could not load the Run API typings for the editor (completion will be limited)',
        () => getApi().runClasses.typings()
      )) ?? null
  }

  function setDraft(text: string): void {
    draft.value = text
    clearTimeout(checkTimer)
    checkTimer = setTimeout(() => void check(), CHECK_DELAY_MS)
  }

  /** Compiles the draft without saving: diagnostics for the editor, parameters for the side panel and grid. */
  async function check(): Promise<void> {
    if (!batch.value) return
    const seq = ++checkSeq
    const source = draft.value
    checking.value = true
    const result = await getApi().runClasses.check({ batch: batch.value, source })
    if (seq !== checkSeq) return
    checking.value = false
    if (!result.ok) {
      // Inline, not a toast: this runs on every pause in typing.
      diagnostics.value = [
        { file: file.value, line: 1, column: 1, message: result.error.message, severity: 'error' }
      ]
      return
    }
    diagnostics.value = shortDiagnostics(result.value.diagnostics)
    if (result.value.info) info.value = result.value.info
  }

  /** Saves the draft, even when it does not compile (running it is what is refused). */
  async function save(): Promise<boolean> {
    // Ctrl+S reaches both Monaco's command and the window's shortcut: one save is enough.
    if (!batch.value || saving.value) return false
    clearTimeout(checkTimer)
    saving.value = true
    const source = draft.value
    try {
      const saved = await notices.attempt('Could not save the run class', () =>
        getApi().runClasses.save({ batch: batch.value!, source })
      )
      if (!saved) return false
      savedSource.value = source
      diagnostics.value = shortDiagnostics(saved.diagnostics)
      loadError.value = short(saved.loadError)
      if (saved.info) info.value = saved.info
      staleNotice.value = saved.staleResults > 0 ? saved.staleResults : null
      projectStore.updateBatch(saved.batch)
      // New code changes statuses (stale) without any run changing: show it in the table at once.
      if (useRunsStore().batch === saved.batch.name) void useRunsStore().refreshStatuses(saved.batch.counts)
      // A clean save shows itself (the unsaved marker goes); only news worth reading gets a toast.
      if (saved.loadError)
        notices.push(
          'warn',
          'Saved, but this run class does not compile',
          `${loadError.value} — it cannot run until this is fixed.`
        )
      return true
    } finally {
      saving.value = false
    }
  }

  function discard(): void {
    draft.value = savedSource.value
    void check()
  }

  /** Runs one run with the defaults overridden by `parameters`, from the draft; nothing is stored. */
  async function tryOnce(parameters: Record<string, unknown>): Promise<void> {
    if (!batch.value) return
    const firstError = errors.value[0]
    if (firstError) {
      tryError.value = `Line ${firstError.line}: ${firstError.message}. Fix this in the editor first; a run class that does not compile cannot run.`
      return
    }
    trying.value = true
    tryError.value = null
    tryResult.value = null
    try {
      const result = await getApi().runClasses.tryOnce({
        batch: batch.value,
        source: draft.value,
        parameters
      })
      if (result.ok) tryResult.value = result.value
      else tryError.value = short(result.error.message)
    } finally {
      trying.value = false
    }
  }

  function reset(): void {
    batch.value = null
    savedSource.value = ''
    draft.value = ''
    info.value = null
    diagnostics.value = []
    loadError.value = null
    tryResult.value = null
    staleNotice.value = null
  }

  return {
    batch,
    file,
    savedSource,
    draft,
    info,
    loadError,
    diagnostics,
    errors,
    checking,
    saving,
    loading,
    typings,
    tryResult,
    trying,
    tryError,
    staleNotice,
    dirty,
    load,
    loadTypings,
    setDraft,
    check,
    save,
    discard,
    tryOnce,
    reset
  }
})
