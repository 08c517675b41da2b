import { Run } from 'batchdesk'

/**
 * A ball launched at `speed` (m/s) and `angle` (degrees) with quadratic air drag `drag` (1/m):
 * a = -g ŷ - drag·|v|·v. Integrated with a fixed time step until it lands.
 */
export default class ProjectileRun extends Run {
  static parameters = {
    speed: { default: 30, unit: 'm/s', description: 'launch speed' },
    angle: { default: 45, unit: '°', description: 'launch angle above the ground' },
    drag: { default: 0.01, unit: '1/m', description: 'drag coefficient divided by mass' },
    dt: { default: 0.001, unit: 's', description: 'time step' }
  }

  run({ speed = 30, angle = 45, drag = 0.01, dt = 0.001 }) {
    const g = 9.81
    let vx = speed * Math.cos((angle * Math.PI) / 180)
    let vy = speed * Math.sin((angle * Math.PI) / 180)
    let x = 0
    let y = 0
    let t = 0
    let maxHeight = 0
    const xs: number[] = [0]
    const ys: number[] = [0]
    while (y >= 0 && t < 600) {
      const v = Math.hypot(vx, vy)
      vx += -drag * v * vx * dt
      vy += (-g - drag * v * vy) * dt
      x += vx * dt
      y += vy * dt
      t += dt
      maxHeight = Math.max(maxHeight, y)
      if (Math.round(t / dt) % 20 === 0) {
        xs.push(x)
        ys.push(Math.max(y, 0))
      }
    }
    return { range: x, maxHeight, flightTime: t, x: Float64Array.from(xs), y: Float64Array.from(ys) }
  }
}
