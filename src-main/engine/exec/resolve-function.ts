/**
 * Resolves a function-valued parameter sent as `{ $fn: path }`: first against the run class module's
 * exports (`max`, or `ops.sum` for an exported object), then as a dotted path on globalThis (`Math.max`).
 * @param fileLabel how the module is named in the error message.
 * @throws Error "function 'x' is not exported by <file>" when neither has a function at that path.
 */
export function resolveFunction(
  path: string,
  exports: Record<string, unknown> | undefined,
  fileLabel: string
): AnyFunction {
  const found = (exports && functionAt(exports, path)) ?? functionAt(globalThis, path)
  if (found) return found
  throw new Error(`function '${path}' is not exported by ${fileLabel}`)
}

type AnyFunction = (...args: any[]) => unknown

function functionAt(root: object, path: string): AnyFunction | undefined {
  let value: unknown = root
  for (const key of path.split('.')) {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined
    if (!Object.prototype.hasOwnProperty.call(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return typeof value === 'function' ? (value as AnyFunction) : undefined
}
