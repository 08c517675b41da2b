import { request } from 'node:http'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { AppService } from '../../src-main/api/app-service'
import { startServer, type RunningServer } from '../../src-main/server/server'
import { CLOSE_UNAUTHORIZED } from '../../src-main/server/socket-session'
import { createWebSocketApi, type WebSocketLike } from '../../src-renderer/api/client'
import { createService, tempDir } from '../api/helpers'

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** A raw HTTP GET, so Host and paths are sent exactly as given. */
function get(server: RunningServer, urlPath: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path: urlPath, headers }, (res) => {
      let body = ''
      res.on('data', (chunk) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

/** Opens a socket; resolves with it once open, or rejects with the refused handshake's status. */
function connect(server: RunningServer, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/api`, { headers })
    socket.once('open', () => resolve(socket))
    socket.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)))
    socket.once('error', reject)
  })
}

/** Sends one message and resolves with the next message, or with the close code if the socket closes first. */
function exchange(socket: WebSocket, message: unknown): Promise<{ message?: any; closeCode?: number }> {
  return new Promise((resolve) => {
    socket.once('message', (data) => resolve({ message: JSON.parse(String(data)) }))
    socket.once('close', (code) => resolve({ closeCode: code }))
    socket.send(JSON.stringify(message))
  })
}

describe('the browser-mode server', () => {
  let service: AppService
  let server: RunningServer
  let cookie: string

  beforeEach(async () => {
    const rendererDir = tempDir('bd-renderer-')
    writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>Batchdesk</title>')
    mkdirSync(path.join(rendererDir, 'assets'))
    writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)')
    service = createService()
    server = await startServer({ host: service, rendererDir })
    cookie = `batchdesk_session=${server.token}`
  })
  afterEach(async () => {
    await server.close()
    await service.dispose()
  })

  it('prints an address on 127.0.0.1 that carries a long random token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{40,}$/)
  })

  it('moves the token from the address into an HttpOnly, SameSite=Strict cookie', async () => {
    const reply = await get(server, `/?token=${server.token}`)
    expect(reply.status).toBe(303)
    expect(reply.headers.location).toBe('/')
    expect(String(reply.headers['set-cookie'])).toMatch(/batchdesk_session=.+; HttpOnly; SameSite=Strict/)
  })

  it('serves the app page with a strict Content-Security-Policy only to holders of the token', async () => {
    expect((await get(server, '/')).status).toBe(401)
    expect((await get(server, '/?token=wrong')).status).toBe(401)
    const page = await get(server, '/', { cookie })
    expect(page.status).toBe(200)
    expect(page.body).toContain('<title>Batchdesk</title>')
    const csp = String(page.headers['content-security-policy'])
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("worker-src 'self' blob:")
    expect(csp).not.toContain('unsafe-eval')
  })

  it('refuses requests whose Host is not its own address (DNS rebinding)', async () => {
    expect((await get(server, '/', { cookie, host: `evil.example:${server.port}` })).status).toBe(421)
    await expect(connect(server, { cookie, host: `evil.example:${server.port}` })).rejects.toThrow(/403/)
  })

  it('serves static assets but never files outside the app folder', async () => {
    expect((await get(server, '/assets/app.js')).status).toBe(200)
    expect((await get(server, '/../package.json')).status).toBe(404)
    expect((await get(server, '/%2e%2e/%2e%2e/package.json')).status).toBe(404)
    expect((await get(server, '/assets/..%2f..%2fpackage.json')).status).toBe(404)
  })

  it('refuses a WebSocket from a foreign Origin even with the token', async () => {
    await expect(connect(server, { cookie, origin: 'http://evil.example' })).rejects.toThrow(/403/)
    await expect(connect(server, { cookie, origin: `http://127.0.0.1:${server.port + 1}` })).rejects.toThrow(
      /403/
    )
  })

  it('answers no call on a socket without the token, not even the project list', async () => {
    const socket = await connect(server, { origin: server.origin })
    const reply = await exchange(socket, { type: 'call', id: 1, name: 'projects.recent' })
    expect(reply).toEqual({ closeCode: CLOSE_UNAUTHORIZED })
  })

  it('closes a socket that sends a wrong token', async () => {
    const socket = await connect(server)
    expect(await exchange(socket, { type: 'auth', token: 'x'.repeat(server.token.length) })).toEqual({
      closeCode: CLOSE_UNAUTHORIZED
    })
  })

  it('answers calls on a socket that carries the session cookie', async () => {
    const socket = await connect(server, { cookie, origin: server.origin })
    const reply = await exchange(socket, { type: 'call', id: 7, name: 'projects.listExamples' })
    expect(reply.message).toMatchObject({ type: 'result', id: 7, result: { ok: true } })
    expect(reply.message.result.value.map((e: { id: string }) => e.id)).toContain('quickstart')
    socket.close()
  })

  it('gives the typed client the same API over the socket, events included', async () => {
    const api = createWebSocketApi(`ws://127.0.0.1:${server.port}/api`, {
      token: server.token,
      connect: (url) => new WebSocket(url) as unknown as WebSocketLike
    })
    const opened = new Promise((resolve) => api.on('projectChanged', resolve))
    const dir = path.join(tempDir('bd-project-'), 'quickstart')
    const created = await api.projects.create({ dir, example: 'quickstart' })
    expect(created).toMatchObject({ ok: true, value: { dir, batches: [{ name: 'example', runs: 62 }] } })
    expect(await opened).toMatchObject({ reason: 'opened', project: { dir } })
    expect(await api.runs.list({ batch: 'example', conditions: ['A>=', 'x'] })).toMatchObject({
      ok: false,
      error: { code: 'INVALID_ARGUMENT' }
    })
  })
})
