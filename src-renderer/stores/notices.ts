/**
 * Toasts and confirm dialogs. Every engine error reaches the user through here (or an inline message next
 * to the field it concerns), so nothing fails silently: `attempt` turns an error envelope into a toast
 * that carries the engine's message, which already says what to do next.
 */
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { Result } from '../api/client'

export type NoticeKind = 'error' | 'warn' | 'info' | 'success'

export interface Notice {
  id: number
  kind: NoticeKind
  title: string
  message: string
  action?: { label: string; run: () => void }
}

export interface ConfirmRequest {
  title: string
  message: string
  confirmLabel: string
  cancelLabel?: string
  /** A third choice, e.g. "Save" beside "Discard" and "Cancel". */
  extraLabel?: string
  danger?: boolean
}

export type ConfirmAnswer = 'confirm' | 'extra' | 'cancel'

/** How long informational toasts stay (warnings three times as long); errors stay until dismissed. */
const AUTO_DISMISS_MS = 4000

export const useNoticesStore = defineStore('notices', () => {
  const notices = ref<Notice[]>([])
  const pendingConfirm = ref<(ConfirmRequest & { resolve: (answer: ConfirmAnswer) => void }) | null>(null)
  let nextId = 1

  function push(kind: NoticeKind, title: string, message = '', action?: Notice['action']): number {
    const id = nextId++
    // The same error repeated (a poll failing every second) shows once.
    if (notices.value.some((n) => n.kind === kind && n.title === title && n.message === message)) return id
    notices.value = [...notices.value.slice(-2), { id, kind, title, message, action }]
    if (kind !== 'error')
      setTimeout(() => dismiss(id), kind === 'warn' ? AUTO_DISMISS_MS * 3 : AUTO_DISMISS_MS)
    return id
  }

  function dismiss(id: number): void {
    notices.value = notices.value.filter((n) => n.id !== id)
  }

  /**
   * Runs one API call; on an error envelope shows `title` with the engine's message and returns undefined.
   * Cancellation is not a failure: it returns undefined quietly.
   */
  async function attempt<T>(title: string, call: () => Promise<Result<T>>): Promise<T | undefined> {
    let result: Result<T>
    try {
      result = await call()
    } catch (error) {
      push(
        'error',
        title,
        `Something went wrong inside Batchdesk: ${(error as Error).message}. Try again; if it keeps happening, restart Batchdesk.`
      )
      return undefined
    }
    if (result.ok) return result.value
    if (result.error.code !== 'CANCELLED') push('error', title, result.error.message)
    return undefined
  }

  /** Drops every toast (leaving a project: its messages no longer apply). */
  function clear(): void {
    notices.value = []
  }

  /** Asks a question in a modal; resolves with the button chosen (Escape cancels). */
  function confirm(request: ConfirmRequest): Promise<ConfirmAnswer> {
    pendingConfirm.value?.resolve('cancel')
    return new Promise((resolve) => {
      pendingConfirm.value = { ...request, resolve }
    })
  }

  function answer(choice: ConfirmAnswer): void {
    const request = pendingConfirm.value
    pendingConfirm.value = null
    request?.resolve(choice)
  }

  return { notices, pendingConfirm, push, dismiss, clear, attempt, confirm, answer }
})
