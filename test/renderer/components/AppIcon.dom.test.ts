import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import AppIcon from '../../../src-renderer/components/common/AppIcon.vue'

describe('icons', () => {
  it('follow a name that changes after they are drawn', async () => {
    const wrapper = mount(AppIcon, { props: { name: 'plus' } })
    const plus = wrapper.find('path').attributes('d')
    await wrapper.setProps({ name: 'save' })
    const save = wrapper.find('path').attributes('d')
    expect(save).not.toBe(plus)
    await wrapper.setProps({ name: 'no-such-icon' })
    expect(wrapper.find('path').attributes('d')).not.toBe(save)
  })
})
