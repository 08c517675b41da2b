import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import path from 'node:path'
import { WebSocketServer } from 'ws'
import type { ContractHost } from '../api/dispatch'
import { WS_PATH } from '../../src-preload/ws-protocol'
import { contentSecurityPolicy } from '../csp'
import {
  allowedHosts,
  createToken,
  hostAllowed,
  originAllowed,
  sessionCookie,
  tokenFromCookie,
  tokenMatches
} from './auth'
import { resolveStaticFile, sendFile } from './static-files'
import { attachSession } from './socket-session'

export interface ServerOptions {
  host: ContractHost
  /** The built renderer (out/renderer). */
  rendererDir: string
  /** Address to bind (default 127.0.0.1: only this machine). */
  hostname?: string
  /** Port (default 0: a free one). */
  port?: number
  /** The access token (default: a new random one). */
  token?: string
}

export interface RunningServer {
  /** The address to open, token included. */
  url: string
  /** `http://host:port`, the only Origin accepted. */
  origin: string
  port: number
  token: string
  close(): Promise<void>
}

/** Largest message a client may send (a run class source is at most 1 MB of text). */
const MAX_MESSAGE_BYTES = 8 * 1024 * 1024

/**
 * Browser mode: serves the built renderer and the contract over a WebSocket at /api, hosting the engine in
 * this process. Without the per-start token (in the URL once, then an HttpOnly cookie) nothing but the
 * static assets and a "use the printed link" page is reachable; requests with a foreign Host (DNS
 * rebinding) or a foreign Origin are refused.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const hostname = options.hostname ?? '127.0.0.1'
  const token = options.token ?? createToken()
  const rendererDir = path.resolve(options.rendererDir)
  let hosts = new Set<string>()
  let csp = ''

  const server = createServer((request, response) => handleHttp(request, response))
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES })

  function handleHttp(request: IncomingMessage, response: ServerResponse): void {
    const headers = {
      'Content-Security-Policy': csp,
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      // The first URL carries the token: never leak it in a Referer.
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cross-Origin-Opener-Policy': 'same-origin'
    }
    if (!hostAllowed(request.headers.host, hosts))
      return sendText(response, 421, 'This server only answers to its own address.', headers)
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return sendText(response, 405, 'Method not allowed.', headers)
    const url = new URL(request.url ?? '/', 'http://localhost')
    if (url.pathname === '/' || url.pathname === '/index.html') {
      const presented = url.searchParams.get('token')
      if (presented !== null) {
        if (!tokenMatches(presented, token)) return sendText(response, 401, WRONG_LINK, headers)
        // Move the token into a cookie and drop it from the address bar (and from history).
        response.writeHead(303, {
          ...headers,
          'Set-Cookie': sessionCookie(token),
          Location: '/',
          'Cache-Control': 'no-store'
        })
        return void response.end()
      }
      if (!tokenMatches(tokenFromCookie(request.headers.cookie), token))
        return sendText(response, 401, WRONG_LINK, headers)
      const index = resolveStaticFile(rendererDir, '/index.html')
      if (!index)
        return sendText(
          response,
          500,
          `The app is not built: run \`npm run build\` (looked for ${path.join(rendererDir, 'index.html')}).`,
          headers
        )
      return sendFile(response, index, { ...headers, 'Cache-Control': 'no-store' })
    }
    const file = resolveStaticFile(rendererDir, url.pathname)
    if (!file) return sendText(response, 404, 'Not found.', headers)
    sendFile(response, file, headers)
  }

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    if (
      url.pathname !== WS_PATH ||
      !hostAllowed(request.headers.host, hosts) ||
      !originAllowed(request.headers.origin, hosts)
    ) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n')
      return
    }
    const authenticated = tokenMatches(tokenFromCookie(request.headers.cookie), token)
    sockets.handleUpgrade(request, socket, head, (ws) =>
      attachSession(ws, options.host, token, authenticated)
    )
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, hostname, () => resolve())
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0)
  const urlHost = hostname.includes(':') ? `[${hostname}]` : hostname
  hosts = allowedHosts(hostname, port)
  const origin = `http://${urlHost}:${port}`
  csp = contentSecurityPolicy({ connectSources: [`ws://${urlHost}:${port}`] })

  return {
    url: `${origin}/?token=${token}`,
    origin,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of sockets.clients) client.terminate()
        sockets.close()
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

const WRONG_LINK =
  'Batchdesk needs the link printed when it started (http://127.0.0.1:PORT/?token=…). Open that link; restart `batchdesk serve` if you lost it.'

function sendText(
  response: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string>
): void {
  response.writeHead(status, {
    ...headers,
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store'
  })
  response.end(text)
}
