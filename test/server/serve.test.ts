import { existsSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { serve } from '../../src-main/cli/serve'
import type { Output } from '../../src-main/cli/commands'
import { tempDir } from '../api/helpers'

function recordingOutput(): Output & { lines: string[] } {
  const lines: string[] = []
  return { lines, out: (text) => lines.push(text), err: (text) => lines.push(`error: ${text}`), isTTY: false }
}

function rendererFolder(): string {
  const dir = tempDir('bd-renderer-')
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Batchdesk</title>')
  return dir
}

describe('batchdesk serve', () => {
  it('creates the example the first time, opens it and prints the address with its token', async () => {
    const dir = path.join(tempDir('bd-serve-'), 'quickstart')
    const io = recordingOutput()
    let stop!: () => void
    const until = new Promise<void>((resolve) => (stop = resolve))
    let seen: { batches: number; url: string } | undefined
    const code = await serve(
      dir,
      {
        example: 'quickstart',
        rendererDir: rendererFolder(),
        configDir: tempDir('bd-config-'),
        until,
        onListening: (server, service) => {
          seen = { batches: service.summary().batches.length, url: server.url }
          stop()
        }
      },
      io
    )
    expect(code).toBe(0)
    expect(existsSync(path.join(dir, 'batchdesk.json'))).toBe(true)
    expect(seen?.batches).toBe(1)
    expect(io.lines.join('\n')).toContain(`Batchdesk is running at ${seen!.url}`)
    expect(seen!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/)
  })

  it('says how to build the app when the renderer is missing', async () => {
    const io = recordingOutput()
    const code = await serve(
      undefined,
      { rendererDir: tempDir('bd-empty-'), configDir: tempDir('bd-config-') },
      io
    )
    expect(code).toBe(2)
    expect(io.lines.join('\n')).toContain('npm run build')
  })
})
