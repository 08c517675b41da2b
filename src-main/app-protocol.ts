/**
 * Serves the built renderer on the app scheme (batchdesk://app/…) with the Content-Security-Policy as a
 * real header. Uses only web-standard Request/Response (no electron import), so it is tested under Node;
 * index.ts hands it to `protocol.handle`.
 */
import { readFile } from 'node:fs/promises'
import { contentSecurityPolicy } from './csp'
import { contentTypeOf, resolveStaticFile } from './server/static-files'

export async function handleAppRequest(request: Request, rendererDir: string): Promise<Response> {
  const url = new URL(request.url)
  if (url.host !== 'app' || request.method !== 'GET') return new Response('Not found', { status: 404 })
  const file = resolveStaticFile(rendererDir, url.pathname === '/' ? '/index.html' : url.pathname)
  if (!file) return new Response('Not found', { status: 404 })
  return new Response(await readFile(file), {
    headers: {
      'Content-Type': contentTypeOf(file),
      'Content-Security-Policy': contentSecurityPolicy(),
      'X-Content-Type-Options': 'nosniff'
    }
  })
}
