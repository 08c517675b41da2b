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
  #lookup: Map<string, StoredIdInfo> | undefined

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
    return this.#map().get(id)
  }

  has(id: string): boolean {
    return this.#map().has(id)
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

  #map(): Map<string, StoredIdInfo> {
    this.#lookup ??= new Map(this)
    return this.#lookup
  }
}
