import type {
  BatchState,
  BatchSummary,
  DesignSummary,
  ParameterSummary,
  ProjectSummary,
  RunClassSummary
} from '../../src-preload/contract'
import { redactUrl } from '../engine/distributed'
import type { Design } from '../engine/project/manifest'
import { expandAxis, type Project, type ProjectBatch } from '../engine/project/project'
import type { RunClassInfo } from '../engine/types'
import { plainData, sourceText } from './display'
import { originInfo } from './pack-preview'

/** The open project as the renderer sees it. */
export function summarizeProject(project: Project, stateOf: (batch: string) => BatchState): ProjectSummary {
  return {
    dir: project.dir,
    name: project.manifest.name,
    description: project.manifest.description ?? '',
    readOnly: project.readOnly,
    batches: project.batches.map((batch) => summarizeBatch(project, batch, stateOf(batch.name))),
    computeOn: project.manifest.settings.redis ? redactUrl(project.manifest.settings.redis) : null
  }
}

export function summarizeBatch(
  project: Project,
  projectBatch: ProjectBatch,
  state: BatchState
): BatchSummary {
  const entry = project.manifest.batches.find((b) => b.name === projectBatch.name)
  return {
    name: projectBatch.name,
    runClassFile: projectBatch.runClassFile,
    runClassName: projectBatch.runClass?.name ?? null,
    loadError: projectBatch.loadError ?? null,
    parameterNames: projectBatch.runClass
      ? projectBatch.runClass.parameters.filter((p) => !p.isPrivate).map((p) => p.name)
      : projectBatch.batch.parameterNames,
    runs: projectBatch.batch.runs.length,
    counts: projectBatch.batch.statusCounts(),
    designs: (entry?.designs ?? []).map(summarizeDesign),
    state,
    ...(entry?.imported ? { imported: originInfo(entry.imported) } : {})
  }
}

/** Axes above this much JSON stay out of the summary: the summary goes to the window on every change. */
const MAX_SUMMARY_GRID_CHARS = 64 * 1024

/** A design with the number of runs it adds (0 when an axis cannot be expanded) and, if small, its axes. */
export function summarizeDesign(design: Design): DesignSummary {
  if (design.kind === 'run') return { kind: 'run', label: design.label, runs: 1 }
  let runs = 1
  try {
    for (const name of Object.keys(design.grid)) runs *= expandAxis(design.grid[name], name).length
  } catch {
    runs = 0
  }
  const small = JSON.stringify(design.grid).length <= MAX_SUMMARY_GRID_CHARS
  return { kind: 'factorial', label: design.label, runs, ...(small ? { grid: design.grid } : {}) }
}

/** What the editor and the grid builder need to know about a run class. */
export function summarizeRunClass(info: RunClassInfo): RunClassSummary {
  return {
    name: info.name,
    parameters: info.parameters.map((spec): ParameterSummary => ({
      name: spec.name,
      default: plainData(spec.default),
      defaultText: sourceText(spec.default),
      kind: spec.kind,
      isPrivate: spec.isPrivate,
      ...(spec.unit === undefined ? {} : { unit: spec.unit }),
      ...(spec.description === undefined ? {} : { description: spec.description })
    })),
    functionExports: [...info.functionExports],
    codeHash: info.codeHash
  }
}
