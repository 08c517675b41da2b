import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ParameterSummary } from '../../../src-preload/contract'
import GridBuilder from '../../../src-renderer/components/grid/GridBuilder.vue'
import { useGridStore } from '../../../src-renderer/stores/grid'
import { useProjectStore } from '../../../src-renderer/stores/project'
import { installFakeApi, settle, type FakeHost } from '../fakeApi'

const PARAMETERS: ParameterSummary[] = [
  { name: 'A', default: 0, defaultText: '0', kind: 'number', isPrivate: false },
  { name: 'B', default: [1, 2, 3], defaultText: '[1, 2, 3]', kind: 'array', isPrivate: false },
  { name: 'operator', default: { $fn: 'max' }, defaultText: 'max', kind: 'function', isPrivate: false }
]

/** The preview the fake engine gives: everything new, 10 ms per run. */
function product(grid: Record<string, unknown>): number {
  let total = 1
  for (const axis of Object.values(grid)) {
    if (Array.isArray(axis)) total *= axis.length
    const range = (axis as { $range?: number[] }).$range
    if (range) total *= Math.floor((range[1] - range[0]) / range[2]) + 1
  }
  return total
}

/** The batch summary the fake engine answers after a design was added or replaced and started. */
function runningBatch(runs: number) {
  return {
    name: 'example',
    runClassFile: 'run.ts',
    runClassName: 'Run',
    loadError: null,
    parameterNames: [],
    runs,
    counts: {},
    designs: [],
    state: 'running'
  }
}

const waitForPreview = () => new Promise((resolve) => setTimeout(resolve, 350)).then(() => settle())

describe('the grid builder', () => {
  let host: FakeHost
  let wrapper: VueWrapper

  beforeEach(() => {
    setActivePinia(createPinia())
    host = installFakeApi({
      'batches.previewDesign': ({ design }) => {
        const total = product(design.grid)
        return { total, alreadyStored: 0, new: total, estimatedSeconds: total * 0.01 }
      },
      'batches.replaceDesign': () => ({ added: 4, started: true, batch: runningBatch(24) }),
      'batches.addDesign': () => ({ added: 12, started: true, batch: runningBatch(12) })
    })
    useGridStore().syncWith('example', PARAMETERS, ['len', 'max', 'min', 'sum'])
    wrapper = mount(GridBuilder, { attachTo: document.body })
  })
  afterEach(() => wrapper.unmount())

  const row = (name: string) => wrapper.find(`[data-testid="grid-row"][data-name="${name}"]`)

  async function setRange(name: string, start: string, stop: string, step: string): Promise<void> {
    await row(name).find('[data-testid="grid-mode"]').setValue('range')
    await row(name).find('[data-testid="grid-start"]').setValue(start)
    await row(name).find('[data-testid="grid-stop"]').setValue(stop)
    await row(name).find('[data-testid="grid-step"]').setValue(step)
  }

  it('shows one row per parameter with its default', () => {
    expect(wrapper.findAll('[data-testid="grid-row"]').map((r) => r.attributes('data-name'))).toEqual([
      'A',
      'B',
      'operator'
    ])
    expect(row('B').text()).toContain('default [1, 2, 3]')
  })

  it('rounds range values so 0.1 steps show 0.1, 0.2, 0.3', async () => {
    await setRange('A', '0', '0.3', '0.1')
    expect(row('A').text()).toContain('4 values')
    expect(row('A').text()).toContain('0, 0.1, 0.2, 0.3')
    expect(row('A').text()).not.toContain('0.30000000000000004')
  })

  it('reads lists, JSON arrays of arrays and ticked functions, and counts the runs', async () => {
    await setRange('A', '1', '3', '1')
    await row('B').find('[data-testid="grid-mode"]').setValue('list')
    await row('B').find('[data-testid="grid-list"]').setValue('[2,5,8]\n[1,9,6,3,9]')
    await row('operator').find('[data-testid="grid-mode"]').setValue('functions')
    await row('operator').find('[data-testid="grid-fn-sum"]').setValue(true)
    expect(row('operator').text()).toContain('2 values')
    expect(wrapper.find('[data-testid="grid-preview-total"]').text()).toBe('12')
    await waitForPreview()
    expect(wrapper.find('[data-testid="grid-preview-new"]').text()).toBe('12')
    expect(host.calls.filter((c) => c.name === 'batches.previewDesign').at(-1)?.input.design).toEqual({
      kind: 'factorial',
      grid: {
        A: { $range: [1, 3, 1], inclusive: true },
        B: [
          [2, 5, 8],
          [1, 9, 6, 3, 9]
        ],
        operator: ['max', 'sum']
      }
    })
  })

  it('reads linear and log spaces', async () => {
    await row('A').find('[data-testid="grid-mode"]').setValue('logspace')
    await row('A').find('[data-testid="grid-start"]').setValue('1')
    await row('A').find('[data-testid="grid-stop"]').setValue('1000')
    await row('A').find('[data-testid="grid-count"]').setValue('4')
    expect(row('A').text()).toContain('1, 10, 100, 1000')
    await row('A').find('[data-testid="grid-mode"]').setValue('linspace')
    await row('A').find('[data-testid="grid-stop"]').setValue('1')
    await row('A').find('[data-testid="grid-start"]').setValue('0')
    await row('A').find('[data-testid="grid-count"]').setValue('5')
    expect(row('A').text()).toContain('0, 0.25, 0.5, 0.75, 1')
  })

  it('explains invalid JSON where it was typed and keeps the design from being added', async () => {
    await row('B').find('[data-testid="grid-mode"]').setValue('value')
    await row('B').find('[data-testid="grid-value"]').setValue('[1, 2')
    expect(row('B').find('[data-testid="grid-error"]').text()).toContain('not valid JSON')
    expect(wrapper.find('[data-testid="grid-add-run"]').attributes('disabled')).toBeDefined()
  })

  it('warns above 100,000 new runs', async () => {
    await setRange('A', '1', '1000', '1')
    await row('B').find('[data-testid="grid-mode"]').setValue('list')
    await row('B')
      .find('[data-testid="grid-list"]')
      .setValue(Array.from({ length: 101 }, (_, i) => `[${i}]`).join('\n'))
    expect(wrapper.find('[data-testid="grid-preview-total"]').text()).toBe('101,000')
    await waitForPreview()
    expect(wrapper.find('[data-testid="grid-large-warning"]').exists()).toBe(true)
  })

  it('adds the design and runs it', async () => {
    await setRange('A', '1', '3', '1')
    await wrapper.find('[data-testid="grid-add-run"]').trigger('click')
    await settle()
    const added = host.calls.find((c) => c.name === 'batches.addDesign')
    expect(added?.input).toMatchObject({
      batch: 'example',
      run: true,
      design: { kind: 'factorial', grid: { A: { $range: [1, 3, 1], inclusive: true } } }
    })
    expect(wrapper.emitted('added')).toEqual([[true]])
  })

  it('loads a saved design into the rows, to extend it', async () => {
    const grid = {
      A: [1, 2, 3, 4, 5],
      B: [
        [2, 5, 8],
        [1, 9, 6, 3, 9]
      ],
      operator: ['min', 'max']
    }
    useProjectStore().project = {
      dir: '/p',
      name: 'p',
      description: '',
      readOnly: false,
      computeOn: null,
      batches: [
        {
          name: 'example',
          runClassFile: 'run.ts',
          runClassName: 'Run',
          loadError: null,
          parameterNames: ['A', 'B', 'operator'],
          runs: 20,
          counts: {} as never,
          designs: [{ kind: 'factorial', label: 'First sweep', runs: 20, grid }],
          state: 'idle'
        }
      ]
    }
    await settle()
    await wrapper.find('[data-testid="design-load"]').trigger('click')
    await settle()
    expect((row('A').find('[data-testid="grid-list"]').element as HTMLTextAreaElement).value).toBe(
      '1, 2, 3, 4, 5'
    )
    expect((row('B').find('[data-testid="grid-list"]').element as HTMLTextAreaElement).value).toBe(
      '[2,5,8]\n[1,9,6,3,9]'
    )
    expect(useGridStore().design).toEqual({ kind: 'factorial', grid, label: 'First sweep' })
    expect(wrapper.find('[data-testid="grid-editing"]').text()).toContain(
      'Changing the saved design “First sweep”'
    )
    expect(wrapper.find('[data-testid="grid-add-run"]').text()).toBe('Save and run')
    await row('A').find('[data-testid="grid-list"]').setValue('1, 2, 3, 4, 5, 6')
    expect(wrapper.find('[data-testid="grid-preview-total"]').text()).toBe('24')
    await wrapper.find('[data-testid="grid-add-run"]').trigger('click')
    await settle()
    expect(host.calls.find((c) => c.name === 'batches.replaceDesign')?.input).toEqual({
      batch: 'example',
      index: 0,
      run: true,
      design: { kind: 'factorial', label: 'First sweep', grid: { ...grid, A: [1, 2, 3, 4, 5, 6] } }
    })
    expect(useGridStore().editing).toBeNull()
  })
})
