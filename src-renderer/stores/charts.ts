/**
 * What the Charts tab draws: the charted runs' columns (fetched once per filter/field change, up to
 * 100,000 runs), the chart kind (chosen from the sweep's shape unless the user picks another), the
 * fields on each axis, array curves of the selected runs and the runtime histogram.
 * The filter chips and the selection are the runs store's: table and charts always show the same runs.
 */
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { getApi, type ArraySeries, type ColumnData, type FieldRef } from '../api/client'
import { chooseChart, sweepShape, type ChartKind, type SweepShape } from '../logic/chartChoice'
import { useNoticesStore } from './notices'
import { useProjectStore } from './project'
import { useRunsStore } from './runs'

/** The API returns at most 16 columns per call: parameters first, then the chosen fields. */
const MAX_FIELDS = 16

export interface ChartColumns {
  indices: number[]
  columns: ColumnData[]
  total: number
  truncated: boolean
}

function fieldKey(field: FieldRef): string {
  return 'name' in field ? `${field.kind}:${field.name}` : field.kind
}

export const useChartsStore = defineStore('charts', () => {
  const notices = useNoticesStore()
  const projectStore = useProjectStore()
  const runs = useRunsStore()
  const userKind = ref<ChartKind | null>(null)
  /** The result field on the y axis (line, heatmap, small multiples, parallel). */
  const resultField = ref<string | null>(null)
  /** The swept parameter on the x axis; null: the first swept one. */
  const xParameter = ref<string | null>(null)
  const scatterX = ref<FieldRef | null>(null)
  const scatterY = ref<FieldRef | null>(null)
  const arrayField = ref<string | null>(null)
  /** Array field on the x axis of curves (a trajectory's y against its x); null: the position in the array. */
  const arrayXField = ref<string | null>(null)
  const arraysX = shallowRef<ArraySeries[]>([])
  /** Result fields holding arrays of numbers, found in a finished run's result. */
  const arrayFields = ref<string[]>([])
  const data = shallowRef<ChartColumns | null>(null)
  const arrays = shallowRef<ArraySeries[]>([])
  const runtimes = shallowRef<number[]>([])
  const loading = ref(false)
  const error = ref<string | null>(null)
  let seq = 0

  const parameterNames = computed(() =>
    runs.columns.parameters.length
      ? runs.columns.parameters
      : (projectStore.currentBatch?.parameterNames ?? [])
  )
  const resultNames = computed(() => runs.columns.results)
  const shape = computed<SweepShape>(() => {
    const cols = data.value?.columns ?? []
    return sweepShape(
      cols
        .filter((c) => c.field.kind === 'parameter')
        .map((c) => ({ name: (c.field as { name: string }).name, values: c.values }))
    )
  })
  const autoKind = computed<ChartKind>(() => chooseChart(shape.value))
  const kind = computed<ChartKind>(() => userKind.value ?? autoKind.value)

  function column(field: FieldRef): ColumnData | undefined {
    const key = fieldKey(field)
    return data.value?.columns.find((c) => fieldKey(c.field) === key)
  }

  /** Fields to fetch: every parameter (to know the sweep's shape), the result field, runtime, scatter axes. */
  function wantedFields(): FieldRef[] {
    const fields: FieldRef[] = parameterNames.value.map((name) => ({ kind: 'parameter', name }))
    const extra: FieldRef[] = []
    if (resultField.value) extra.push({ kind: 'result', name: resultField.value })
    for (const f of [scatterX.value, scatterY.value]) if (f) extra.push(f)
    extra.push({ kind: 'runtime' })
    const seen = new Set<string>()
    return [...extra, ...fields]
      .filter((f) => (seen.has(fieldKey(f)) ? false : (seen.add(fieldKey(f)), true)))
      .slice(0, MAX_FIELDS)
  }

  function pickDefaults(): void {
    if (!resultField.value || !resultNames.value.includes(resultField.value))
      resultField.value = resultNames.value[0] ?? null
    if (!scatterY.value && resultField.value) scatterY.value = { kind: 'result', name: resultField.value }
    if (!scatterX.value && parameterNames.value[0])
      scatterX.value = { kind: 'parameter', name: parameterNames.value[0] }
  }

  async function load(): Promise<void> {
    const batch = runs.batch
    if (!batch) return
    pickDefaults()
    const mine = ++seq
    loading.value = true
    try {
      const result = await getApi().results.columns({
        batch,
        conditions: runs.conditions,
        fields: wantedFields(),
        onlyDone: true,
        limit: 100_000
      })
      if (mine !== seq) return
      if (!result.ok) {
        error.value = result.error.message
        data.value = null
        return
      }
      error.value = null
      data.value = result.value
      if (xParameter.value && !shape.value.swept.some((a) => a.name === xParameter.value))
        xParameter.value = null
    } finally {
      if (mine === seq) loading.value = false
    }
    void findArrayFields()
    if (kind.value === 'histogram') void loadRuntimes()
    if (kind.value === 'curves') void loadArrays()
  }

  /** Looks at one finished run's result for array-valued fields (the table lists only scalar ones). */
  async function findArrayFields(): Promise<void> {
    const batch = runs.batch
    const first = data.value?.indices[0]
    if (!batch || first === undefined) {
      arrayFields.value = []
      return
    }
    const result = await getApi().runs.details({ batch, index: first })
    if (!result.ok) return
    const value = result.value.result
    arrayFields.value =
      value && typeof value === 'object' && !Array.isArray(value)
        ? Object.entries(value as Record<string, unknown>)
            .filter(([, v]) => Array.isArray(v) && v.length > 1 && v.every((x) => typeof x === 'number'))
            .map(([k]) => k)
        : []
    if (!arrayField.value || !arrayFields.value.includes(arrayField.value)) {
      // Two arrays named like coordinates (x and y) read best as a curve of one against the other.
      const hasXY = arrayFields.value.includes('x') && arrayFields.value.includes('y')
      arrayField.value = hasXY ? 'y' : (arrayFields.value[0] ?? null)
      arrayXField.value = hasXY ? 'x' : null
    }
  }

  async function loadArrays(): Promise<void> {
    const batch = runs.batch
    const indices = [...runs.selection].slice(0, 50)
    if (!batch || !arrayField.value || indices.length === 0) {
      arrays.value = []
      arraysX.value = []
      return
    }
    const api = getApi()
    const fetch = (field: string) =>
      notices.attempt(`Could not load ${field} of the selected runs`, () =>
        api.results.arrays({ batch, indices, field })
      )
    const against = arrayXField.value
    const [ys, xs] = await Promise.all([
      fetch(arrayField.value),
      against ? fetch(against) : Promise.resolve(undefined)
    ])
    arrays.value = ys?.series ?? []
    arraysX.value = xs?.series ?? []
  }

  async function loadRuntimes(): Promise<void> {
    const batch = runs.batch
    if (!batch) return
    const result = await notices.attempt('Could not load the runtimes', () =>
      getApi().results.runtimes({ batch })
    )
    runtimes.value = result?.values ?? []
  }

  function setKind(next: ChartKind | null): void {
    userKind.value = next
    if (next === 'histogram') void loadRuntimes()
    if (next === 'curves') void loadArrays()
  }

  function reset(): void {
    userKind.value = null
    resultField.value = null
    xParameter.value = null
    scatterX.value = null
    scatterY.value = null
    arrayField.value = null
    arrayXField.value = null
    data.value = null
    arrays.value = []
  }

  return {
    userKind,
    kind,
    autoKind,
    resultField,
    xParameter,
    scatterX,
    scatterY,
    arrayField,
    arrayXField,
    arraysX,
    arrayFields,
    data,
    arrays,
    runtimes,
    loading,
    error,
    parameterNames,
    resultNames,
    shape,
    column,
    load,
    loadArrays,
    loadRuntimes,
    setKind,
    reset
  }
})
