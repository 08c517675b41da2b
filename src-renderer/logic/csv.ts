/**
 * CSV for what the user sees: a header and rows, RFC 4180 quoting, so spreadsheets open it as it looks.
 * The engine exports whole filtered batches (`runs.exportCsv`); this writes the rows selected in the table.
 */

/** One CSV field: quoted when it holds a comma, quote, newline or leading/trailing space. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return ''
  const text =
    typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value)
  // A leading = + - @ makes spreadsheets evaluate the cell as a formula; a quote-prefix keeps it text.
  const safe = /^[=+\-@]/.test(text) && !/^[-+]?(\d|\.\d|Infinity)/.test(text) ? `'${text}` : text
  return /[",\r\n]|^\s|\s$/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

/** The table as CSV text with CRLF line ends (what Excel expects). */
export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const lines = [header.map(csvField).join(',')]
  for (const row of rows) lines.push(row.map(csvField).join(','))
  return `${lines.join('\r\n')}\r\n`
}

/** A file name for an export: `<project>-<batch>-2026-11-25.csv`, safe on every OS. */
export function exportFileName(project: string, batch: string, extension: string, date = new Date()): string {
  const safe = (text: string) => text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'batchdesk'
  const day = `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`
  return `${safe(project)}-${safe(batch)}-${day}.${extension}`
}
