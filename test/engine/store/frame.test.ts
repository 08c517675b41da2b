import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  declaredFrameLength,
  encodeFrame,
  identifyDamaged,
  readOneFrame,
  scanFrames
} from '../../../src-main/engine/store/frame'
import { recordBody } from '../../../src-main/engine/store/record'
import { idOf, makeResult } from './helpers'

function frameOf(n: number): Buffer {
  return Buffer.from(encodeFrame(recordBody(makeResult('example', n))).text)
}

describe('record frames', () => {
  it('frame a body as "#bd1 <byteLength> <sha256>\\n", the body, and a newline', () => {
    const body = '{"format":1,"text":"héllo"}'
    const frame = encodeFrame(body)
    const sha = createHash('sha256').update(body, 'utf8').digest('hex')
    expect(frame.text).toBe(`#bd1 ${Buffer.byteLength(body)} ${sha}\n${body}\n`)
    expect(frame.bytes).toBe(Buffer.byteLength(frame.text))
    expect(frame.bodyBytes).toBe(28)
    expect(declaredFrameLength(Buffer.from(frame.text))).toBe(frame.bytes)
  })

  it('find every frame of an intact segment, with file offsets', () => {
    const frames = [frameOf(0), frameOf(1), frameOf(2)]
    const scan = scanFrames(Buffer.concat(frames), 1000)
    expect(scan.frames.map((frame) => [frame.offset, frame.length])).toEqual([
      [1000, frames[0].length],
      [1000 + frames[0].length, frames[1].length],
      [1000 + frames[0].length + frames[1].length, frames[2].length]
    ])
    expect(scan.damaged).toEqual([])
    expect(scan.end).toBe(1000 + frames[0].length + frames[1].length + frames[2].length)
  })

  it('report a damaged frame in the middle and resync at the next frame', () => {
    const frames = [frameOf(0), frameOf(1), frameOf(2)]
    frames[1][frames[1].length - 10] ^= 0x04
    const scan = scanFrames(Buffer.concat(frames), 0)
    expect(scan.frames).toHaveLength(2)
    expect(scan.damaged).toHaveLength(1)
    expect(scan.damaged[0]).toMatchObject({
      offset: frames[0].length,
      length: frames[1].length,
      reason: 'checksum mismatch'
    })
    expect(identifyDamaged(scan.damaged[0].bytes)).toEqual({ batch: 'example', id: idOf(1) })
  })

  it('resync after a damaged header too', () => {
    const frames = [frameOf(0), frameOf(1), frameOf(2)]
    frames[1][2] = 0x78
    const scan = scanFrames(Buffer.concat(frames), 0)
    expect(scan.frames).toHaveLength(2)
    expect(scan.damaged[0]).toMatchObject({
      offset: frames[0].length,
      length: frames[1].length,
      reason: 'invalid frame header'
    })
  })

  it.each([
    ['a cut header', 3],
    ['a cut body', 150],
    ['a frame missing only its final newline', -1]
  ])('end the valid part before %s at the end', (_name, keep) => {
    const frames = [frameOf(0), frameOf(1)]
    const torn = frameOf(2).subarray(0, keep)
    const scan = scanFrames(Buffer.concat([...frames, torn]), 0)
    expect(scan.frames).toHaveLength(2)
    expect(scan.damaged).toEqual([])
    expect(scan.end).toBe(frames[0].length + frames[1].length)
  })

  it('keep a complete frame with a bad checksum at the end as damaged rather than cutting it', () => {
    const last = frameOf(1)
    last[last.length - 5] ^= 0x01
    const scan = scanFrames(Buffer.concat([frameOf(0), last]), 0)
    expect(scan.damaged).toHaveLength(1)
    expect(scan.end).toBe(frameOf(0).length + last.length)
  })

  it('read one frame and say why one is unusable', () => {
    expect(readOneFrame(frameOf(3))).toHaveProperty('body')
    expect(readOneFrame(frameOf(3).subarray(0, 100))).toEqual({ reason: 'frame cut short' })
    expect(readOneFrame(Buffer.from('{"format":1}\n'))).toEqual({ reason: 'invalid frame header' })
  })
})
