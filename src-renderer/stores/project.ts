/**
 * The open project and its batches, the start screen's lists (examples, recent projects) and the
 * folder browser used in browser mode. The engine owns the manifest; this store only mirrors summaries.
 */
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import {
  getApi,
  type BatchSummary,
  type ExampleInfo,
  type FolderEntry,
  type ProjectSummary,
  type RecentProject
} from '../api/client'
import { useNoticesStore } from './notices'

export interface FolderListing {
  dir: string
  parent: string | null
  home: string
  isProject: boolean
  entries: FolderEntry[]
}

/** Joins a folder and a name with the folder's own separator (Windows paths use backslashes). */
export function joinPath(dir: string, name: string): string {
  const separator = dir.includes('\\') && !dir.includes('/') ? '\\' : '/'
  return dir.endsWith(separator) ? `${dir}${name}` : `${dir}${separator}${name}`
}

export const useProjectStore = defineStore('project', () => {
  const notices = useNoticesStore()
  const project = ref<ProjectSummary | null>(null)
  const examples = ref<ExampleInfo[]>([])
  const recent = ref<RecentProject[]>([])
  const currentBatchName = ref<string | null>(null)
  const busy = ref(false)
  /** A folder the user opened that is not a project: the start screen offers to create one there. */
  const notAProject = ref<string | null>(null)
  const home = ref<string | null>(null)
  let unsubscribe: (() => void) | undefined

  const batches = computed<BatchSummary[]>(() => project.value?.batches ?? [])
  const currentBatch = computed<BatchSummary | null>(
    () => batches.value.find((b) => b.name === currentBatchName.value) ?? batches.value[0] ?? null
  )

  function listen(): void {
    unsubscribe ??= getApi().on('projectChanged', (event) => {
      if (event.reason === 'closed') setProject(null)
      else setProject(event.project)
    })
  }

  function setProject(summary: ProjectSummary | null): void {
    project.value = summary
    if (!summary) {
      currentBatchName.value = null
      return
    }
    if (!summary.batches.some((b) => b.name === currentBatchName.value))
      currentBatchName.value = summary.batches[0]?.name ?? null
  }

  /** Replaces one batch's summary (after a save or a design added), keeping the rest. */
  function updateBatch(summary: BatchSummary): void {
    if (!project.value) return
    project.value = {
      ...project.value,
      batches: project.value.batches.map((b) => (b.name === summary.name ? summary : b))
    }
  }

  async function loadStart(): Promise<void> {
    listen()
    const api = getApi()
    const [ex, rec, current] = await Promise.all([
      notices.attempt('Could not list the example projects', () => api.projects.listExamples()),
      notices.attempt('Could not list your recent projects', () => api.projects.recent()),
      notices.attempt('Could not ask which project is open', () => api.projects.current())
    ])
    examples.value = ex ?? []
    recent.value = rec ?? []
    if (current) setProject(current)
  }

  async function refreshRecent(): Promise<void> {
    recent.value =
      (await notices.attempt('Could not list your recent projects', () => getApi().projects.recent())) ??
      recent.value
  }

  async function withBusy<T>(work: () => Promise<T>): Promise<T> {
    busy.value = true
    try {
      return await work()
    } finally {
      busy.value = false
    }
  }

  async function open(dir: string, readOnly = false): Promise<boolean> {
    notAProject.value = null
    const result = await withBusy(() =>
      notices.attempt('Could not open the project', () => getApi().projects.open({ dir, readOnly }))
    )
    if (!result) return false
    if (result.kind === 'notAProject') {
      notAProject.value = result.dir
      return false
    }
    setProject(result.project)
    return true
  }

  async function create(dir: string, example?: string, name?: string): Promise<boolean> {
    const summary = await withBusy(() =>
      notices.attempt('Could not create the project', () => getApi().projects.create({ dir, example, name }))
    )
    if (!summary) return false
    setProject(summary)
    return true
  }

  async function createHere(dir: string): Promise<boolean> {
    const summary = await withBusy(() =>
      notices.attempt('Could not create a project in that folder', () =>
        getApi().projects.createHere({ dir })
      )
    )
    if (!summary) return false
    notAProject.value = null
    setProject(summary)
    return true
  }

  async function close(): Promise<void> {
    await notices.attempt('Could not close the project', () => getApi().projects.close())
    setProject(null)
    await refreshRecent()
  }

  async function refresh(): Promise<void> {
    const current = await notices.attempt('Could not reload the project', () => getApi().projects.current())
    if (current !== undefined) setProject(current)
  }

  /** Native folder dialog in Electron; null when cancelled or when running in a browser (use browse). */
  async function pickFolder(title: string): Promise<{ supported: boolean; dir: string | null }> {
    const picked = await notices.attempt('Could not show the folder dialog', () =>
      getApi().projects.pickFolder({ title })
    )
    return picked ?? { supported: false, dir: null }
  }

  async function browse(dir?: string): Promise<FolderListing | undefined> {
    const listing = await notices.attempt('Could not list that folder', () =>
      getApi().projects.browse(dir ? { dir } : {})
    )
    if (listing) home.value = listing.home
    return listing
  }

  /**
   * Where a new project goes unless the user picks another place: `<home>/Batchdesk/<base>`, numbered
   * (`quickstart-2`) when that folder exists. Asked quietly: a missing Batchdesk folder is not an error.
   */
  async function suggestLocation(base: string): Promise<{ parent: string; name: string }> {
    const api = getApi()
    if (!home.value) {
      const listing = await api.projects.browse({})
      if (listing.ok) home.value = listing.value.home
    }
    const parent = joinPath(home.value ?? '', 'Batchdesk')
    const existing = await api.projects.browse({ dir: parent })
    const taken = new Set(existing.ok ? existing.value.entries.map((e) => e.name) : [])
    let name = base
    for (let i = 2; taken.has(name); i++) name = `${base}-${i}`
    return { parent, name }
  }

  function selectBatch(name: string): void {
    currentBatchName.value = name
  }

  async function createBatch(name: string, runClassFile: string): Promise<boolean> {
    const summary = await notices.attempt('Could not add the batch', () =>
      getApi().batches.create({ name, runClassFile })
    )
    if (!summary) return false
    await refresh()
    currentBatchName.value = summary.name
    return true
  }

  return {
    project,
    examples,
    recent,
    batches,
    currentBatch,
    currentBatchName,
    busy,
    notAProject,
    home,
    loadStart,
    open,
    create,
    createHere,
    close,
    refresh,
    pickFolder,
    browse,
    suggestLocation,
    selectBatch,
    createBatch,
    updateBatch,
    setProject
  }
})
