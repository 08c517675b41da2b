import { createReadStream, existsSync, statSync } from 'node:fs'
import path from 'node:path'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm'
}

/**
 * The file under `root` that a URL path names, or undefined: paths that leave the folder (`..`, encoded
 * or not), name hidden files, or do not exist give undefined.
 */
export function resolveStaticFile(root: string, urlPath: string): string | undefined {
  let decoded: string
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0])
  } catch {
    return undefined
  }
  if (decoded.includes('\0')) return undefined
  const relative = path.posix.normalize(decoded).replace(/^\/+/, '')
  if (relative.split('/').some((part) => part === '..' || part.startsWith('.'))) return undefined
  const file = path.resolve(root, relative)
  if (file !== root && !file.startsWith(root + path.sep)) return undefined
  if (!existsSync(file) || !statSync(file).isFile()) return undefined
  return file
}

/** The Content-Type for a file name. */
export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream'
}

/** Streams a file as the response body. */
export function sendFile(
  response: import('node:http').ServerResponse,
  file: string,
  headers: Record<string, string>
): void {
  response.writeHead(200, {
    ...headers,
    'Content-Type': contentTypeOf(file),
    'Content-Length': String(statSync(file).size)
  })
  createReadStream(file).pipe(response)
}
