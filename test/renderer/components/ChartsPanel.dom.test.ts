import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it } from 'vitest'
import type { FieldRef } from '../../../src-preload/contract'
import ChartsPanel from '../../../src-renderer/components/charts/ChartsPanel.vue'
import { useRunsStore } from '../../../src-renderer/stores/runs'
import { installFakeApi, settle } from '../fakeApi'

type Runs = { A: number; B: string; operator: string; val: number }[]

/** A fake engine holding these runs; `runs.list` and `results.columns` answer from them. */
function serve(runs: Runs): void {
  const value = (run: Runs[number], field: FieldRef) =>
    field.kind === 'parameter' || field.kind === 'result'
      ? run[field.name as keyof Runs[number]]
      : field.kind === 'runtime'
        ? 0.01
        : null
  installFakeApi({
    'batches.status': () => [],
    'runs.list': () => ({
      total: runs.length,
      columns: { parameters: ['A', 'B', 'operator'], results: ['val'] },
      rows: []
    }),
    'runs.details': ({ index }) => ({ index, result: { val: runs[index].val } }),
    'results.columns': ({ fields }) => ({
      total: runs.length,
      truncated: false,
      indices: runs.map((_, i) => i),
      columns: fields.map((field: FieldRef) => {
        const values = runs.map((run) => value(run, field))
        return { field, type: typeof values[0] === 'number' ? 'number' : 'string', values }
      })
    })
  })
}

function grid(A: number[], B: string[], operator: string[]): Runs {
  return A.flatMap((a) =>
    B.flatMap((b) => operator.map((op) => ({ A: a, B: b, operator: op, val: a * b.length })))
  )
}

describe('the chart chosen from the sweep shape', () => {
  let wrapper: VueWrapper

  async function mountWith(runs: Runs): Promise<void> {
    setActivePinia(createPinia())
    serve(runs)
    await useRunsStore().open('example')
    useRunsStore().counts = {
      pending: 0,
      running: 0,
      done: runs.length,
      cached: 0,
      failed: 0,
      stale: 0,
      corrupt: 0
    }
    wrapper = mount(ChartsPanel, { attachTo: document.body, global: { stubs: { Echarts: true } } })
    await settle(10)
  }
  afterEach(() => wrapper?.unmount())

  const option = () =>
    wrapper.findComponent({ name: 'Echarts' }).props('option') as {
      series: { type: string; name: string }[]
      title: { text: string; subtext: string }
    }
  const autoLabel = () => wrapper.find('[data-testid="chart-kind"] option').text()

  it('draws a line of the result field when one parameter varies', async () => {
    await mountWith(grid([1, 2, 3], ['[2,5,8]'], ['max']))
    expect(autoLabel()).toBe('Automatic — Line')
    expect(option().series.map((s) => s.type)).toEqual(['line', 'scatter'])
    expect(option().title).toMatchObject({ text: 'val by A', subtext: 'B = [2,5,8], operator = max' })
  })

  it('draws a heatmap when two vary', async () => {
    await mountWith(grid([1, 2, 3], ['[2,5,8]', '[1,9]'], ['max']))
    expect(autoLabel()).toBe('Automatic — Heatmap')
    expect(option().series[0].type).toBe('heatmap')
  })

  it('draws small multiples when three vary, and lets the user pick another chart', async () => {
    await mountWith(grid([1, 2, 3], ['[2,5,8]', '[1,9]', '[6]'], ['min', 'max', 'sum', 'len']))
    expect(autoLabel()).toBe('Automatic — Small multiples')
    await wrapper.find('[data-testid="chart-kind"]').setValue('parallel')
    expect(option().series[0].type).toBe('parallel')
    await wrapper.find('[data-testid="chart-kind"]').setValue('lines')
    expect(
      option()
        .series.filter((s) => s.type === 'line')
        .map((s) => s.name)
    ).toEqual(['B = [2,5,8]', 'B = [1,9]', 'B = [6]'])
  })

  it('says which charts do not fit and why', async () => {
    await mountWith(grid([1, 2, 3], ['[2,5,8]'], ['max']))
    const heatmap = wrapper
      .findAll('[data-testid="chart-kind"] option')
      .find((o) => o.text().startsWith('Heatmap'))
    expect(heatmap?.attributes('disabled')).toBeDefined()
    expect(heatmap?.attributes('title')).toContain('only 1 varies')
  })

  it('asks for runs first when nothing is stored', async () => {
    setActivePinia(createPinia())
    serve([])
    await useRunsStore().open('example')
    wrapper = mount(ChartsPanel, { global: { stubs: { Echarts: true } } })
    await settle(10)
    expect(wrapper.text()).toContain('Nothing to chart yet')
    expect(wrapper.findComponent({ name: 'Echarts' }).exists()).toBe(false)
  })
})
