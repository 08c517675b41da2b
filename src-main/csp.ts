/**
 * The Content-Security-Policy of the app's pages, shared by the Electron window and the browser-mode
 * server. Plain TypeScript (no electron import) so it is unit-tested under Node.
 *
 * Monaco needs inline styles (`style-src 'unsafe-inline'`) and blob workers (`worker-src 'self' blob:`);
 * nothing else is loosened: no inline or remote scripts, no eval, no plugins, no framing, no form posts.
 */
export function contentSecurityPolicy(options: { connectSources?: string[] } = {}): string {
  const directives: Record<string, string[]> = {
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    'style-src': ["'self'", "'unsafe-inline'"],
    'img-src': ["'self'", 'data:', 'blob:'],
    'font-src': ["'self'", 'data:'],
    'worker-src': ["'self'", 'blob:'],
    'connect-src': ["'self'", ...(options.connectSources ?? [])],
    'object-src': ["'none'"],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
    'frame-ancestors': ["'none'"]
  }
  return Object.entries(directives)
    .map(([name, sources]) => `${name} ${sources.join(' ')}`)
    .join('; ')
}
