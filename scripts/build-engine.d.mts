export interface BuildEngineResult {
  built: string[]
  skipped: string[]
  ms: number
}
export function buildEngine(options?: { root?: string; quiet?: boolean }): Promise<BuildEngineResult>
export function formatBuildError(error: unknown): string
