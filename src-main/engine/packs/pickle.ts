/**
 * A safe reader for the subset of Python pickles that batchpy results use (protocols 2 to 5): None, bools,
 * ints, floats, str, bytes, tuples, lists, dicts, sets, memo operations, and NumPy arrays, dtypes and scalars.
 *
 * Nothing is ever imported or called. A global (GLOBAL / STACK_GLOBAL) becomes an inert name; only the
 * NumPy constructors listed in SAFE_CALLS may be applied to arguments (REDUCE), and they are interpreted here,
 * not run. Applying any other global (REDUCE, NEWOBJ, INST, OBJ, BUILD on it) is refused with the name of the
 * global, e.g. "refusing to load builtins.eval from example_3f2a.npy: only plain data is read". A global
 * that is only named, never applied (batchpy's function parameters such as `operator = max`), becomes a
 * FunctionRef by name, as Batchdesk keeps function parameters.
 */
import { FunctionRef } from '../params/function-ref'
import { isForbiddenKey } from './safe-json'

/** A pickle that cannot be read safely; the message names the file and what was refused. */
export class PickleError extends Error {
  constructor(
    message: string,
    /** True when the pickle asked to run code (an unsafe global), false when it is merely damaged or unsupported. */
    readonly unsafe = false
  ) {
    super(message)
    this.name = 'PickleError'
  }
}

/** A global named by the pickle (`module.name`), never imported. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`
  }
}

class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

class PySet {
  constructor(readonly items: PyValue[]) {}
}

class PyDict {
  readonly keys: PyValue[] = []
  readonly values: PyValue[] = []
  readonly #index = new Map<unknown, number>()

  set(key: PyValue, value: PyValue): void {
    const lookup = key instanceof Uint8Array ? `b:${Buffer.from(key).toString('latin1')}` : key
    const at = typeof lookup === 'object' && lookup !== null ? undefined : this.#index.get(lookup)
    if (at !== undefined) {
      this.values[at] = value
      return
    }
    if (typeof lookup !== 'object' || lookup === null) this.#index.set(lookup, this.keys.length)
    this.keys.push(key)
    this.values.push(value)
  }
}

/** A NumPy dtype: kind and item size such as `f8`, `i4`, `U5`, `O`, and the byte order. */
export class NpDtype {
  byteOrder = '|'
  constructor(readonly descr: string) {}
}

/** A NumPy array being rebuilt: `_reconstruct` makes it empty, BUILD fills in shape, dtype and data. */
export class NpArray {
  shape: number[] = []
  dtype: NpDtype = new NpDtype('O')
  fortranOrder = false
  /** Raw bytes for numeric dtypes, the items for object arrays. */
  data: Uint8Array | PyValue[] = []
}

type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PyValue[]
  | PyTuple
  | PyDict
  | PySet
  | PyGlobal
  | NpDtype
  | NpArray

const MARK = Symbol('mark')
type StackItem = PyValue | typeof MARK

/** Callables a pickle may apply: interpreted here by name, never imported. */
const SAFE_CALLS = new Set([
  'numpy.core.multiarray._reconstruct',
  'numpy._core.multiarray._reconstruct',
  'numpy.dtype',
  'numpy.core.multiarray.scalar',
  'numpy._core.multiarray.scalar',
  '_codecs.encode',
  'builtins.bytes',
  '__builtin__.bytes'
])
/** Globals that may be named as the class of `_reconstruct`. */
const NDARRAY = new Set(['numpy.ndarray'])

export interface UnpickleLimits {
  /** Deepest nesting of containers in the result. */
  maxDepth: number
  /** Values created while converting the result (guards against memo-reference blow-ups). */
  maxValues: number
}

const DEFAULT_LIMITS: UnpickleLimits = { maxDepth: 200, maxValues: 5_000_000 }

/**
 * Reads a pickle into plain JavaScript values: null, booleans, numbers, strings, Uint8Array (bytes), arrays
 * (lists and tuples), plain objects (dicts with string or number keys), Sets, typed arrays (NumPy arrays;
 * nested arrays of typed arrays for several dimensions) and FunctionRefs (named globals).
 * @param label the file name used in messages.
 * @throws PickleError for anything outside that subset, and for unsafe globals (`unsafe` set).
 */
export function unpickle(bytes: Uint8Array, label: string, limits: Partial<UnpickleLimits> = {}): unknown {
  return toJs(new Unpickler(bytes, label).load(), label, { ...DEFAULT_LIMITS, ...limits })
}

/** Converts a NumPy array read without pickle (a numeric .npy file) as unpickle converts arrays. */
export function numpyArrayToJs(array: NpArray, label: string, limits: Partial<UnpickleLimits> = {}): unknown {
  return toJs(array, label, { ...DEFAULT_LIMITS, ...limits })
}

class Unpickler {
  readonly #bytes: Uint8Array
  readonly #view: DataView
  readonly #label: string
  #at = 0
  #stack: StackItem[] = []
  readonly #marks: number[] = []
  readonly #memo = new Map<number, PyValue>()

  constructor(bytes: Uint8Array, label: string) {
    this.#bytes = bytes
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.#label = label
  }

  load(): PyValue {
    for (;;) {
      const offset = this.#at
      const op = this.#u8()
      switch (op) {
        case 0x80: // PROTO
          if (this.#u8() > 5) this.#fail('uses a pickle protocol newer than 5')
          break
        case 0x95: // FRAME: a length prefix only
          this.#take(8)
          break
        case 0x2e: // STOP
          if (this.#stack.length !== 1 || this.#marks.length > 0) this.#fail('ends with a malformed stack')
          return this.#value(this.#stack.pop()!)
        case 0x28: // MARK
          this.#marks.push(this.#stack.length)
          this.#stack.push(MARK)
          break
        case 0x30: // POP
          if (this.#stack.pop() === MARK) this.#marks.pop()
          break
        case 0x31: // POP_MARK
          this.#popMark()
          break
        case 0x32: // DUP
          this.#push(this.#top())
          break
        case 0x4e: // NONE
          this.#push(null)
          break
        case 0x88: // NEWTRUE
          this.#push(true)
          break
        case 0x89: // NEWFALSE
          this.#push(false)
          break
        case 0x4a: // BININT
          this.#push(this.#view.getInt32(this.#take(4), true))
          break
        case 0x4b: // BININT1
          this.#push(this.#u8())
          break
        case 0x4d: // BININT2
          this.#push(this.#view.getUint16(this.#take(2), true))
          break
        case 0x49: // INT (text; 00 and 01 are False and True)
          this.#push(this.#textInt(this.#line()))
          break
        case 0x4c: // LONG (text, trailing L)
          this.#push(this.#bigint(BigInt(this.#checkedDigits(this.#line().replace(/L$/, '')))))
          break
        case 0x8a: // LONG1
          this.#push(this.#long(this.#u8()))
          break
        case 0x8b: // LONG4
          this.#push(this.#long(this.#view.getUint32(this.#take(4), true)))
          break
        case 0x47: // BINFLOAT (big-endian)
          this.#push(this.#view.getFloat64(this.#take(8), false))
          break
        case 0x46: // FLOAT (text)
          this.#push(this.#textFloat(this.#line()))
          break
        case 0x58: // BINUNICODE
          this.#push(this.#utf8(this.#view.getUint32(this.#take(4), true)))
          break
        case 0x8c: // SHORT_BINUNICODE
          this.#push(this.#utf8(this.#u8()))
          break
        case 0x8d: // BINUNICODE8
          this.#push(this.#utf8(this.#u64()))
          break
        case 0x56: // UNICODE (raw-unicode-escape line)
          this.#push(
            this.#line().replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, u4, u8) =>
              String.fromCodePoint(parseInt(u4 ?? u8, 16))
            )
          )
          break
        case 0x54: // BINSTRING (Python 2 str)
          this.#push(this.#latin1(this.#view.getInt32(this.#take(4), true)))
          break
        case 0x55: // SHORT_BINSTRING
          this.#push(this.#latin1(this.#u8()))
          break
        case 0x42: // BINBYTES
          this.#push(this.#copy(this.#view.getUint32(this.#take(4), true)))
          break
        case 0x43: // SHORT_BINBYTES
          this.#push(this.#copy(this.#u8()))
          break
        case 0x8e: // BINBYTES8
        case 0x96: // BYTEARRAY8
          this.#push(this.#copy(this.#u64()))
          break
        case 0x29: // EMPTY_TUPLE
          this.#push(new PyTuple([]))
          break
        case 0x85: // TUPLE1
        case 0x86: // TUPLE2
        case 0x87: {
          // TUPLE3
          const count = op - 0x84
          if (this.#stack.length - (this.#marks.at(-1) ?? -1) - 1 < count)
            this.#fail('builds a tuple from too few values')
          this.#push(new PyTuple(this.#popValues(count)))
          break
        }
        case 0x74: // TUPLE
          this.#push(new PyTuple(this.#popMark()))
          break
        case 0x5d: // EMPTY_LIST
          this.#push([])
          break
        case 0x6c: // LIST
          this.#push(this.#popMark())
          break
        case 0x61: {
          // APPEND
          const item = this.#pop()
          this.#list(this.#top()).push(item)
          break
        }
        case 0x65: {
          // APPENDS
          const items = this.#popMark()
          const list = this.#list(this.#top())
          for (const item of items) list.push(item)
          break
        }
        case 0x7d: // EMPTY_DICT
          this.#push(new PyDict())
          break
        case 0x64: {
          // DICT
          const items = this.#popMark()
          if (items.length % 2 !== 0) this.#fail('builds a dict from an odd number of values')
          const dict = new PyDict()
          for (let i = 0; i < items.length; i += 2) dict.set(items[i], items[i + 1])
          this.#push(dict)
          break
        }
        case 0x73: {
          // SETITEM
          const value = this.#pop()
          const key = this.#pop()
          this.#dict(this.#top()).set(key, value)
          break
        }
        case 0x75: {
          // SETITEMS
          const items = this.#popMark()
          if (items.length % 2 !== 0) this.#fail('sets dict items from an odd number of values')
          const dict = this.#dict(this.#top())
          for (let i = 0; i < items.length; i += 2) dict.set(items[i], items[i + 1])
          break
        }
        case 0x8f: // EMPTY_SET
          this.#push(new PySet([]))
          break
        case 0x90: {
          // ADDITEMS
          const items = this.#popMark()
          const set = this.#top()
          if (!(set instanceof PySet)) this.#fail('adds set items to something that is not a set')
          set.items.push(...items)
          break
        }
        case 0x91: // FROZENSET
          this.#push(new PySet(this.#popMark()))
          break
        case 0x70: // PUT (text)
          this.#memoPut(this.#index(this.#line()))
          break
        case 0x71: // BINPUT
          this.#memoPut(this.#u8())
          break
        case 0x72: // LONG_BINPUT
          this.#memoPut(this.#view.getUint32(this.#take(4), true))
          break
        case 0x94: // MEMOIZE
          this.#memoPut(this.#memo.size)
          break
        case 0x67: // GET (text)
          this.#memoGet(this.#index(this.#line()))
          break
        case 0x68: // BINGET
          this.#memoGet(this.#u8())
          break
        case 0x6a: // LONG_BINGET
          this.#memoGet(this.#view.getUint32(this.#take(4), true))
          break
        case 0x63: {
          // GLOBAL
          const module = this.#line()
          this.#push(this.#global(module, this.#line()))
          break
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = this.#pop()
          const module = this.#pop()
          if (typeof module !== 'string' || typeof name !== 'string')
            this.#fail('names a global with values that are not strings')
          this.#push(this.#global(module, name))
          break
        }
        case 0x52: {
          // REDUCE
          const args = this.#pop()
          const callable = this.#pop()
          this.#push(this.#reduce(callable, args))
          break
        }
        case 0x62: {
          // BUILD
          const state = this.#pop()
          this.#build(this.#top(), state)
          break
        }
        case 0x81: // NEWOBJ
        case 0x92: {
          // NEWOBJ_EX
          if (op === 0x92) this.#pop()
          this.#pop()
          this.#refuse(this.#pop())
          break
        }
        case 0x6f: {
          // OBJ
          const items = this.#popMark()
          this.#refuse(items[0] ?? null)
          break
        }
        case 0x69: {
          // INST
          const module = this.#line()
          this.#refuse(new PyGlobal(module, this.#line()))
          break
        }
        case 0x50: // PERSID
        case 0x51: // BINPERSID
          this.#fail('refers to persistent objects outside the file; only plain data is read', true)
          break
        case 0x82: // EXT1
        case 0x83: // EXT2
        case 0x84: // EXT4
          this.#fail('refers to registered extension classes; only plain data is read', true)
          break
        case 0x97: // NEXT_BUFFER
        case 0x98: // READONLY_BUFFER
          this.#fail('refers to out-of-band buffers, which a file cannot hold')
          break
        case 0x53: // STRING (protocol 0 text string)
          this.#fail('uses protocol 0 text strings, which batchpy files do not')
          break
        default:
          this.#fail(`has an unknown pickle opcode 0x${op.toString(16)} at byte ${offset}`)
      }
    }
  }

  #global(module: string, name: string): PyGlobal {
    if (!/^[A-Za-z_][\w.]*$/.test(module) || !/^[A-Za-z_][\w.]*$/.test(name))
      this.#fail(
        `names a global ${JSON.stringify(`${module}.${name}`).slice(0, 120)} that is not a Python name`
      )
    return new PyGlobal(module, name)
  }

  #reduce(callable: PyValue, args: PyValue): PyValue {
    if (!(callable instanceof PyGlobal) || !SAFE_CALLS.has(callable.qualifiedName)) this.#refuse(callable)
    if (!(args instanceof PyTuple)) this.#fail(`calls ${callable.qualifiedName} without an argument tuple`)
    const [first, second] = args.items
    switch (callable.name) {
      case '_reconstruct':
        if (!(first instanceof PyGlobal) || !NDARRAY.has(first.qualifiedName)) this.#refuse(first ?? null)
        return new NpArray()
      case 'dtype':
        if (typeof first !== 'string') this.#fail('makes a NumPy dtype from something that is not a string')
        return new NpDtype(first)
      case 'scalar': {
        if (!(first instanceof NpDtype)) this.#fail('makes a NumPy scalar without a dtype')
        const array = new NpArray()
        array.dtype = first
        if (first.descr === 'O' || first.descr === 'O8') array.data = [second ?? null]
        else if (second instanceof Uint8Array) array.data = second
        else this.#fail('makes a NumPy scalar from something that is not bytes')
        return array
      }
      case 'bytes':
        // Protocol 2 writes b'' as bytes().
        if (args.items.length !== 0) this.#fail('calls bytes with arguments')
        return new Uint8Array(0)
      case 'encode':
        // Protocol 2 writes bytes as _codecs.encode(text, 'latin1').
        if (typeof first !== 'string' || (second !== 'latin1' && second !== 'latin-1'))
          this.#fail('encodes text with something other than latin1')
        return new Uint8Array(Buffer.from(first, 'latin1'))
    }
    return this.#refuse(callable)
  }

  #build(target: PyValue, state: PyValue): void {
    if (target instanceof NpDtype) {
      // (version, byte order, subarray, names, fields, itemsize, alignment, flags)
      if (!(state instanceof PyTuple) || typeof state.items[1] !== 'string')
        this.#fail('sets a NumPy dtype from a malformed state')
      if (state.items[2] != null || state.items[3] != null)
        this.#fail('holds a structured NumPy array; only plain numeric, string and object arrays are read')
      target.byteOrder = state.items[1]
      return
    }
    if (target instanceof NpArray) {
      // (version, shape, dtype, is_fortran, raw data)
      const items = state instanceof PyTuple ? state.items : []
      const [, shape, dtype, fortran, data] = items
      if (items.length !== 5 || !(shape instanceof PyTuple) || !(dtype instanceof NpDtype))
        this.#fail('sets a NumPy array from a malformed state')
      const dims = shape.items.map((dim) =>
        typeof dim === 'number' && Number.isInteger(dim) && dim >= 0
          ? dim
          : this.#fail('gives a NumPy array a bad shape')
      )
      target.shape = dims
      target.dtype = dtype
      target.fortranOrder = fortran === true
      if (data instanceof Uint8Array) target.data = data
      else if (Array.isArray(data)) target.data = data
      else this.#fail('gives a NumPy array data that is neither bytes nor a list')
      return
    }
    this.#refuse(target instanceof PyGlobal ? target : null, 'sets the state of an object')
  }

  #refuse(what: PyValue, action = 'loads'): never {
    if (what instanceof PyGlobal)
      this.#fail(
        `refusing to load ${what.qualifiedName} from ${this.#label}: only plain data is read`,
        true,
        false
      )
    this.#fail(`${action} something other than plain data; only plain data is read`, true)
  }

  #memoPut(index: number): void {
    if (this.#memo.size > 10_000_000) this.#fail('memoizes more than 10,000,000 values')
    this.#memo.set(index, this.#top())
  }

  #memoGet(index: number): void {
    if (!this.#memo.has(index)) this.#fail(`reads memo entry ${index}, which was never written`)
    this.#push(this.#memo.get(index)!)
  }

  #push(value: PyValue): void {
    this.#stack.push(value)
  }

  #pop(): PyValue {
    if (this.#stack.length === 0) this.#fail('pops from an empty stack')
    return this.#value(this.#stack.pop()!)
  }

  #top(): PyValue {
    if (this.#stack.length === 0) this.#fail('reads from an empty stack')
    return this.#value(this.#stack[this.#stack.length - 1])
  }

  #value(item: StackItem): PyValue {
    if (item === MARK) this.#fail('uses a mark as a value')
    return item
  }

  #popMark(): PyValue[] {
    const mark = this.#marks.pop()
    if (mark === undefined) this.#fail('closes a mark that was never opened')
    const items = this.#stack.splice(mark) as StackItem[]
    return items.slice(1).map((item) => this.#value(item))
  }

  #popValues(count: number): PyValue[] {
    return this.#stack.splice(this.#stack.length - count).map((item) => this.#value(item))
  }

  #list(value: PyValue): PyValue[] {
    if (!Array.isArray(value)) this.#fail('appends to something that is not a list')
    return value
  }

  #dict(value: PyValue): PyDict {
    if (!(value instanceof PyDict)) this.#fail('sets an item of something that is not a dict')
    return value
  }

  #u8(): number {
    return this.#bytes[this.#take(1)]
  }

  #u64(): number {
    const value = this.#view.getBigUint64(this.#take(8), true)
    if (value > BigInt(this.#bytes.length)) this.#fail('declares a value longer than the file')
    return Number(value)
  }

  /** Advances over `count` bytes and returns where they start; never past the end. */
  #take(count: number): number {
    if (count < 0 || this.#at + count > this.#bytes.length) this.#fail('is cut short (truncated or damaged)')
    const start = this.#at
    this.#at += count
    return start
  }

  #copy(count: number): Uint8Array {
    const start = this.#take(count)
    return this.#bytes.slice(start, start + count)
  }

  #utf8(count: number): string {
    const start = this.#take(count)
    return Buffer.from(this.#bytes.buffer, this.#bytes.byteOffset + start, count).toString('utf8')
  }

  #latin1(count: number): string {
    const start = this.#take(count)
    return Buffer.from(this.#bytes.buffer, this.#bytes.byteOffset + start, count).toString('latin1')
  }

  #line(): string {
    const end = this.#bytes.indexOf(0x0a, this.#at)
    if (end < 0 || end - this.#at > 10_000) this.#fail('has a text field without its newline')
    const text = Buffer.from(this.#bytes.buffer, this.#bytes.byteOffset + this.#at, end - this.#at).toString(
      'latin1'
    )
    this.#at = end + 1
    return text
  }

  #index(text: string): number {
    if (!/^\d{1,9}$/.test(text)) this.#fail('has a malformed memo index')
    return Number(text)
  }

  #textInt(text: string): PyValue {
    if (text === '00') return false
    if (text === '01') return true
    return this.#bigint(BigInt(this.#checkedDigits(text)))
  }

  #checkedDigits(text: string): string {
    if (!/^[+-]?\d{1,4000}$/.test(text)) this.#fail('has a malformed integer')
    return text
  }

  #textFloat(text: string): number {
    const value = Number(text)
    if (text.trim() === '' || (Number.isNaN(value) && !/^[+-]?nan$/i.test(text)))
      this.#fail('has a malformed float')
    return value
  }

  #long(count: number): PyValue {
    const start = this.#take(count)
    if (count === 0) return 0
    let value = 0n
    for (let i = count - 1; i >= 0; i--) value = (value << 8n) | BigInt(this.#bytes[start + i])
    if (this.#bytes[start + count - 1] & 0x80) value -= 1n << BigInt(8 * count)
    return this.#bigint(value)
  }

  #bigint(value: bigint): number | bigint {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value
  }

  #fail(reason: string, unsafe = false, prefix = true): never {
    throw new PickleError(prefix ? `${this.#label} ${reason}` : reason, unsafe)
  }
}

// ---- conversion to JavaScript values ------------------------------------------------------------------

const TYPED: Record<string, { bytes: number; make: (buffer: ArrayBuffer) => ArrayLike<number> }> = {
  f8: { bytes: 8, make: (b) => new Float64Array(b) },
  f4: { bytes: 4, make: (b) => new Float32Array(b) },
  i4: { bytes: 4, make: (b) => new Int32Array(b) },
  i2: { bytes: 2, make: (b) => new Int16Array(b) },
  i1: { bytes: 1, make: (b) => new Int8Array(b) },
  u4: { bytes: 4, make: (b) => new Uint32Array(b) },
  u2: { bytes: 2, make: (b) => new Uint16Array(b) },
  u1: { bytes: 1, make: (b) => new Uint8Array(b) }
}

function toJs(root: PyValue, label: string, limits: UnpickleLimits): unknown {
  let made = 0
  const fail = (reason: string): never => {
    throw new PickleError(`${label} ${reason}`)
  }
  const ancestors = new Set<object>()
  const convert = (value: PyValue, depth: number): unknown => {
    if (++made > limits.maxValues)
      fail(`holds more than ${limits.maxValues} values (or refers to the same ones over and over)`)
    if (depth > limits.maxDepth) fail(`nests values deeper than ${limits.maxDepth} levels`)
    if (
      value === null ||
      typeof value === 'boolean' ||
      typeof value === 'number' ||
      typeof value === 'string'
    )
      return value
    if (typeof value === 'bigint')
      return fail(`holds the integer ${value.toString().slice(0, 40)}, too large for a JavaScript number`)
    if (value instanceof Uint8Array) return new Uint8Array(value)
    if (value instanceof PyGlobal) return new FunctionRef(value.qualifiedName)
    if (value instanceof NpDtype) return value.descr
    if (ancestors.has(value)) fail('holds a value that contains itself')
    ancestors.add(value)
    try {
      if (Array.isArray(value)) return value.map((item) => convert(item, depth + 1))
      if (value instanceof PyTuple) return value.items.map((item) => convert(item, depth + 1))
      if (value instanceof PySet) return new Set(value.items.map((item) => convert(item, depth + 1)))
      if (value instanceof PyDict) {
        const out: Record<string, unknown> = {}
        for (let i = 0; i < value.keys.length; i++) {
          const key = value.keys[i]
          if (typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'boolean')
            fail('has a dict key that is not a string or a number')
          const name = key === true ? 'True' : key === false ? 'False' : String(key)
          if (isForbiddenKey(name))
            fail(`has the dict key "${name}", which Batchdesk refuses in imported data`)
          Object.defineProperty(out, name, {
            value: convert(value.values[i], depth + 1),
            enumerable: true,
            writable: true,
            configurable: true
          })
        }
        return out
      }
      return convertArray(value, depth)
    } finally {
      ancestors.delete(value)
    }
  }

  const convertArray = (array: NpArray, depth: number): unknown => {
    const count = array.shape.reduce((product, dim) => product * dim, 1)
    if (count > limits.maxValues)
      fail(`holds a NumPy array of ${count} elements, more than ${limits.maxValues}`)
    const order = array.dtype.byteOrder
    const descr = array.dtype.descr.replace(/^[<>=|]/, '')
    const swap = order === '>' || array.dtype.descr.startsWith('>')
    let flat: (index: number) => unknown
    let typed: ((start: number, length: number) => unknown) | undefined
    if (descr === 'O' || descr === 'O8') {
      const items = array.data
      if (!Array.isArray(items) || items.length !== count)
        return fail('holds an object array whose items do not match its shape')
      flat = (index) => convert(items[index], depth + 1)
    } else {
      const bytes = array.data
      if (!(bytes instanceof Uint8Array)) return fail(`holds a ${descr} array without raw data`)
      const kind = TYPED[descr]
      const itemBytes =
        kind?.bytes ??
        (descr === 'b1'
          ? 1
          : /^[iu]8$/.test(descr)
            ? 8
            : /^[US]\d+$/.test(descr)
              ? Number(descr.slice(1)) * (descr[0] === 'U' ? 4 : 1)
              : 0)
      if (itemBytes === 0)
        return fail(
          `holds a NumPy array of dtype ${array.dtype.descr}, which is not read (numbers, booleans, strings and objects are)`
        )
      if (bytes.length !== count * itemBytes)
        return fail(
          `holds a ${descr} array of ${bytes.length} bytes where its shape needs ${count * itemBytes}`
        )
      const ordered =
        swap && itemBytes > 1 && descr[0] !== 'U' && descr[0] !== 'S' ? swapBytes(bytes, itemBytes) : bytes
      if (descr === 'b1') flat = (index) => ordered[index] !== 0
      else if (descr[0] === 'U' || descr[0] === 'S') {
        flat = (index) => decodeFixedString(ordered, index * itemBytes, itemBytes, descr[0] === 'U', swap)
      } else if (kind) {
        const all = kind.make(copyBuffer(ordered))
        flat = (index) => all[index]
        typed = (start, length) =>
          kind.make(copyBuffer(ordered.subarray(start * itemBytes, (start + length) * itemBytes)))
      } else {
        const big = new DataView(ordered.buffer, ordered.byteOffset, ordered.byteLength)
        const read = (index: number) =>
          descr[0] === 'i' ? big.getBigInt64(index * 8, true) : big.getBigUint64(index * 8, true)
        flat = (index) => {
          const value = read(index)
          if (value < BigInt(Number.MIN_SAFE_INTEGER) || value > BigInt(Number.MAX_SAFE_INTEGER))
            fail(`holds the ${descr} value ${value}, too large for a JavaScript number`)
          return Number(value)
        }
        typed = (start, length) => Float64Array.from({ length }, (_, i) => flat(start + i) as number)
      }
    }
    const shape = array.shape
    if (shape.length === 0) return flat(0)
    // Position of an element in the flat data, for C (row-major) or Fortran (column-major) order.
    const strides = new Array<number>(shape.length)
    let stride = 1
    for (let axis = 0; axis < shape.length; axis++) {
      const at = array.fortranOrder ? axis : shape.length - 1 - axis
      strides[at] = stride
      stride *= shape[at]
    }
    const build = (axis: number, base: number): unknown => {
      const length = shape[axis]
      if (axis === shape.length - 1) {
        if (typed && strides[axis] === 1) return typed(base, length)
        const items = Array.from({ length }, (_, i) => flat(base + i * strides[axis]))
        return typed && items.every((item) => typeof item === 'number')
          ? Float64Array.from(items as number[])
          : items
      }
      return Array.from({ length }, (_, i) => build(axis + 1, base + i * strides[axis]))
    }
    return build(0, 0)
  }

  return convert(root, 0)
}

function swapBytes(bytes: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(bytes.length)
  for (let i = 0; i < bytes.length; i += size)
    for (let j = 0; j < size; j++) out[i + j] = bytes[i + size - 1 - j]
  return out
}

function copyBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.byteLength)
  new Uint8Array(copy).set(bytes)
  return copy
}

function decodeFixedString(
  bytes: Uint8Array,
  start: number,
  length: number,
  utf32: boolean,
  bigEndian: boolean
): string {
  const slice = bytes.subarray(start, start + length)
  if (!utf32) {
    let end = slice.length
    while (end > 0 && slice[end - 1] === 0) end--
    return Buffer.from(slice.subarray(0, end)).toString('latin1')
  }
  const view = new DataView(slice.buffer, slice.byteOffset, slice.byteLength)
  let out = ''
  for (let i = 0; i < slice.length; i += 4) {
    const code = view.getUint32(i, !bigEndian)
    if (code === 0) break
    out += code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd'
  }
  return out
}
