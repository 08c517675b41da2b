import { existsSync, readdirSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import path from 'node:path'
import type { FolderEntry } from '../../../src-preload/contract'
import { parseRedisUrl, probeRedis } from '../../engine/distributed'
import { MANIFEST_FILE } from '../../engine/project/manifest'
import { listExamples, Project } from '../../engine/project/project'
import type { AppService } from '../app-service'
import type { DomainHandlers } from '../dispatch'
import { ApiFailure } from '../errors'

/** Folders listed at most by `browse`. */
const MAX_BROWSE_ENTRIES = 500

export function projectHandlers(app: AppService): DomainHandlers<'projects'> {
  return {
    listExamples: () => listExamples(),
    recent: () => app.config.recent(),
    current: () => (app.project ? app.summary() : null),
    close: async () => {
      await app.closeProject()
      return null
    },

    create: async ({ dir, example, name }) => {
      const resolved = path.resolve(dir)
      if (existsSync(path.join(resolved, MANIFEST_FILE)))
        throw new ApiFailure('CONFLICT', `${resolved} already holds a project: open it instead`)
      return app.adoptProject(await Project.create(resolved, { example, name }))
    },

    open: async ({ dir, readOnly }) => {
      try {
        const summary = await app.openProject(dir, readOnly === true)
        return summary
          ? { kind: 'opened', project: summary }
          : { kind: 'notAProject', dir: path.resolve(dir) }
      } catch (error) {
        if ((error as Error).name === 'ProjectInUseError') {
          throw new ApiFailure(
            'IN_USE',
            `${(error as Error).message}. You can open it read-only to look at its results`
          )
        }
        throw error
      }
    },

    createHere: async ({ dir, name }) => {
      const resolved = path.resolve(dir)
      if (!existsSync(resolved) || !statSync(resolved).isDirectory())
        throw new ApiFailure('NOT_FOUND', `The folder ${resolved} does not exist`)
      if (existsSync(path.join(resolved, MANIFEST_FILE)))
        throw new ApiFailure('CONFLICT', `${resolved} already holds a project: open it instead`)
      return app.adoptProject(await Project.create(resolved, { name }))
    },

    save: () => {
      app.requireWritableProject().save()
      return app.summary()
    },

    browse: (input) => {
      const home = homedir()
      const dir = path.resolve(input?.dir ?? home)
      if (!existsSync(dir) || !statSync(dir).isDirectory())
        throw new ApiFailure('NOT_FOUND', `The folder ${dir} does not exist`)
      const entries: FolderEntry[] = []
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (
          !entry.isDirectory() ||
          entry.name.startsWith('.') ||
          entry.name === 'node_modules' ||
          entry.name === '_res'
        )
          continue
        const full = path.join(dir, entry.name)
        entries.push({ name: entry.name, path: full, isProject: existsSync(path.join(full, MANIFEST_FILE)) })
      }
      entries.sort((a, b) => a.name.localeCompare(b.name))
      const parent = path.dirname(dir)
      return {
        dir,
        parent: parent === dir ? null : parent,
        home,
        isProject: existsSync(path.join(dir, MANIFEST_FILE)),
        entries: entries.slice(0, MAX_BROWSE_ENTRIES)
      }
    },

    pickFolder: async (input) => {
      if (!app.hooks.pickFolder) return { supported: false, dir: null }
      return { supported: true, dir: await app.hooks.pickFolder(input?.title) }
    },

    computeTarget: () => ({ redis: app.requireProject().manifest.settings.redis ?? null }),

    setComputeTarget: ({ redis }) => {
      const project = app.requireWritableProject()
      if (redis === null) delete project.manifest.settings.redis
      else project.manifest.settings.redis = parseRedisUrl(redis).url
      project.save()
      app.summaryChanged()
      return app.summary()
    },

    checkRedis: ({ redis }) => probeRedis(redis),

    verify: async (input) => {
      const store = app.resultStore()
      if (!store) return { checked: 0, corrupt: 0, problems: [] }
      const report = await store.verify()
      const wanted = input?.batch === undefined ? () => true : (batch?: string) => batch === input.batch
      const corrupt = report.corrupt.filter((c) => wanted(c.batch))
      const missing = report.missing.filter((m) => wanted(m.batch))
      const problems = [
        ...corrupt.map(
          (c) => `${c.file} at byte ${c.offset}${c.id ? ` (run ${c.id.slice(0, 10)})` : ''}: ${c.reason}`
        ),
        ...missing.map((m) => `run ${m.id.slice(0, 10)} of '${m.batch}' is not in ${m.file} any more`),
        ...report.unreadable.map((u) => `${u.file}: ${u.reason}`)
      ]
      return {
        checked: report.validRecords + report.corrupt.length,
        corrupt: corrupt.length,
        problems: problems.slice(0, 100)
      }
    }
  }
}
