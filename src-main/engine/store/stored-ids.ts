/**
 * The answer of `storedIds()`: every stored run id of a batch with its code hash and corrupt flag.
 *
 * A million-entry Map costs more to build than the query that finds the ids, and most callers only iterate
 * once to build their own table. So this holds the ids as one string (40 characters each) and one code
 * character per id, iterates straight from them, and builds a Map only on the first get() or has().
 */

/** What `storedIds` maps each id to; one shared frozen object per (code hash, corrupt) pair. */
export interface StoredIdInfo {
  readonly codeHash: string
  readonly corrupt: boolean
}

const ID_LENGTH = 40

export class StoredIds implements ReadonlyMap<string, StoredIdInfo> {
  readonly #ids: string
  readonly #codes: string
  readonly #infoOfCode: (code: number) => StoredIdInfo
  #slots: Int32Array | undefined
  #slotHashes: Int32Array | undefined

  /**
   * @param ids the ids concatenated, 40 characters each.
   * @param codes one character per id; `infoOfCode(codes.charCodeAt(i))` is the info of the i-th id.
   */
  constructor(ids: string, codes: string, infoOfCode: (code: number) => StoredIdInfo) {
    if (ids.length !== codes.length * ID_LENGTH)
      throw new Error(`internal: ${ids.length / ID_LENGTH} ids but ${codes.length} codes`)
    this.#ids = ids
    this.#codes = codes
    this.#infoOfCode = infoOfCode
  }

  get size(): number {
    return this.#codes.length
  }

  get(id: string): StoredIdInfo | undefined {
    const position = this.#find(id)
    return position < 0 ? undefined : this.#infoOfCode(this.#codes.charCodeAt(position))
  }

  has(id: string): boolean {
    return this.#find(id) >= 0
  }

  forEach(
    callback: (info: StoredIdInfo, id: string, map: ReadonlyMap<string, StoredIdInfo>) => void,
    thisArg?: unknown
  ): void {
    for (const [id, info] of this) callback.call(thisArg, info, id, this)
  }

  *keys(): MapIterator<string> {
    for (let at = 0; at < this.#ids.length; at += ID_LENGTH) yield this.#ids.slice(at, at + ID_LENGTH)
  }

  *values(): MapIterator<StoredIdInfo> {
    for (let i = 0; i < this.#codes.length; i++) yield this.#infoOfCode(this.#codes.charCodeAt(i))
  }

  entries(): MapIterator<[string, StoredIdInfo]> {
    return this[Symbol.iterator]()
  }

  [Symbol.iterator](): MapIterator<[string, StoredIdInfo]> {
    const ids = this.#ids
    const codes = this.#codes
    const infoOfCode = this.#infoOfCode
    let i = 0
    const iterator = {
      next(): IteratorResult<[string, StoredIdInfo], undefined> {
        if (i >= codes.length) return { value: undefined, done: true }
        const at = i * ID_LENGTH
        const value: [string, StoredIdInfo] = [ids.slice(at, at + ID_LENGTH), infoOfCode(codes.charCodeAt(i))]
        i++
        return { value, done: false }
      },
      [Symbol.iterator]() {
        return iterator
      }
    }
    return iterator as unknown as MapIterator<[string, StoredIdInfo]>
  }

  /**
   * Position of an id, or -1. An open-addressing table of positions keyed by the id's first 8 hex digits
   * (ids are SHA-1s, so those are already uniformly spread); a Map of a million strings would cost ~1 s to build.
   */
  #find(id: string): number {
    if (id.length !== ID_LENGTH) return -1
    if (!this.#slots) this.#buildSlots()
    const slots = this.#slots!
    const hashes = this.#slotHashes!
    const mask = slots.length - 1
    const hash = hashOf(id, 0)
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const position = slots[slot]
      if (position < 0) return -1
      // Compare the 32-bit prefix first: a string comparison costs far more than an integer one.
      if (hashes[slot] === hash && this.#ids.substr(position * ID_LENGTH, ID_LENGTH) === id) return position
    }
  }

  #buildSlots(): void {
    const count = this.#codes.length
    let capacity = 16
    while (capacity < count * 2) capacity *= 2
    const slots = new Int32Array(capacity).fill(-1)
    const hashes = new Int32Array(capacity)
    const mask = capacity - 1
    for (let position = 0; position < count; position++) {
      const hash = hashOf(this.#ids, position * ID_LENGTH)
      let slot = hash & mask
      while (slots[slot] >= 0) slot = (slot + 1) & mask
      slots[slot] = position
      hashes[slot] = hash
    }
    this.#slots = slots
    this.#slotHashes = hashes
  }
}

/** The first 8 characters of an id as a number (hex digits; other characters still hash, just less evenly). */
function hashOf(text: string, at: number): number {
  let hash = 0
  for (let i = at; i < at + 8; i++) {
    const code = text.charCodeAt(i)
    hash = (hash << 4) | (((code & 0x0f) + (code >> 6) * 9) & 0x0f)
  }
  return hash | 0
}
