import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import FilterBar from '../../../src-renderer/components/runs/FilterBar.vue'
import { useRunsStore } from '../../../src-renderer/stores/runs'
import { installFakeApi, settle, type FakeHost } from '../fakeApi'

const COUNTS = { pending: 2, running: 0, done: 58, cached: 0, failed: 2, stale: 0, corrupt: 0 }

describe('the filter chips', () => {
  let host: FakeHost
  let wrapper: VueWrapper

  beforeEach(async () => {
    setActivePinia(createPinia())
    host = installFakeApi({
      'batches.status': () => [],
      'runs.list': ({ conditions }) => {
        if (conditions.some((c: string) => c.includes('nope')))
          throw new Error("There is no function 'nope' among min, max")
        return { total: 0, columns: { parameters: ['A', 'B', 'operator'], results: ['val'] }, rows: [] }
      }
    })
    await useRunsStore().open('example')
    useRunsStore().counts = COUNTS
    wrapper = mount(FilterBar, { attachTo: document.body })
  })
  afterEach(() => wrapper.unmount())

  const input = () => wrapper.find('[data-testid="filter-input"]')
  const chips = () => wrapper.findAll('[data-testid="filter-chip"]').map((c) => c.text())
  const lastConditions = () => host.calls.filter((c) => c.name === 'runs.list').at(-1)?.input.conditions

  async function type(text: string): Promise<void> {
    await input().setValue(text)
    await input().trigger('keydown', { key: 'Enter' })
    await settle()
  }

  it.each([
    ['A<=3', 'A <= 3'],
    ['A__ge=3', 'A >= 3'],
    ['B == [2, 5, 8]', 'B = [2,5,8]'],
    ['operator = min', 'operator = min'],
    ['operator in [min, max]', 'operator in [min,max]']
  ])('turns %j into the chip %j and asks the engine for matching runs', async (typed, chip) => {
    await type(typed)
    expect(chips()).toEqual([chip])
    expect(lastConditions()).toEqual([chip])
    expect((input().element as HTMLInputElement).value).toBe('')
  })

  it('explains a condition it cannot read and adds no chip', async () => {
    await type('A 3')
    expect(chips()).toEqual([])
    expect(wrapper.find('[data-testid="filter-error"]').text()).toContain('after A comes a comparison')
  })

  it('names the parameters when one is misspelt', async () => {
    await type('C = 1')
    expect(wrapper.find('[data-testid="filter-error"]').text()).toBe(
      'There is no parameter called C; parameters: A, B, operator'
    )
  })

  it('shows the engine’s message when it cannot evaluate a condition', async () => {
    await type('operator = nope')
    expect(wrapper.find('[data-testid="filter-error"]').text()).toContain("There is no function 'nope'")
  })

  it('puts a clicked chip back into the box to edit it, and removes chips with ×', async () => {
    await type('A <= 3')
    await type('operator = min')
    await wrapper.findAll('[data-testid="filter-chip"]')[0].trigger('click')
    await settle()
    expect((input().element as HTMLInputElement).value).toBe('A <= 3')
    expect(chips()).toEqual(['operator = min'])
    await wrapper.find('[data-testid="filter-chip"] button').trigger('click')
    await settle()
    expect(chips()).toEqual([])
    expect(lastConditions()).toEqual([])
  })

  it('filters by status with counts', async () => {
    const failed = wrapper.findAll('.status').find((b) => b.text().startsWith('failed'))
    expect(failed?.text()).toBe('failed 2')
    await failed!.trigger('click')
    await settle()
    expect(host.calls.filter((c) => c.name === 'runs.list').at(-1)?.input.status).toEqual(['failed'])
  })
})
