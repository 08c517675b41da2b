import { FunctionRef } from '../engine/params/function-ref'

/** Text of a parameter or result value for tables and CSV: functions by name, arrays as JSON. */
export function formatValue(value: unknown): string {
  if (value === undefined) return ''
  if (value instanceof FunctionRef) return value.name
  if (typeof value === 'function') return value.name
  if (typeof value === 'string') return value
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(12)))
  return JSON.stringify(value, (_key, v) => (v instanceof FunctionRef ? v.name : ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v))
}

/** A plain-text table with aligned columns. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.min(40, Math.max(h.length, ...rows.map((r) => r[i].length))))
  const clip = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width))
  const line = (cells: string[]) => cells.map((cell, i) => clip(cell, widths[i])).join('  ').trimEnd()
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

/** RFC 4180 CSV. Cells that start like a formula are prefixed so spreadsheets show them as text. */
export function formatCsv(header: string[], rows: string[][]): string {
  const cell = (text: string) => {
    const safe = /^[=+\-@\t\r]/.test(text) && !/^-?\d/.test(text) ? `'${text}` : text
    return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
  }
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n'
}

/** Seconds as "1.2 s", "3 min 4 s" or "2 h 5 min". */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '?'
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`
}
