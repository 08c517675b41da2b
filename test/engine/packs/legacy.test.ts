import { cpSync, existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { importLegacyResults, importLegacyResultsInWorker, inspectPack } from '../../../src-main/engine/packs'
import { readNpy } from '../../../src-main/engine/packs/legacy-npy'
import { PickleError, unpickle } from '../../../src-main/engine/packs/pickle'
import { runId } from '../../../src-main/engine/params/canonical'
import { FunctionRef } from '../../../src-main/engine/params/function-ref'
import { acquireStore } from '../../../src-main/engine/store'
import { makeEmptyProject, makeTempFolder, removeFolder, withProject } from './helpers'

const fixtures = path.resolve(__dirname, '../../fixtures/packs')
const resFolder = path.join(fixtures, 'batchpy_res')
const read = (name: string) => readNpy(readFileSync(path.join(resFolder, name)), name) as Record<string, any>

// ---- a tiny pickle writer for the opcodes the tests need --------------------------------------------------

type Part = number | number[] | Buffer
const bytes = (...parts: Part[]) =>
  Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(typeof p === 'number' ? [p] : p))))
const str = (text: string) => {
  const utf8 = Buffer.from(text)
  return bytes(0x8c, utf8.length, utf8) // SHORT_BINUNICODE
}
const global = (module: string, name: string) => bytes(0x63, Buffer.from(`${module}\n${name}\n`)) // GLOBAL
const PROTO4 = bytes(0x80, 4)
const STOP = 0x2e
const EMPTY_DICT = 0x7d
const EMPTY_LIST = 0x5d
const MARK = 0x28
const SETITEMS = 0x75
const SETITEM = 0x73
const APPEND = 0x61
const TUPLE1 = 0x85
const REDUCE = 0x52
const BUILD = 0x62
const MEMOIZE = 0x94
const BINGET = 0x68
const DUP = 0x32
const int1 = (n: number) => bytes(0x4b, n)
const binfloat = (x: number) => {
  const b = Buffer.alloc(9)
  b[0] = 0x47
  b.writeDoubleBE(x, 1)
  return b
}
/** A float64 NumPy array exactly as NumPy pickles it: _reconstruct(ndarray, (0,), b'b') + BUILD. */
const float64Array = (values: number[]) => {
  const raw = Buffer.alloc(values.length * 8)
  values.forEach((v, i) => raw.writeDoubleLE(v, i * 8))
  return bytes(
    global('numpy.core.multiarray', '_reconstruct'),
    global('numpy', 'ndarray'),
    int1(0),
    TUPLE1,
    bytes(0x43, 1, 0x62),
    0x87,
    REDUCE, // (ndarray, (0,), b'b')
    MARK,
    int1(1),
    int1(values.length),
    TUPLE1,
    global('numpy', 'dtype'),
    str('f8'),
    0x89,
    0x88,
    0x87,
    REDUCE,
    MARK,
    int1(3),
    str('<'),
    0x4e,
    0x4e,
    0x4e,
    bytes(0x4a, [0xff, 0xff, 0xff, 0xff]),
    bytes(0x4a, [0xff, 0xff, 0xff, 0xff]),
    int1(0),
    0x74,
    BUILD,
    0x89,
    bytes(0x42, [raw.length, 0, 0, 0], raw),
    0x74,
    BUILD
  )
}

describe('the pickle reader', () => {
  it('reads a dict holding a float64 array, assembled by hand as NumPy writes it', () => {
    const pickle = bytes(
      PROTO4,
      EMPTY_DICT,
      MARK,
      str('res'),
      float64Array([1.5, -2, 1e300]),
      str('runtime'),
      binfloat(0.25),
      SETITEMS,
      STOP
    )
    expect(unpickle(pickle, 'hand.pkl')).toEqual({ res: Float64Array.of(1.5, -2, 1e300), runtime: 0.25 })
  })

  it('follows memo references', () => {
    const pickle = bytes(
      PROTO4,
      EMPTY_LIST,
      MEMOIZE,
      str('shared'),
      MEMOIZE,
      APPEND,
      EMPTY_DICT,
      str('a'),
      BINGET,
      1,
      SETITEM,
      APPEND,
      STOP
    )
    expect(unpickle(pickle, 'memo.pkl')).toEqual(['shared', { a: 'shared' }])
  })

  it.each([
    [
      'a global applied with REDUCE',
      bytes(PROTO4, global('builtins', 'eval'), str('1+1'), TUPLE1, REDUCE, STOP),
      /^refusing to load builtins\.eval from x\.pkl: only plain data is read$/
    ],
    [
      'os.system through STACK_GLOBAL',
      bytes(PROTO4, str('os'), str('system'), 0x93, str('true'), TUPLE1, REDUCE, STOP),
      /refusing to load os\.system/
    ],
    [
      'a class instantiated with NEWOBJ',
      bytes(PROTO4, global('collections', 'OrderedDict'), 0x29, 0x81, STOP),
      /refusing to load collections\.OrderedDict/
    ],
    [
      'a class instantiated with INST',
      bytes(PROTO4, MARK, 0x69, Buffer.from('subprocess\nPopen\n'), STOP),
      /refusing to load subprocess\.Popen/
    ],
    [
      'the state of a plain object set with BUILD',
      bytes(PROTO4, EMPTY_DICT, EMPTY_DICT, BUILD, STOP),
      /sets the state of an object/
    ],
    ['a persistent id', bytes(PROTO4, str('x'), 0x51, STOP), /persistent objects/],
    [
      'an ndarray subclass',
      bytes(
        PROTO4,
        global('numpy.core.multiarray', '_reconstruct'),
        global('numpy', 'matrix'),
        int1(0),
        TUPLE1,
        bytes(0x43, 1, 0x62),
        0x87,
        REDUCE,
        STOP
      ),
      /refusing to load numpy\.matrix/
    ]
  ])('refuses %s, naming it, without running anything', (_what, pickle, message) => {
    const error = (() => {
      try {
        unpickle(pickle, 'x.pkl')
      } catch (e) {
        return e as PickleError
      }
    })()
    expect(error).toBeInstanceOf(PickleError)
    expect(error!.message).toMatch(message)
    expect(error!.unsafe).toBe(true)
  })

  it.each([
    ['a cut-short pickle', bytes(PROTO4, bytes(0x58, [10, 0, 0, 0]), Buffer.from('abc')), /is cut short/],
    ['an unknown opcode', bytes(PROTO4, 0xff), /unknown pickle opcode 0xff/],
    [
      'a list that contains itself',
      bytes(PROTO4, EMPTY_LIST, MEMOIZE, BINGET, 0, APPEND, STOP),
      /contains itself/
    ],
    [
      'a memo bomb (each level refers twice to the one below)',
      (() => {
        const POP = 0x30
        const parts: Part[] = [PROTO4, EMPTY_LIST, MEMOIZE, POP]
        for (let level = 1; level <= 40; level++)
          parts.push(EMPTY_LIST, MARK, BINGET, level - 1, BINGET, level - 1, 0x65, MEMOIZE, POP)
        parts.push(BINGET, 40, STOP)
        return bytes(...parts)
      })(),
      /holds more than 5000000 values/
    ],
    [
      'an integer too large for JavaScript',
      bytes(PROTO4, 0x8a, 9, Buffer.alloc(9, 0x7f), STOP),
      /too large for a JavaScript number/
    ],
    [
      'a __proto__ key',
      bytes(PROTO4, EMPTY_DICT, str('__proto__'), EMPTY_DICT, SETITEM, STOP),
      /refuses in imported data/
    ],
    ['a stack left with two values', bytes(PROTO4, int1(1), DUP, STOP), /malformed stack/]
  ])('rejects %s with a clear message', (_what, pickle, message) => {
    expect(() => unpickle(pickle, 'x.pkl')).toThrow(message)
  })
})

describe('batchpy .npy files (made by test/fixtures/packs/make_batchpy_fixtures.py)', () => {
  it('reads protocol 3 (np.save): numbers, arrays, NumPy scalars, tuples, bytes, and functions by name', () => {
    const saved = read('example_6992dca4215ab3119d164bdf8cd227b6ff38b44c.npy')
    expect(saved.id).toBe('6992dca4215ab3119d164bdf8cd227b6ff38b44c')
    expect(saved.runtime).toBe(0.0125)
    expect(saved.res).toEqual({
      val: 80,
      curve: Float64Array.of(0.5, 1.5, -2.25),
      mean: 2.5,
      count: 7,
      notes: ['tuple', null, true, Uint8Array.of(0, 1)],
      nested: { k: [1, 2, 'three'] }
    })
    expect(saved.parameters).toEqual({ A: 10, B: [3, 2, 4, 3, 8], operator: new FunctionRef('builtins.max') })
  })

  it('reads protocol 2 (Python 2 names, bytes through _codecs) and 2-D arrays in C and Fortran order', () => {
    const saved = read('example_9e12b8447a73309d399032dd50c27c0dde1a8a8a.npy')
    const rows = [Float64Array.of(1, 2, 3), Float64Array.of(4, 5, 6)]
    expect(saved.res).toEqual({ val: 4, grid: rows, fortran: rows, empty: new Uint8Array(0) })
    expect(String(saved.parameters.operator)).toBe('min')
  })

  it('reads protocol 4 (frames, memoize, stack globals): int32, bool and unicode arrays, frozensets', () => {
    const saved = read('example_ece0dcf6912038c67c1881c1d4ded8085e9f926d.npy')
    expect(saved.res).toEqual({
      val: 72,
      ints: Int32Array.of(-1, 0, 2 ** 31 - 1),
      flags: [true, false],
      names: ['ab', 'xyz'],
      tags: new Set(['x'])
    })
  })

  it('reads a plain numeric .npy file (no pickle)', () => {
    expect(read('example_ids.npy')).toEqual(['x'])
  })
})

describe('importing a batchpy _res folder', () => {
  let dir: string
  beforeEach(() => {
    dir = makeTempFolder()
  })
  afterEach(() => removeFolder(dir))

  it('imports the batch with Batchdesk ids, keeping the batchpy id as the legacy id', async () => {
    const project = await makeEmptyProject(path.join(dir, 'mine'))
    const report = await withProject(project, (p) =>
      importLegacyResults(resFolder, p, { batch: 'example', now: new Date('2026-11-25T12:00:00Z') })
    )
    expect(report.rejected).toEqual([])
    expect(report.imported).toBe(3)
    expect(report.addedBatches).toEqual(['example'])
    expect(report.app.name).toBe('batchpy')

    function max() {}
    const id = runId({ A: 10, B: [3, 2, 4, 3, 8], operator: max })
    const store = acquireStore(path.join(project, '_res'))
    try {
      const stored = store.read('example', id)!
      expect(stored.origin).toMatchObject({
        pack: 'batchpy_res',
        legacyId: '6992dca4215ab3119d164bdf8cd227b6ff38b44c'
      })
      expect(stored.runtime).toBe(0.0125)
      expect((stored.result as { curve: Float64Array }).curve).toEqual(Float64Array.of(0.5, 1.5, -2.25))
      expect(store.listMeta('other')).toEqual([])
    } finally {
      store.release()
    }
    await withProject(project, async (p) => {
      const entry = p.manifest.batches[0]
      expect(entry).toMatchObject({
        name: 'example',
        runClass: 'imported/example/no-code.js',
        imported: { source: 'batchpy_res' }
      })
      expect(p.batch('example').batch.runs).toHaveLength(3)
      expect(p.batch('example').batch.getRunsWith({ operator: 'max' })).toHaveLength(1)
    })
    expect(readFileSync(path.join(project, 'imported/example/no-code.js'), 'utf8')).toMatch(
      /batchpy stores no code/
    )

    // Again: all present.
    const again = await withProject(project, (p) => importLegacyResults(resFolder, p, { batch: 'example' }))
    expect(again.totals).toMatchObject({ new: 0, present: 3 })
  })

  it('rejects a file that asks to run code and imports the rest, also through the worker thread', async () => {
    const project = await makeEmptyProject(path.join(dir, 'mine'))
    const evil = path.join(dir, '_res')
    cpSync(path.join(fixtures, 'batchpy_evil'), evil, { recursive: true })
    const report = await withProject(project, (p) =>
      importLegacyResultsInWorker(evil, p, { batch: 'example' })
    )
    expect(report.imported).toBe(1)
    expect(report.rejected).toEqual([
      {
        batch: 'example',
        id: 'db6ac41ca8e102d0f01743406b6f44797e50ef2b',
        reason:
          'refusing to load builtins.eval from example_db6ac41ca8e102d0f01743406b6f44797e50ef2b.npy: only plain data is read'
      }
    ])
  })

  it('says what to do when the folder holds no results of the batch', async () => {
    const project = await makeEmptyProject(path.join(dir, 'mine'))
    await expect(
      withProject(project, (p) => importLegacyResults(resFolder, p, { batch: 'nope' }))
    ).rejects.toThrow(/holds no batchpy results of batch nope \(files named nope_<id>\.npy\)/)
    await expect(withProject(project, (p) => inspectPack(resFolder, p))).rejects.toThrow(
      /is not a file; give a \.bdpack file/
    )
    expect(existsSync(path.join(project, 'imported'))).toBe(false)
  })
})
