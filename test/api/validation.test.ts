import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CALL_NAMES, findUnsafeInput } from '../../src-preload/contract'
import type { AppService } from '../../src-main/api/app-service'
import { createService, openQuickstart, valueOf } from './helpers'

function nested(depth: number): unknown {
  let value: unknown = 1
  for (let i = 0; i < depth; i++) value = { a: value }
  return value
}

const polluting = JSON.parse('{"dir":"/tmp","__proto__":{"polluted":true}}')

const badInputs: [string, string, unknown][] = [
  ['a number where a folder is expected', 'projects.open', { dir: 42 }],
  ['an oversized folder path', 'projects.open', { dir: 'x'.repeat(5000) }],
  ['an unknown key', 'projects.open', { dir: '/tmp', extra: 1 }],
  ['a __proto__ key', 'projects.open', polluting],
  [
    'a constructor.prototype key deep inside',
    'batches.addDesign',
    {
      batch: 'example',
      design: { kind: 'run', parameters: JSON.parse('{"A":{"constructor":{"prototype":{"x":1}}}}') }
    }
  ],
  [
    'a prototype key in a grid',
    'batches.previewDesign',
    { batch: 'example', design: { kind: 'factorial', grid: JSON.parse('{"A":[1,{"prototype":2}]}') } }
  ],
  ['too many conditions', 'runs.list', { batch: 'example', conditions: Array(51).fill('A=1') }],
  ['an oversized condition', 'runs.list', { batch: 'example', conditions: ['A=' + '1'.repeat(2000)] }],
  ['a page too large', 'runs.list', { batch: 'example', limit: 1_000_000 }],
  ['a batch name with a path in it', 'runs.list', { batch: '../etc' }],
  ['an oversized source', 'runClasses.save', { batch: 'example', source: 'x'.repeat(1_000_001) }],
  ['zero processes', 'settings.set', { processes: 0 }],
  ['an unknown theme', 'settings.set', { theme: 'neon' }],
  ['a negative run index', 'runs.details', { batch: 'example', index: -1 }],
  ['a fractional run index', 'runs.details', { batch: 'example', index: 1.5 }],
  ['no fields to chart', 'results.columns', { batch: 'example', fields: [] }],
  [
    'too many runs to overlay',
    'results.arrays',
    { batch: 'example', indices: Array.from({ length: 51 }, (_, i) => i), field: 'x' }
  ],
  ['a string where an object is expected', 'projects.current', 'hello'],
  [
    'input nested 40 levels deep',
    'batches.addDesign',
    { batch: 'example', design: { kind: 'run', parameters: { A: nested(40) } } }
  ],
  ['a call that does not exist', 'projects.delete', { dir: '/' }],
  ['a call name that is not a string', 42 as unknown as string, {}]
]

describe('input validation at the boundary', () => {
  let service: AppService
  beforeAll(async () => {
    service = createService()
    await openQuickstart(service)
  })
  afterAll(async () => {
    await service.dispose()
  })

  it.each(badInputs)('rejects %s with INVALID_ARGUMENT', async (_what, name, input) => {
    const result = await service.call(name, input)
    expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(({} as Record<string, unknown>).x).toBeUndefined()
  })

  it.each(CALL_NAMES.map((name) => [name]))('%s rejects a polluting key', async (name) => {
    const result = await service.call(name, JSON.parse('{"__proto__":{"polluted":true},"batch":"example"}'))
    expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
  })

  it('keeps working after every bad input', async () => {
    const project = valueOf(await service.call('projects.current', undefined))
    expect(project).toMatchObject({ batches: [{ name: 'example', runs: 62 }] })
  })

  it('names the field that is wrong in the message', async () => {
    const result = await service.call('runs.details', { batch: 'example', index: 'first' })
    expect(result).toMatchObject({ ok: false, error: { message: expect.stringContaining('index') } })
  })

  it('tells a condition that cannot be read from an unknown parameter', async () => {
    expect(await service.call('runs.list', { batch: 'example', conditions: ['A >>> 3'] })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' }
    })
    expect(await service.call('runs.list', { batch: 'example', conditions: ['Z = 3'] })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining("no parameter 'Z'") }
    })
  })
})

describe('findUnsafeInput', () => {
  it.each([
    [{ a: 1, b: [1, 'x', null] }, undefined],
    [JSON.parse('{"a":{"__proto__":1}}'), 'the key "__proto__" is not allowed in input'],
    [{ a: [{ constructor: 1 }] }, 'the key "constructor" is not allowed in input'],
    [{ when: new Date(0) }, 'input must be plain data (objects, arrays, strings, numbers)'],
    [nested(32), undefined],
    [nested(33), 'input nests deeper than 32 levels']
  ])('judges %j', (value, problem) => {
    expect(findUnsafeInput(value)).toBe(problem)
  })
})
