import * as acorn from 'acorn'
import { describeModuleSource } from '../params/read-parameters'
import type { RunClassInfo } from '../types'
import { compileRunModule, type CompileOptions } from './compile-module'

/**
 * Describes a run class module WITHOUT evaluating it (for the Electron main process, which must not run
 * user code): compiles it (so workers can load it by `ref`) and reads the class, its parameters and the
 * exported functions from the source. Gives the same RunClassInfo as `loadRunClass`.
 * @throws RunClassCompileError when the module does not compile; RunClassError when no run class is found
 *   or a parameter default is not a literal (the message names the file and line).
 */
export async function describeRunModule(file: string, options: CompileOptions = {}): Promise<RunClassInfo> {
  const compiled = await compileRunModule(file, options)
  const described = describeModuleSource(compiled.entryEsm, compiled.file)
  const exportName = exportNameOf(compiled.entryEsm, described.className)
  return {
    name: described.className,
    parameters: described.parameters,
    codeHash: compiled.codeHash,
    ref: {
      codeHash: compiled.codeHash,
      bundleFile: compiled.bundleFile,
      exportName,
      sourceFile: compiled.file
    },
    functionExports: described.functionExports,
    sourceFile: compiled.file
  }
}

/** 'default' when the module has a default export, else the name under which the class is exported. */
function exportNameOf(esm: string, className: string): string {
  const program = acorn.parse(esm, { ecmaVersion: 'latest', sourceType: 'module' })
  for (const node of program.body) {
    if (node.type === 'ExportDefaultDeclaration') return 'default'
  }
  for (const node of program.body) {
    if (node.type !== 'ExportNamedDeclaration') continue
    if (node.declaration?.type === 'ClassDeclaration' && node.declaration.id?.name === className)
      return className
    for (const specifier of node.specifiers) {
      const local =
        specifier.local.type === 'Identifier' ? specifier.local.name : String(specifier.local.value)
      const exported =
        specifier.exported.type === 'Identifier' ? specifier.exported.name : String(specifier.exported.value)
      if (local === className) return exported === 'default' ? 'default' : exported
    }
  }
  return 'default'
}
