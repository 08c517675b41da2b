/**
 * The grid builder: one row per parameter of the run class, each fixed or swept; the parsed values, the
 * run count, and the engine's preview (how many runs are already stored, how long the new ones take).
 * Adding the design sends it to the engine, which saves it in the project manifest.
 */
import { defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import { getApi, type DesignInput, type DesignPreview, type ParameterSummary } from '../api/client'
import {
  axisRoundTrips,
  buildGrid,
  factorInputFromAxis,
  designSize,
  emptyFactorInput,
  LARGE_DESIGN_WARNING,
  parseFactor,
  type FactorInput,
  type FactorMode,
  type ParsedFactor
} from '../logic/gridValues'
import { useNoticesStore } from './notices'
import { useProjectStore } from './project'

export interface GridRow {
  parameter: ParameterSummary
  input: FactorInput
}

/** Pause after the last edit before asking the engine for a preview. */
const PREVIEW_DELAY_MS = 300

export const useGridStore = defineStore('grid', () => {
  const notices = useNoticesStore()
  const projectStore = useProjectStore()
  const batch = ref<string | null>(null)
  const rows = ref<GridRow[]>([])
  const functionExports = ref<string[]>([])
  const label = ref('')
  const preview = ref<DesignPreview | null>(null)
  const previewError = ref<string | null>(null)
  const previewing = ref(false)
  const adding = ref(false)
  /** The saved design the rows were loaded from: saving then replaces it instead of adding a new one. */
  const editing = ref<{ index: number; label: string } | null>(null)
  let previewTimer: ReturnType<typeof setTimeout> | undefined
  let previewSeq = 0

  const parsed = computed<ParsedFactor[]>(() =>
    rows.value.map((row) => parseFactor(row.input, row.parameter.kind, row.parameter.default))
  )
  const total = computed(() => designSize(parsed.value))
  const sweptCount = computed(() => parsed.value.filter((p) => p.ok && p.swept).length)
  const built = computed(() =>
    buildGrid(rows.value.map((row, i) => ({ name: row.parameter.name, parsed: parsed.value[i] })))
  )
  const design = computed<DesignInput | null>(() => {
    if (!built.value.ok) return null
    const trimmed = label.value.trim()
    return { kind: 'factorial', grid: built.value.grid, ...(trimmed ? { label: trimmed } : {}) }
  })
  const firstError = computed(() => (built.value.ok ? null : built.value.error))
  /** New runs above which the preview asks for a second look. */
  const tooLarge = computed(() => (preview.value?.new ?? total.value) > LARGE_DESIGN_WARNING)

  /** Rebuilds the rows for a run class, keeping what was typed for parameters that still exist. */
  function syncWith(batchName: string, parameters: ParameterSummary[], exports: string[]): void {
    const previous =
      batch.value === batchName
        ? new Map(rows.value.map((row) => [row.parameter.name, row.input]))
        : new Map<string, FactorInput>()
    if (batch.value !== batchName) editing.value = null
    batch.value = batchName
    functionExports.value = exports
    rows.value = parameters.map((parameter) => ({
      parameter,
      input: previous.get(parameter.name) ?? emptyFactorInput()
    }))
  }

  function setMode(name: string, mode: FactorMode): void {
    const row = rows.value.find((r) => r.parameter.name === name)
    if (!row) return
    const input = { ...row.input, mode }
    // Start each mode from something sensible instead of an empty, red row.
    if (mode === 'functions' && input.functions.length === 0) {
      const fallback = (row.parameter.default as { $fn?: string } | null)?.$fn
      if (fallback && functionExports.value.includes(fallback)) input.functions = [fallback]
    }
    if (mode === 'value' && input.value === '') input.value = row.parameter.defaultText
    row.input = input
  }

  function update(name: string, patch: Partial<FactorInput>): void {
    const row = rows.value.find((r) => r.parameter.name === name)
    if (row) row.input = { ...row.input, ...patch }
  }

  function resetRows(): void {
    for (const row of rows.value) row.input = emptyFactorInput()
    label.value = ''
    editing.value = null
  }

  /** Keeps the rows but adds them as a new design next time, leaving the loaded one as it is. */
  function stopEditing(): void {
    editing.value = null
  }

  /**
   * Fills the rows from saved design `index`, to extend or change it: saving then replaces that design
   * (runs already stored are not computed again). Returns why it cannot, or null.
   */
  function loadDesign(grid: Record<string, unknown>, index: number, designLabel?: string): string | null {
    const names = new Set(rows.value.map((row) => row.parameter.name))
    const unknown = Object.keys(grid).filter((name) => !names.has(name))
    if (unknown.length > 0)
      return `the run class no longer has the parameter${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`
    const inputs: FactorInput[] = []
    for (const row of rows.value) {
      const axis = grid[row.parameter.name]
      const input = factorInputFromAxis(axis, row.parameter.kind)
      if (!input || !axisRoundTrips(axis, input, row.parameter.kind, row.parameter.default))
        return `the values of ${row.parameter.name} cannot be shown in the grid's fields`
      inputs.push(input)
    }
    rows.value.forEach((row, i) => (row.input = inputs[i]))
    label.value = designLabel ?? ''
    editing.value = { index, label: designLabel || `design ${index + 1}` }
    return null
  }

  function schedulePreview(): void {
    clearTimeout(previewTimer)
    if (!batch.value || !design.value) {
      preview.value = null
      previewError.value = null
      return
    }
    previewing.value = true
    previewTimer = setTimeout(() => void loadPreview(), PREVIEW_DELAY_MS)
  }

  async function loadPreview(): Promise<void> {
    if (!batch.value || !design.value) return
    const seq = ++previewSeq
    const result = await getApi().batches.previewDesign({ batch: batch.value, design: design.value })
    if (seq !== previewSeq) return
    previewing.value = false
    if (result.ok) {
      preview.value = result.value
      previewError.value = null
    } else {
      // Inline next to the preview: it updates on every edit, a toast each time would be noise.
      preview.value = null
      previewError.value = result.error.message
    }
  }

  watch(design, schedulePreview, { deep: true })

  /** Adds the design to the batch (saved in the manifest by the engine); with `run`, starts computing. */
  async function add(run: boolean): Promise<{ added: number; started: boolean } | undefined> {
    if (!batch.value) return undefined
    if (!design.value) {
      notices.push(
        'error',
        'The design has a problem',
        `${firstError.value ?? 'Check the highlighted rows'}. Fix it, then add the design again.`
      )
      return undefined
    }
    adding.value = true
    try {
      const name = batch.value
      const replacing = editing.value
      const result = replacing
        ? await notices.attempt(run ? 'Could not save and run the design' : 'Could not save the design', () =>
            getApi().batches.replaceDesign({
              batch: name,
              index: replacing.index,
              design: design.value!,
              run
            })
          )
        : await notices.attempt(run ? 'Could not add and run the design' : 'Could not add the design', () =>
            getApi().batches.addDesign({ batch: name, design: design.value!, run })
          )
      if (!result) return undefined
      projectStore.updateBatch(result.batch)
      editing.value = null
      // When it runs, the progress bar says the rest.
      if (!result.started)
        notices.push(
          'success',
          replacing ? 'Design saved' : 'Design added',
          replacing
            ? `Batch '${name}' now has ${result.batch.runs.toLocaleString('en-US')} runs. Press Run in the Runs tab to compute the new ones.`
            : `${result.added.toLocaleString('en-US')} new run${result.added === 1 ? '' : 's'} in batch '${name}'. Press Run in the Runs tab to compute them.`
        )
      void loadPreview()
      return { added: result.added, started: result.started }
    } finally {
      adding.value = false
    }
  }

  return {
    batch,
    rows,
    functionExports,
    label,
    preview,
    previewError,
    previewing,
    adding,
    editing,
    parsed,
    total,
    sweptCount,
    design,
    firstError,
    tooLarge,
    syncWith,
    setMode,
    update,
    resetRows,
    loadDesign,
    stopEditing,
    add,
    loadPreview
  }
})
