/** Names of the files in a result folder (see docs/result-format.md). */

const SEGMENT = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,63})_s(\d{6,})\.bdseg$/
const RECORD = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,63})_([0-9a-f]{40})\.bdr$/
const TEMP = /^\..+\.tmp$/

export interface SegmentFile {
  name: string
  batch: string
  seq: number
}

export interface RecordFile {
  name: string
  batch: string
  id: string
}

export interface ResultFiles {
  /** Ordered by batch, then sequence number (the order they were written in). */
  segments: SegmentFile[]
  records: RecordFile[]
  /** Leftovers of interrupted atomic writes. */
  temps: string[]
}

/** `<batch>_s<6-digit seq>.bdseg`: an append-only file of many records. */
export function segmentFileName(batch: string, seq: number): string {
  return `${batch}_s${String(seq).padStart(6, '0')}.bdseg`
}

/** `<batch>_<id>.bdr`: one large record. */
export function recordFileName(batch: string, id: string): string {
  return `${batch}_${id}.bdr`
}

/** Sorts a folder listing into result files; other files (notes, batchpy's .npy files) are ignored. */
export function classifyResultFiles(names: string[]): ResultFiles {
  const files: ResultFiles = { segments: [], records: [], temps: [] }
  for (const name of names) {
    let match = SEGMENT.exec(name)
    if (match) {
      files.segments.push({ name, batch: match[1], seq: Number(match[2]) })
      continue
    }
    match = RECORD.exec(name)
    if (match) {
      files.records.push({ name, batch: match[1], id: match[2] })
      continue
    }
    if (TEMP.test(name)) files.temps.push(name)
  }
  files.segments.sort((a, b) => (a.batch < b.batch ? -1 : a.batch > b.batch ? 1 : a.seq - b.seq))
  files.records.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  return files
}
