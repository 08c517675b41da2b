import { describe, expect, it } from 'vitest'
import { appEntryUrl, fitsOnADisplay, isAppUrl, mainWindowOptions } from '../../src-main/window'
import { contentSecurityPolicy } from '../../src-main/csp'

const display = { x: 0, y: 0, width: 1920, height: 1080 }

describe('the main window', () => {
  it('isolates the renderer: context isolation, sandbox, no Node, web security on', () => {
    const prefs = mainWindowOptions('/app/out/preload/index.js', undefined, [display]).webPreferences!
    expect(prefs).toMatchObject({
      preload: '/app/out/preload/index.js',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false
    })
  })

  it('opens where it was when that place is still on a display', () => {
    const options = mainWindowOptions('p', { x: 100, y: 50, width: 1000, height: 700, maximized: false }, [
      display
    ])
    expect(options).toMatchObject({ x: 100, y: 50, width: 1000, height: 700 })
  })

  it('falls back to the default size when the remembered place is off every display', () => {
    const options = mainWindowOptions('p', { x: 5000, y: 50, width: 1000, height: 700, maximized: false }, [
      display
    ])
    expect(options.x).toBeUndefined()
    expect(options.width).toBe(1400)
    expect(fitsOnADisplay({ x: -990, y: 10, width: 1000, height: 700, maximized: false }, [display])).toBe(
      false
    )
  })
})

describe('app URLs', () => {
  it.each([
    ['batchdesk://app/index.html', undefined, true],
    ['batchdesk://app/assets/ts.worker.js', undefined, true],
    ['batchdesk://other/index.html', undefined, false],
    ['file:///etc/passwd', undefined, false],
    ['https://example.com/', undefined, false],
    ['http://localhost:5173/', undefined, false],
    ['http://localhost:5173/src/main.ts', 'http://localhost:5173', true],
    ['http://localhost:5174/', 'http://localhost:5173', false],
    ['not a url', undefined, false],
    [undefined, undefined, false]
  ])('%s (dev server %s) belongs to the app: %s', (url, dev, expected) => {
    expect(isAppUrl(url, dev)).toBe(expected)
  })

  it('loads the built renderer from the app scheme, or the dev server in development', () => {
    expect(appEntryUrl()).toBe('batchdesk://app/index.html')
    expect(appEntryUrl('http://localhost:5173')).toBe('http://localhost:5173')
  })
})

describe('the Content-Security-Policy', () => {
  it('allows only own scripts, inline styles and blob workers (for Monaco), and no framing', () => {
    const csp = contentSecurityPolicy({ connectSources: ['ws://127.0.0.1:4000'] })
    expect(csp).toContain("script-src 'self';")
    expect(csp).toContain("style-src 'self' 'unsafe-inline'")
    expect(csp).toContain("worker-src 'self' blob:")
    expect(csp).toContain("connect-src 'self' ws://127.0.0.1:4000")
    expect(csp).toContain("object-src 'none'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline/)
  })
})
