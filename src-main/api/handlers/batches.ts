import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import type { AppService } from '../app-service'
import type { DomainHandlers } from '../dispatch'
import { ApiFailure } from '../errors'
import { previewDesign } from '../design-preview'
import { summarizeBatch } from '../project-summary'
import { writeSource } from '../run-class-source'

/** A new batch's run class when its file does not exist yet. */
function runClassTemplate(className: string): string {
  return `import { Run } from 'batchdesk'

/** Describe what one run computes. */
export default class ${className} extends Run {
  run({ x = 1, y = 2 }) {
    return { value: x * y }
  }
}
`
}

export function batchHandlers(app: AppService): DomainHandlers<'batches'> {
  const requireIdle = (batch: string, doing: string) => {
    const state = app.batchState(batch)
    if (state !== 'idle' && state !== 'paused')
      throw new ApiFailure(
        'CONFLICT',
        `Batch '${batch}' is running: cancel it or wait for it to finish before ${doing}`
      )
  }

  return {
    create: async ({ name, runClassFile }) => {
      const project = app.requireWritableProject()
      if (project.manifest.batches.some((b) => b.name === name))
        throw new ApiFailure('CONFLICT', `There is already a batch called '${name}'`)
      const file = path.resolve(project.dir, runClassFile)
      if (!file.startsWith(project.dir + path.sep))
        throw new ApiFailure('INVALID_ARGUMENT', 'The run class file must be inside the project folder')
      if (!existsSync(file)) {
        mkdirSync(path.dirname(file), { recursive: true })
        writeSource(file, runClassTemplate(classNameFor(name)))
      }
      const projectBatch = await project.addBatch(name, runClassFile)
      project.save()
      app.batchChanged(name)
      return summarizeBatch(project, projectBatch, app.batchState(name))
    },

    previewDesign: ({ batch, design }) => {
      const projectBatch = app.projectBatch(batch)
      if (!projectBatch.runClass)
        throw new ApiFailure(
          'INVALID_ARGUMENT',
          `The run class of batch '${batch}' does not load: ${projectBatch.loadError}`
        )
      const processes = app.config.settings.processes ?? app.requireProject().manifest.settings.processes
      return previewDesign(batch, projectBatch.runClass, design, app.resultStore(), processes)
    },

    addDesign: ({ batch, design, run }) => {
      const project = app.requireWritableProject()
      app.projectBatch(batch)
      requireIdle(batch, 'adding runs')
      const added = project.addDesign(batch, design).length
      project.save()
      app.batchChanged(batch)
      if (run === true) app.startExecution(batch)
      return {
        added,
        batch: summarizeBatch(project, app.projectBatch(batch), app.batchState(batch)),
        started: app.batchState(batch) === 'running'
      }
    },

    replaceDesign: async ({ batch, index, design, run }) => {
      const project = app.requireWritableProject()
      const before = app.projectBatch(batch).batch.runs.length
      requireIdle(batch, 'changing a design')
      const rebuilt = await project.replaceDesign(batch, index, design)
      project.save()
      app.batchChanged(batch)
      if (run === true) app.startExecution(batch)
      return {
        added: rebuilt.batch.runs.length - before,
        batch: summarizeBatch(project, app.projectBatch(batch), app.batchState(batch)),
        started: app.batchState(batch) === 'running'
      }
    },

    execute: ({ batch, rerunStale, onlyFailed }) => app.startExecution(batch, { rerunStale, onlyFailed }),
    cancel: ({ batch }) => app.stopExecution(batch, 'cancel'),
    pause: ({ batch }) => app.stopExecution(batch, 'pause'),
    resume: ({ batch }) => app.startExecution(batch),

    status: () => (app.project ? app.executionProgress() : [])
  }
}

/** `my-batch.2` → `MyBatch2Run`: a class name from a batch name. */
function classNameFor(batch: string): string {
  const words = batch.split(/[^A-Za-z0-9]+/).filter(Boolean)
  const name = words.map((w) => w[0].toUpperCase() + w.slice(1)).join('')
  return `${/^[0-9]/.test(name) ? 'Batch' : ''}${name}Run`
}
