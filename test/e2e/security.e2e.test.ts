/// <reference lib="dom" />
import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CALL_NAMES } from '../../src-preload/contract'
import { WS_PATH } from '../../src-preload/ws-protocol'
import { startApp, type RunningApp } from './harness'

/** In the page: opens a socket to the server, sends raw texts one by one, collects the replies. */
async function exchangeInPage(
  app: RunningApp,
  url: string,
  messages: string[]
): Promise<{ replies: unknown[]; closeCode: number | null; opened: boolean }> {
  return app.page.evaluate(
    ({ url, messages }) =>
      new Promise<{ replies: unknown[]; closeCode: number | null; opened: boolean }>((resolve) => {
        const replies: unknown[] = []
        let opened = false
        const socket = new WebSocket(url)
        socket.onopen = () => {
          opened = true
          for (const message of messages) socket.send(message)
        }
        socket.onmessage = (event) => {
          const data = JSON.parse(String(event.data))
          if (data.type !== 'result') return
          replies.push(data)
          if (replies.length === messages.length) {
            socket.close()
            resolve({ replies, closeCode: null, opened })
          }
        }
        socket.onclose = (event) => resolve({ replies, closeCode: event.code, opened })
      }),
    { url, messages }
  )
}

describe('security of the app in the browser', () => {
  let app: RunningApp
  let foreign: Server
  let foreignPort: number
  beforeAll(async () => {
    app = await startApp({ example: 'quickstart' })
    // A page on another origin of the same machine (same site for cookies: only the Origin check stops it).
    foreign = createServer((_req, res) => res.end('<!doctype html><title>elsewhere</title>'))
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve))
    foreignPort = (foreign.address() as { port: number }).port
  })
  afterAll(async () => {
    foreign?.close()
    await app?.close()
  })

  it('gives the page no Node, Electron or IPC objects', async () => {
    const reachable = await app.page.evaluate(() => ({
      require: typeof (globalThis as Record<string, unknown>).require,
      process: typeof (globalThis as Record<string, unknown>).process,
      ipcRenderer: typeof (globalThis as Record<string, unknown>).ipcRenderer,
      module: typeof (globalThis as Record<string, unknown>).module,
      Buffer: typeof (globalThis as Record<string, unknown>).Buffer
    }))
    expect(reachable).toEqual({
      require: 'undefined',
      process: 'undefined',
      ipcRenderer: 'undefined',
      module: 'undefined',
      Buffer: 'undefined'
    })
  })

  it('blocks inline scripts and eval by its Content-Security-Policy', async () => {
    // DevTools evaluation itself is exempt from CSP, so the test injects code the way an attacker would.
    const outcome = await app.page.evaluate(
      () =>
        new Promise<{ inlineRan: boolean; evalRan: boolean }>((resolve) => {
          const scope = window as unknown as Record<string, unknown>
          scope.__violations = []
          document.addEventListener('securitypolicyviolation', (event) =>
            (scope.__violations as string[]).push(event.violatedDirective)
          )
          const inline = document.createElement('script')
          inline.textContent = 'window.__inlineRan = true'
          document.head.append(inline)
          setTimeout('window.__evalRan = true', 0)
          // Timers of equal delay run in order: by now the string timer ran, or was refused.
          setTimeout(
            () => resolve({ inlineRan: scope.__inlineRan === true, evalRan: scope.__evalRan === true }),
            0
          )
        })
    )
    expect(outcome).toEqual({ inlineRan: false, evalRan: false })
    await expect
      .poll(() => app.page.evaluate(() => (window as unknown as { __violations: string[] }).__violations))
      .toEqual(expect.arrayContaining([expect.stringMatching(/^script-src/)]))
  })

  it('answers every call with wrong types, oversized strings or polluting keys with INVALID_ARGUMENT', async () => {
    const url = `ws://127.0.0.1:${app.server.port}${WS_PATH}`
    const bad = CALL_NAMES.flatMap((name, n) => [
      JSON.stringify({ type: 'call', id: n * 3, name, input: 42 }),
      JSON.stringify({
        type: 'call',
        id: n * 3 + 1,
        name,
        input: { batch: 'x'.repeat(100_000), dir: 'x'.repeat(100_000), source: 1 }
      }),
      `{"type":"call","id":${n * 3 + 2},"name":"${name}","input":{"__proto__":{"polluted":true},"batch":"example"}}`
    ])
    const { replies } = await exchangeInPage(app, url, bad)
    expect(replies).toHaveLength(bad.length)
    for (const reply of replies as { id: number; result: { ok: boolean; error?: { code: string } } }[]) {
      expect(reply.result, `call ${CALL_NAMES[Math.floor(reply.id / 3)]}`).toMatchObject({
        ok: false,
        error: { code: 'INVALID_ARGUMENT' }
      })
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    // The engine keeps working.
    const { replies: after } = await exchangeInPage(app, url, [
      JSON.stringify({ type: 'call', id: 1, name: 'projects.current' })
    ])
    expect(after[0]).toMatchObject({
      result: { ok: true, value: { batches: [{ name: 'example', runs: 62 }] } }
    })
  })

  it('refuses a browser without the token: no page, no calls', async () => {
    const context = await app.browser.newContext()
    try {
      const page = await context.newPage()
      const response = await page.goto(`${app.server.origin}/`)
      expect(response?.status()).toBe(401)
      expect(await page.textContent('body')).toContain('needs the link printed when it started')
      const outcome = await page.evaluate(
        (url) =>
          new Promise<{ closeCode: number; replies: number }>((resolve) => {
            let replies = 0
            const socket = new WebSocket(url)
            socket.onopen = () =>
              socket.send(JSON.stringify({ type: 'call', id: 1, name: 'projects.recent' }))
            socket.onmessage = () => replies++
            socket.onclose = (event) => resolve({ closeCode: event.code, replies })
          }),
        `ws://127.0.0.1:${app.server.port}${WS_PATH}`
      )
      expect(outcome).toEqual({ closeCode: 4401, replies: 0 })
    } finally {
      await context.close()
    }
  })

  it('refuses a page of another origin even in the browser that holds the cookie', async () => {
    const page = await app.context.newPage()
    try {
      await page.goto(`http://127.0.0.1:${foreignPort}/`)
      const outcome = await page.evaluate(
        (url) =>
          new Promise<{ opened: boolean; closeCode: number }>((resolve) => {
            let opened = false
            const socket = new WebSocket(url)
            socket.onopen = () => {
              opened = true
              socket.send(JSON.stringify({ type: 'call', id: 1, name: 'projects.current' }))
            }
            socket.onclose = (event) => resolve({ opened, closeCode: event.code })
          }),
        `ws://127.0.0.1:${app.server.port}${WS_PATH}`
      )
      expect(outcome).toEqual({ opened: false, closeCode: 1006 })
    } finally {
      await page.close()
    }
  })
})
