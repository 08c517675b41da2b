/**
 * The runs of the current batch as the table shows them: pages of rows fetched by offset as the user
 * scrolls (so 100,000 runs cost only what is on screen), the filter chips evaluated by the engine, the
 * selection shared with the charts, the open run's details, and the execution's progress.
 * Live updates arrive as batched `runsChanged` events: statuses are patched in place at once, and the
 * visible rows are re-fetched (throttled) to pick up results and runtimes.
 */
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, triggerRef } from 'vue'
import {
  getApi,
  type BatchProgress,
  type FieldRef,
  type RunDetails,
  type RunRow,
  type RunStatus,
  type StatusCounts
} from '../api/client'
import { conditionsAsCode, parseChip, type ChipCondition } from '../logic/conditions'
import { exportFileName, toCsv } from '../logic/csv'
import { useNoticesStore } from './notices'
import { useProjectStore } from './project'

/** Rows per request; the API allows up to 1000. */
const PAGE_SIZE = 200
/** Least time between two re-fetches of the visible rows while a batch runs. */
const REFRESH_THROTTLE_MS = 500

export type SortState = { field: FieldRef; direction: 'asc' | 'desc' } | null

const EMPTY_COUNTS: StatusCounts = {
  pending: 0,
  running: 0,
  done: 0,
  cached: 0,
  failed: 0,
  stale: 0,
  corrupt: 0
}

function hiddenKey(batch: string): string {
  return `batchdesk.hiddenColumns.${batch}`
}

/** Downloads text as a file: works in the browser and in Electron's window alike. */
export function downloadText(text: string, fileName: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const link = document.createElement('a')
  link.href = url
  link.download = fileName
  document.body.appendChild(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

export const useRunsStore = defineStore('runs', () => {
  const notices = useNoticesStore()
  const projectStore = useProjectStore()
  const batch = ref<string | null>(null)
  const conditions = ref<string[]>([])
  const statusFilter = ref<RunStatus[]>([])
  const sort = ref<SortState>(null)
  const total = ref(0)
  const columns = ref<{ parameters: string[]; results: string[] }>({ parameters: [], results: [] })
  /** Rows by position in the current (filtered, sorted) list; sparse: only fetched pages. */
  const rows = shallowRef<(RunRow | undefined)[]>([])
  const loading = ref(false)
  /** The engine's message when the filter cannot be evaluated (shown under the filter bar). */
  const listError = ref<string | null>(null)
  const counts = ref<StatusCounts>({ ...EMPTY_COUNTS })
  const progress = ref<BatchProgress | null>(null)
  const selection = ref<Set<number>>(new Set())
  /** The run whose details are open. */
  const focused = ref<number | null>(null)
  const details = ref<RunDetails | null>(null)
  const detailsLoading = ref(false)
  const detailsError = ref<string | null>(null)
  const hiddenColumns = ref<Set<string>>(new Set())
  const viewport = { start: 0, end: 50 }
  /** Pages whose rows are current; pages not in it are fetched when they come into view. */
  const freshPages = new Set<number>()
  const inFlight = new Map<number, Promise<void>>()
  let generation = 0
  let refreshTimer: ReturnType<typeof setTimeout> | undefined
  let lastRefresh = 0
  let unsubscribers: (() => void)[] = []

  const running = computed(
    () => progress.value !== null && ['running', 'pausing', 'cancelling'].includes(progress.value.state)
  )
  const paused = computed(() => progress.value?.state === 'paused')
  const filterConditions = computed<ChipCondition[]>(() =>
    conditions.value.map((text) => parseChip(text)).flatMap((p) => (p.ok ? [p.condition] : []))
  )
  const filterAsCode = computed(() => conditionsAsCode(filterConditions.value))
  const totalRuns = computed(() => Object.values(counts.value).reduce((a, b) => a + b, 0))

  function listen(): void {
    if (unsubscribers.length) return
    const api = getApi()
    unsubscribers = [
      api.on('runsChanged', (event) => {
        if (event.batch !== batch.value) return
        counts.value = event.counts
        patchStatuses(event.changes)
      }),
      api.on('batchProgress', (event) => {
        if (event.batch !== batch.value) return
        const wasActive = running.value
        const cancelled = progress.value?.state === 'cancelling'
        progress.value = event
        if (wasActive && event.state === 'idle') {
          scheduleRefresh(true)
          announceEnd(event, cancelled)
        }
      }),
      api.on('log', (event) => {
        if (event.batch !== null && event.batch !== batch.value) return
        if (event.level === 'error')
          notices.push('error', event.batch ? `Batch '${event.batch}'` : 'Batchdesk', event.message)
        else if (event.topic === 'workers') notices.push(event.level, 'Workers', event.message)
      })
    ]
  }

  function announceEnd(event: BatchProgress, cancelled: boolean): void {
    if (cancelled) {
      const left = counts.value.pending + counts.value.failed + counts.value.corrupt
      notices.push(
        'info',
        `Batch '${event.batch}' cancelled`,
        `Results computed so far are kept${left ? `; ${left.toLocaleString('en-US')} runs are left to compute — press Run to continue` : ''}.`
      )
    } else if (event.failed > 0) {
      notices.push(
        'warn',
        `Batch '${event.batch}' finished with ${event.failed} failed run${event.failed > 1 ? 's' : ''}`,
        'Filter the table by status "failed" and open a run to see its error, then use "Retry failed".'
      )
    } else if (event.done > 0) {
      notices.push(
        'success',
        `Batch '${event.batch}' finished`,
        `${event.computed.toLocaleString('en-US')} runs computed.`
      )
    }
  }

  /** Sets status badges at once from the event; the page re-fetch fills in results and runtimes. */
  function patchStatuses(changes: { index: number; status: RunStatus }[]): void {
    const byIndex = new Map(changes.map((c) => [c.index, c.status]))
    let touched = false
    const list = rows.value
    for (let position = 0; position < list.length; position++) {
      const row = list[position]
      if (!row) continue
      const status = byIndex.get(row.index)
      if (status && status !== row.status) {
        list[position] = { ...row, status }
        touched = true
      }
    }
    if (touched) triggerRef(rows)
    if (focused.value !== null && byIndex.has(focused.value)) void loadDetails(focused.value)
    scheduleRefresh(statusFilter.value.length > 0 || sort.value !== null)
  }

  /** Marks every page out of date and re-fetches the visible ones, at most every REFRESH_THROTTLE_MS. */
  function scheduleRefresh(recount = false): void {
    freshPages.clear()
    if (refreshTimer) return
    const wait = Math.max(0, lastRefresh + REFRESH_THROTTLE_MS - Date.now())
    refreshTimer = setTimeout(() => {
      refreshTimer = undefined
      lastRefresh = Date.now()
      void ensureRange(viewport.start, viewport.end, recount)
    }, wait)
  }

  async function fetchPage(page: number, gen: number): Promise<void> {
    if (!batch.value) return
    const name = batch.value
    const result = await getApi().runs.list({
      batch: name,
      conditions: conditions.value,
      status: statusFilter.value.length ? statusFilter.value : undefined,
      sort: sort.value ?? undefined,
      offset: page * PAGE_SIZE,
      limit: PAGE_SIZE
    })
    if (gen !== generation) return
    if (!result.ok) {
      // Rows of an earlier filter would look like the answer to this one: show none, and the message.
      listError.value = result.error.message
      total.value = 0
      rows.value = []
      return
    }
    listError.value = null
    const value = result.value
    if (value.total !== total.value) {
      total.value = value.total
      if (rows.value.length > value.total) rows.value.length = value.total
    }
    columns.value = value.columns
    const list = rows.value
    for (const [i, row] of value.rows.entries()) list[page * PAGE_SIZE + i] = row
    freshPages.add(page)
    triggerRef(rows)
  }

  /** Makes sure the rows from `start` to `end` (positions) are loaded; called by the table as it scrolls. */
  async function ensureRange(start: number, end: number, force = false): Promise<void> {
    viewport.start = start
    viewport.end = end
    const first = Math.floor(Math.max(0, start) / PAGE_SIZE)
    const last = Math.floor(Math.max(start, end) / PAGE_SIZE)
    const work: Promise<void>[] = []
    for (let page = first; page <= last; page++) {
      if (page > 0 && page * PAGE_SIZE >= total.value && !force) break
      if (freshPages.has(page) && !force) continue
      const pending = inFlight.get(page)
      if (pending) {
        work.push(pending)
        continue
      }
      const gen = generation
      const promise = fetchPage(page, gen).finally(() => inFlight.delete(page))
      inFlight.set(page, promise)
      work.push(promise)
    }
    await Promise.all(work)
  }

  /** Starts over with the current filter and sort: drops every row and fetches the first page. */
  async function reload(): Promise<void> {
    generation++
    freshPages.clear()
    inFlight.clear()
    rows.value = []
    loading.value = true
    try {
      await ensureRange(0, Math.max(PAGE_SIZE - 1, viewport.end - viewport.start), true)
    } finally {
      loading.value = false
    }
  }

  async function open(name: string): Promise<void> {
    listen()
    if (batch.value !== name) {
      batch.value = name
      conditions.value = []
      statusFilter.value = []
      sort.value = null
      selection.value = new Set()
      focused.value = null
      details.value = null
      progress.value = null
      total.value = 0
      hiddenColumns.value = readHidden(name)
    }
    counts.value = projectStore.batches.find((b) => b.name === name)?.counts ?? { ...EMPTY_COUNTS }
    const statuses = await notices.attempt('Could not read the state of the batches', () =>
      getApi().batches.status()
    )
    progress.value = statuses?.find((p) => p.batch === name) ?? null
    await reload()
  }

  function readHidden(name: string): Set<string> {
    try {
      return new Set(JSON.parse(localStorage.getItem(hiddenKey(name)) ?? '[]') as string[])
    } catch {
      return new Set()
    }
  }

  function toggleColumn(key: string): void {
    const next = new Set(hiddenColumns.value)
    if (next.has(key)) next.delete(key)
    else next.add(key)
    hiddenColumns.value = next
    try {
      if (batch.value) localStorage.setItem(hiddenKey(batch.value), JSON.stringify([...next]))
    } catch {
      // Not remembered across sessions when storage is off; it still applies now.
    }
  }

  /** After the run class changed: new counts from its summary, and the rows again (some are stale now). */
  async function refreshStatuses(next: StatusCounts): Promise<void> {
    counts.value = next
    freshPages.clear()
    if (focused.value !== null) void loadDetails(focused.value)
    await ensureRange(viewport.start, viewport.end, true)
    if (total.value === 0) rows.value = []
    if (totalRuns.value === 0) closeDetails()
  }

  async function setConditions(next: string[]): Promise<void> {
    conditions.value = next
    await reload()
  }

  async function addCondition(text: string): Promise<void> {
    if (conditions.value.includes(text)) return
    await setConditions([...conditions.value, text])
  }

  async function removeCondition(position: number): Promise<void> {
    await setConditions(conditions.value.filter((_, i) => i !== position))
  }

  async function setStatusFilter(next: RunStatus[]): Promise<void> {
    statusFilter.value = next
    await reload()
  }

  async function setSort(field: FieldRef): Promise<void> {
    const same = sort.value && JSON.stringify(sort.value.field) === JSON.stringify(field)
    if (!same) sort.value = { field, direction: 'asc' }
    else if (sort.value!.direction === 'asc') sort.value = { field, direction: 'desc' }
    else sort.value = null
    await reload()
  }

  function select(index: number, mode: 'replace' | 'toggle' = 'replace'): void {
    if (mode === 'toggle') {
      const next = new Set(selection.value)
      if (next.has(index)) next.delete(index)
      else next.add(index)
      selection.value = next
    } else selection.value = new Set([index])
    focused.value = index
    void loadDetails(index)
  }

  function setSelection(indices: Iterable<number>): void {
    selection.value = new Set(indices)
  }

  function closeDetails(): void {
    focused.value = null
    details.value = null
  }

  async function loadDetails(index: number): Promise<void> {
    if (!batch.value) return
    detailsLoading.value = true
    const result = await getApi().runs.details({ batch: batch.value, index })
    detailsLoading.value = false
    if (focused.value !== index) return
    if (result.ok) {
      details.value = result.value
      detailsError.value = null
    } else {
      details.value = null
      detailsError.value = result.error.message
    }
  }

  async function execute(options: { rerunStale?: boolean; onlyFailed?: boolean } = {}): Promise<boolean> {
    if (!batch.value) return false
    const name = batch.value
    const started = await notices.attempt('Could not start the batch', () =>
      getApi().batches.execute({ batch: name, ...options })
    )
    if (!started) return false
    if (started.toCompute === 0) {
      notices.push(
        'info',
        'Nothing to compute',
        options.rerunStale
          ? 'No stale runs in this batch.'
          : options.onlyFailed
            ? 'No failed runs in this batch.'
            : 'Every run of this batch is stored already. Add a design in the Grid tab to compute more.'
      )
    }
    return true
  }

  async function control(action: 'pause' | 'resume' | 'cancel'): Promise<void> {
    if (!batch.value) return
    const name = batch.value
    const api = getApi()
    if (action === 'resume') {
      await notices.attempt('Could not resume the batch', () => api.batches.resume({ batch: name }))
      return
    }
    const title = action === 'pause' ? 'Could not pause the batch' : 'Could not cancel the batch'
    const state = await notices.attempt(title, () =>
      action === 'pause' ? api.batches.pause({ batch: name }) : api.batches.cancel({ batch: name })
    )
    if (state) progress.value = state
  }

  async function exportCsv(): Promise<void> {
    if (!batch.value) return
    const name = batch.value
    const exported = await notices.attempt('Could not export the table', () =>
      getApi().runs.exportCsv({ batch: name, conditions: conditions.value })
    )
    if (!exported) return
    downloadText(
      exported.csv,
      exportFileName(projectStore.project?.name ?? 'batchdesk', name, 'csv'),
      'text/csv'
    )
    notices.push(
      'success',
      'Table exported',
      `${exported.rows.toLocaleString('en-US')} rows saved as CSV in your downloads.`
    )
  }

  /** The selected runs among the loaded rows, as CSV for pasting into a spreadsheet. */
  function selectionAsCsv(): { csv: string; rows: number } {
    const { parameters, results } = columns.value
    const header = ['index', 'id', 'status', ...parameters, ...results, 'runtime']
    const picked = rows.value.filter(
      (row): row is RunRow => row !== undefined && selection.value.has(row.index)
    )
    const lines = picked.map((r) => [
      r.index,
      r.id,
      r.status,
      ...parameters.map((p) => r.parameters[p]),
      ...results.map((n) => r.results[n]),
      r.runtime
    ])
    return { csv: toCsv(header, lines), rows: picked.length }
  }

  function reset(): void {
    for (const stop of unsubscribers) stop()
    unsubscribers = []
    batch.value = null
    rows.value = []
    total.value = 0
    progress.value = null
    selection.value = new Set()
    closeDetails()
  }

  return {
    batch,
    conditions,
    statusFilter,
    sort,
    total,
    columns,
    rows,
    loading,
    listError,
    counts,
    totalRuns,
    progress,
    running,
    paused,
    selection,
    focused,
    details,
    detailsLoading,
    detailsError,
    hiddenColumns,
    filterConditions,
    filterAsCode,
    open,
    reload,
    refreshStatuses,
    ensureRange,
    setConditions,
    addCondition,
    removeCondition,
    setStatusFilter,
    setSort,
    toggleColumn,
    select,
    setSelection,
    closeDetails,
    loadDetails,
    execute,
    control,
    exportCsv,
    selectionAsCsv,
    reset
  }
})
