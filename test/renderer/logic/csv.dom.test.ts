import { describe, expect, it } from 'vitest'
import { csvField, exportFileName, toCsv } from '../../../src-renderer/logic/csv'

describe('CSV', () => {
  it.each([
    [3.5, '3.5'],
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    [null, ''],
    [[2, 5, 8], '"[2,5,8]"'],
    ['=SUM(A1)', "'=SUM(A1)"],
    ['-3', '-3'],
    ['@cmd', "'@cmd"]
  ])('writes %j as %j', (value, field) => {
    expect(csvField(value)).toBe(field)
  })

  it('writes a header and rows with CRLF line ends', () => {
    expect(
      toCsv(
        ['A', 'B'],
        [
          [1, 'x'],
          [2, 'y, z']
        ]
      )
    ).toBe('A,B\r\n1,x\r\n2,"y, z"\r\n')
  })

  it('names export files safely', () => {
    expect(exportFileName('My sweep: v2', 'example', 'csv', new Date(2026, 10, 25))).toBe(
      'My-sweep-v2-example-2026-11-25.csv'
    )
  })
})
