import { Run } from 'batchdesk'

/** Iterates the logistic map, drops the transient and returns the values it settles on. */
export default class LogisticMap extends Run {
  run({ r = 3.5, x0 = 0.5, transient = 1000, keep = 200 }) {
    let x = x0
    for (let i = 0; i < transient; i++) x = r * x * (1 - x)
    const attractor = new Float64Array(keep)
    let lyapunov = 0
    for (let i = 0; i < keep; i++) {
      x = r * x * (1 - x)
      attractor[i] = x
      lyapunov += Math.log(Math.abs(r * (1 - 2 * x)) || Number.MIN_VALUE)
    }
    const distinct = new Set(Array.from(attractor, (v) => v.toFixed(6))).size
    return { attractor, period: distinct, lyapunov: lyapunov / keep }
  }
}
