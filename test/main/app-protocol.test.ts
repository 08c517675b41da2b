import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { handleAppRequest } from '../../src-main/app-protocol'
import { tempDir } from '../api/helpers'

function rendererFolder(): string {
  const dir = tempDir('bd-renderer-')
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Batchdesk</title>')
  mkdirSync(path.join(dir, 'assets'))
  writeFileSync(path.join(dir, 'assets', 'index.js'), 'export {}')
  return dir
}

describe('the app scheme', () => {
  it('serves the renderer with the Content-Security-Policy header', async () => {
    const response = await handleAppRequest(new Request('batchdesk://app/index.html'), rendererFolder())
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(await response.text()).toContain('<title>Batchdesk</title>')
  })

  it('serves scripts as JavaScript', async () => {
    const response = await handleAppRequest(new Request('batchdesk://app/assets/index.js'), rendererFolder())
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
  })

  it.each([
    ['batchdesk://app/../package.json'],
    ['batchdesk://app/%2e%2e/%2e%2e/etc/passwd'],
    ['batchdesk://other/index.html'],
    ['batchdesk://app/missing.js']
  ])('answers 404 for %s', async (url) => {
    expect((await handleAppRequest(new Request(url), rendererFolder())).status).toBe(404)
  })
})
