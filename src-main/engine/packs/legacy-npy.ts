/**
 * Reads NumPy `.npy` files as batchpy writes them (`np.save(file, {'res': …, 'id': …, …})`): the header,
 * then either a pickle of the array (object arrays, such as batchpy's 0-d array holding a dict) or the raw
 * data of a numeric array. The pickle is read by pickle.ts, which never runs code.
 */
import { NpArray, NpDtype, numpyArrayToJs, PickleError, unpickle } from './pickle'

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]) // \x93NUMPY

interface NpyHeader {
  descr: string
  fortranOrder: boolean
  shape: number[]
}

/**
 * The value stored in a .npy file, as plain JavaScript (see unpickle for the mapping).
 * @param label the file name used in messages.
 * @throws PickleError for a file that is not a .npy file, an unsupported dtype, or an unsafe pickle.
 */
export function readNpy(bytes: Uint8Array, label: string): unknown {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (buffer.length < 10 || !buffer.subarray(0, 6).equals(MAGIC))
    throw new PickleError(`${label} is not a NumPy .npy file (it does not start with \\x93NUMPY)`)
  const major = buffer[6]
  let headerLength: number
  let start: number
  if (major === 1) {
    headerLength = buffer.readUInt16LE(8)
    start = 10
  } else if (major === 2 || major === 3) {
    if (buffer.length < 12) throw new PickleError(`${label} is cut short`)
    headerLength = buffer.readUInt32LE(8)
    start = 12
  } else {
    throw new PickleError(
      `${label} uses .npy format version ${major}, which is not read (versions 1 to 3 are)`
    )
  }
  if (start + headerLength > buffer.length) throw new PickleError(`${label} is cut short inside its header`)
  const header = parseHeader(
    buffer.toString(major === 3 ? 'utf8' : 'latin1', start, start + headerLength),
    label
  )
  const data = bytes.subarray(start + headerLength)
  if (/^[|<>=]?O8?$/.test(header.descr)) return unpickle(data, label)
  const array = new NpArray()
  array.shape = header.shape
  array.fortranOrder = header.fortranOrder
  array.dtype = new NpDtype(header.descr)
  array.dtype.byteOrder = /^[<>|=]/.test(header.descr) ? header.descr[0] : '|'
  array.data = data
  return numpyArrayToJs(array, label)
}

/** Parses the header, a Python dict literal such as `{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }`. */
function parseHeader(text: string, label: string): NpyHeader {
  const fail = (): never => {
    throw new PickleError(
      `${label} has a .npy header that cannot be read: ${JSON.stringify(text.trim().slice(0, 120))}`
    )
  }
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]{1,20})['"]/.exec(text)?.[1] ?? fail()
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1] ?? fail()
  const shapeText = /['"]shape['"]\s*:\s*\(([\d\s,]*)\)/.exec(text)?.[1] ?? fail()
  const shape = shapeText
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => (/^\d{1,12}$/.test(part) ? Number(part) : fail()))
  return { descr, fortranOrder: fortran === 'True', shape }
}
