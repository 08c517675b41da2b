import type { RunClassInfo } from '../types'

const infos = new WeakMap<object, RunClassInfo>()
const moduleExports = new WeakMap<object, Record<string, unknown>>()

/** What the engine knows about a run class loaded with `loadRunClass`; undefined for other classes. */
export function runClassInfo(cls: object): RunClassInfo | undefined {
  return infos.get(cls)
}

/** Attaches info to a run class (done by `loadRunClass`). */
export function setRunClassInfo(cls: object, info: RunClassInfo): void {
  infos.set(cls, info)
}

/** The exports of the module a run class was loaded from (function-valued parameters resolve against them). */
export function runClassModuleExports(cls: object): Record<string, unknown> | undefined {
  return moduleExports.get(cls)
}

export function setRunClassModuleExports(cls: object, exports: Record<string, unknown>): void {
  moduleExports.set(cls, exports)
}
