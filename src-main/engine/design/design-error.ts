/** Thrown for a design that cannot be built: an empty axis, a bad range, too many values. */
export class DesignError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DesignError'
  }
}
