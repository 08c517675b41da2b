import { describe, expect, it } from 'vitest'
import type { MenuItemConstructorOptions } from 'electron'
import { menuTemplate, type MenuActions } from '../../src-main/menu'

function recordingActions() {
  const calls: string[] = []
  const actions: MenuActions = {
    newProject: () => calls.push('new'),
    openProject: () => calls.push('open'),
    openRecent: (dir) => calls.push(`recent ${dir}`),
    save: () => calls.push('save'),
    importPack: () => calls.push('import')
  }
  return { actions, calls }
}

function fileMenu(template: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return template.find((item) => item.label === '&File')!.submenu as MenuItemConstructorOptions[]
}

describe('the native menu', () => {
  it('has the project commands with their accelerators', () => {
    const { actions } = recordingActions()
    const items = fileMenu(menuTemplate(actions, [], { platform: 'linux', isDev: false }))
    const accelerators = Object.fromEntries(
      items.filter((item) => item.label).map((item) => [item.label, item.accelerator])
    )
    expect(accelerators).toMatchObject({
      'New Project…': 'CmdOrCtrl+N',
      'Open Project…': 'CmdOrCtrl+O',
      Save: 'CmdOrCtrl+S',
      'Import Result Pack…': 'CmdOrCtrl+I',
      Quit: 'CmdOrCtrl+Q'
    })
  })

  it('lists recent projects and opens the one clicked', () => {
    const { actions, calls } = recordingActions()
    const items = fileMenu(
      menuTemplate(actions, [{ dir: '/p/q', name: 'Quickstart', openedAt: 1 }], {
        platform: 'linux',
        isDev: false
      })
    )
    const recent = items.find((item) => item.label === 'Open Recent')!
    const entry = (recent.submenu as MenuItemConstructorOptions[])[0]
    expect(entry.label).toBe('Quickstart — /p/q')
    ;(entry.click as () => void)()
    expect(calls).toEqual(['recent /p/q'])
  })

  it('offers developer tools only in development', () => {
    const { actions } = recordingActions()
    const roles = (isDev: boolean) =>
      JSON.stringify(
        menuTemplate(actions, [], { platform: 'linux', isDev }).map((item) =>
          (item.submenu as MenuItemConstructorOptions[] | undefined)?.map((sub) => sub.role)
        )
      )
    expect(roles(false)).not.toContain('toggleDevTools')
    expect(roles(true)).toContain('toggleDevTools')
  })
})
