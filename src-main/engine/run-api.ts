/**
 * What run class modules get from `import { … } from 'batchdesk'`. The engine resolves that specifier to
 * this module itself (in workers too), so a project folder needs no node_modules.
 */
export { Run, ResultRun } from './run'
export type { RunStatus } from './run'
export { FunctionRef } from './params/function-ref'
export { linspace, logspace, rangeValues } from './design/spaces'
