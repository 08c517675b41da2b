/**
 * Framing of records on disk: `#bd1 <byteLength> <sha256hex>\n` + body bytes + `\n`.
 *
 * The header carries the body's length and checksum so a reader can verify a record on its own, and because
 * a JSON body never contains a raw newline, `\n#bd1 ` marks the next frame: a scan can resync after damage.
 */
import { hash } from 'node:crypto'

const MAGIC = '#bd1 '
const RESYNC_MARKER = Buffer.from('\n#bd1 ')
const NEWLINE = 0x0a
/** Longest possible header: magic, 15 digits, space, 64 hex digits, newline. */
const MAX_HEADER_BYTES = MAGIC.length + 15 + 1 + 64 + 1

/** A frame ready to write: `text` is the whole frame, `bytes` its UTF-8 length, `bodyBytes` the body's. */
export interface EncodedFrame {
  text: string
  bytes: number
  bodyBytes: number
}

/** Frames a record body. Costs one UTF-8 length pass and one SHA-256 over the body. */
export function encodeFrame(body: string): EncodedFrame {
  const bodyBytes = Buffer.byteLength(body)
  const header = `${MAGIC}${bodyBytes} ${hash('sha256', body)}\n`
  return { text: header + body + '\n', bytes: header.length + bodyBytes + 1, bodyBytes }
}

/** A frame whose checksum matched. Offsets are positions in the file. */
export interface ScannedFrame {
  offset: number
  length: number
  body: Buffer
}

/** Bytes that do not form a valid frame but are followed by one (or form a complete frame with a bad checksum). */
export interface DamagedRegion {
  offset: number
  length: number
  reason: string
  /** The region's bytes, to recover the batch and id when they are still legible. */
  bytes: Buffer
}

export interface ScanResult {
  frames: ScannedFrame[]
  damaged: DamagedRegion[]
  /**
   * File offset where the last complete frame (valid or damaged) ends. Bytes after it are a torn write: a frame
   * cut short by a crash or a failed write, which was never acknowledged.
   */
  end: number
}

type HeaderParse =
  { kind: 'ok'; bodyStart: number; bodyLength: number; sha: string } | { kind: 'incomplete' | 'invalid' }

function parseHeader(buffer: Buffer, position: number): HeaderParse {
  const available = buffer.length - position
  const magicBytes = Math.min(available, MAGIC.length)
  if (buffer.toString('latin1', position, position + magicBytes) !== MAGIC.slice(0, magicBytes))
    return { kind: 'invalid' }
  const newline = buffer.indexOf(NEWLINE, position)
  if (newline === -1 || newline - position >= MAX_HEADER_BYTES) {
    return available < MAX_HEADER_BYTES && newline === -1 ? { kind: 'incomplete' } : { kind: 'invalid' }
  }
  const match = /^#bd1 (0|[1-9][0-9]{0,14}) ([0-9a-f]{64})$/.exec(
    buffer.toString('latin1', position, newline)
  )
  if (!match) return { kind: 'invalid' }
  return { kind: 'ok', bodyStart: newline + 1, bodyLength: Number(match[1]), sha: match[2] }
}

/**
 * Finds the frames in `buffer`, which holds file bytes starting at file offset `baseOffset` (a frame boundary).
 * Never throws: damage is reported in the result.
 */
export function scanFrames(buffer: Buffer, baseOffset: number): ScanResult {
  const frames: ScannedFrame[] = []
  const damaged: DamagedRegion[] = []
  let position = 0
  while (position < buffer.length) {
    const header = parseHeader(buffer, position)
    let complete = false
    let reason: string
    if (header.kind === 'ok') {
      const bodyEnd = header.bodyStart + header.bodyLength
      if (bodyEnd < buffer.length && buffer[bodyEnd] === NEWLINE) {
        complete = true
        const body = buffer.subarray(header.bodyStart, bodyEnd)
        if (hash('sha256', body) === header.sha) {
          frames.push({ offset: baseOffset + position, length: bodyEnd + 1 - position, body })
          position = bodyEnd + 1
          continue
        }
        reason = 'checksum mismatch'
      } else {
        reason = bodyEnd >= buffer.length ? 'frame cut short' : 'frame not terminated by a newline'
      }
    } else {
      reason = header.kind === 'incomplete' ? 'frame header cut short' : 'invalid frame header'
    }
    const next = buffer.indexOf(RESYNC_MARKER, position + 1)
    if (next !== -1 || complete) {
      const end = next === -1 ? buffer.length : next + 1
      damaged.push({
        offset: baseOffset + position,
        length: end - position,
        reason,
        bytes: buffer.subarray(position, end)
      })
      position = end
      continue
    }
    return { frames, damaged, end: baseOffset + position }
  }
  return { frames, damaged, end: baseOffset + buffer.length }
}

const IDENTITY = /^\{"format":\d+,"batch":"([A-Za-z0-9][A-Za-z0-9_.-]{0,63})","id":"([0-9a-f]{40})"/

/** Recovers batch and id from a damaged frame whose header line and body start are still legible. */
export function identifyDamaged(bytes: Buffer): { batch: string; id: string } | undefined {
  const newline = bytes.indexOf(NEWLINE)
  if (newline === -1 || newline >= MAX_HEADER_BYTES) return undefined
  const match = IDENTITY.exec(
    bytes.toString('latin1', newline + 1, Math.min(bytes.length, newline + 1 + 160))
  )
  return match ? { batch: match[1], id: match[2] } : undefined
}

/** The total frame length its header declares, or undefined when `buffer` does not start with a valid header. */
export function declaredFrameLength(buffer: Buffer): number | undefined {
  const header = parseHeader(buffer, 0)
  return header.kind === 'ok' ? header.bodyStart + header.bodyLength + 1 : undefined
}

/**
 * Checks that `buffer` (a whole file or a slice at a frame offset) starts with one complete valid frame.
 * @returns the body, or a reason the frame is unusable.
 */
export function readOneFrame(buffer: Buffer): { body: Buffer } | { reason: string } {
  const header = parseHeader(buffer, 0)
  if (header.kind !== 'ok')
    return { reason: header.kind === 'incomplete' ? 'frame header cut short' : 'invalid frame header' }
  const bodyEnd = header.bodyStart + header.bodyLength
  if (bodyEnd >= buffer.length) return { reason: 'frame cut short' }
  if (buffer[bodyEnd] !== NEWLINE) return { reason: 'frame not terminated by a newline' }
  const body = buffer.subarray(header.bodyStart, bodyEnd)
  if (hash('sha256', body) !== header.sha) return { reason: 'checksum mismatch' }
  return { body }
}
