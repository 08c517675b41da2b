import { Run } from 'batchdesk'

// Functions a design can use as the value of `operator`, by name.
export function min(values: number[]): number {
  return Math.min(...values)
}

export function max(values: number[]): number {
  return Math.max(...values)
}

export function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0)
}

export function len(values: number[]): number {
  return values.length
}

/** An example run class: multiplies A by operator(B). */
export default class ExampleRun extends Run {
  run({ A = 0, B = [1, 2, 3], operator = max }) {
    console.log(this.parameters)
    return { val: A * operator(B) }
  }
}
