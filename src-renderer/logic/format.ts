/** Numbers, durations and ids written the way the UI shows them everywhere. */
import { roundFloat } from './gridValues'

/** 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

/** A duration for people: "0.4 s", "12 s", "3 min 20 s", "2 h 05 min", "3 days 4 h". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—'
  if (seconds < 0) seconds = 0
  if (seconds < 1)
    return seconds === 0 ? '0 s' : `${seconds < 0.001 ? '<1 ms' : `${Math.round(seconds * 1000)} ms`}`
  if (seconds < 10) return `${roundFloat(Math.round(seconds * 10) / 10)} s`
  if (seconds < 60) return `${Math.round(seconds)} s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes} min ${String(Math.round(seconds % 60)).padStart(2, '0')} s`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`
  return `${Math.floor(hours / 24)} days ${hours % 24} h`
}

/** A run's runtime in the table: milliseconds below a second, seconds otherwise. */
export function formatRuntime(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return ''
  if (seconds < 0.001) return `${Math.round(seconds * 1e6)} µs`
  if (seconds < 1) return `${roundFloat(Number((seconds * 1000).toPrecision(3)))} ms`
  return `${roundFloat(Number(seconds.toPrecision(4)))} s`
}

/** Runs per second, "12.5/s" or "0.20/s". */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return '—'
  return `${perSecond >= 100 ? formatCount(perSecond) : perSecond >= 10 ? perSecond.toFixed(1) : perSecond.toFixed(2)}/s`
}

/** A cell value: numbers without float noise, long text shortened. */
export function formatCell(value: unknown, maxLength = 60): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(roundFloat(value))
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text
}

/**
 * A number in a table cell: six significant digits (31.37597501 → 31.376) so columns stay readable;
 * the details panel shows the full value.
 */
export function formatTableCell(value: unknown): string {
  if (typeof value === 'number' && !Number.isInteger(value) && Number.isFinite(value)) {
    return Math.abs(value) >= 1e-4 && Math.abs(value) < 1e9
      ? String(Number(value.toPrecision(6)))
      : value.toExponential(4)
  }
  return formatCell(value, 40)
}

/** The first 8 characters of a 40-character id: enough to tell runs apart at a glance. */
export function shortId(id: string): string {
  return id.slice(0, 8)
}

/** "2 minutes ago", for recent projects. */
export function formatAgo(epochMs: number, now = Date.now()): string {
  const seconds = Math.max(0, (now - epochMs) / 1000)
  if (seconds < 60) return 'just now'
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`
  const days = Math.floor(seconds / 86400)
  if (days < 30) return `${days} day${days > 1 ? 's' : ''} ago`
  return new Date(epochMs).toLocaleDateString()
}

/**
 * A message with the project folder taken out of file paths: "/home/ana/sweeps/run.ts:7:19: …" reads
 * "run.ts:7:19: …". The folder is shown once in the status bar; repeating it hides the line number.
 */
export function withoutProjectDir(message: string, dir: string | undefined): string {
  if (!dir) return message
  const prefixes = [dir.endsWith('/') || dir.endsWith('\\') ? dir : `${dir}/`, `${dir}\\`]
  let out = message
  for (const prefix of prefixes) out = out.split(prefix).join('')
  return out
}
