import { Run } from 'batchdesk'

/** A small seeded random generator (mulberry32), so every run can be repeated exactly. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Estimates π from `samples` random points in the unit square. */
export default class EstimatePi extends Run {
  run({ samples = 10000, seed = 1 }) {
    const random = mulberry32(seed)
    const n = Math.round(samples)
    let inside = 0
    for (let i = 0; i < n; i++) {
      const x = random()
      const y = random()
      if (x * x + y * y <= 1) inside++
    }
    const estimate = (4 * inside) / n
    return { estimate, error: Math.abs(estimate - Math.PI), samples: n }
  }
}
