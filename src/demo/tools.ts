import type { RunContext, ToolOutcome } from '../common/context.js';

/**
 * The four tools, loaded lazily. A tool whose module is not there (a trimmed install, or a
 * capability still being built) makes its demo step "skipped" with the reason, instead of
 * failing the whole demo.
 */
export type ToolRunner<O> = (input: Record<string, unknown>, context: RunContext) => Promise<ToolOutcome<O>>;

export class ToolMissingError extends Error {
  override readonly name = 'ToolMissingError';
}

async function importTool(specifier: string, exportName: string): Promise<ToolRunner<unknown>> {
  let module: Record<string, unknown>;
  try {
    module = (await import(specifier)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || /Cannot find module|Failed to load url|Does the file exist/i.test((error as Error).message)) {
      throw new ToolMissingError(`${specifier} is not available in this build`);
    }
    throw error;
  }
  const runner = module[exportName];
  if (typeof runner !== 'function') throw new ToolMissingError(`${specifier} does not export ${exportName}`);
  return runner as ToolRunner<unknown>;
}

// Specifiers are variables so a capability that is absent from this tree does not break the
// build; each resolves relative to this module (src/demo or dist/demo).
const TOOL_MODULES = {
  run_load_test: ['../load/index.js', 'runLoadTest'],
  profile_process: ['../profile/index.js', 'runProfile'],
  analyze_query: ['../query/index.js', 'analyzeQuery'],
  compare_benchmarks: ['../compare/index.js', 'compareBenchmarks'],
} as const;

export type ToolName = keyof typeof TOOL_MODULES;

export async function loadTool<O>(name: ToolName): Promise<ToolRunner<O>> {
  const [specifier, exportName] = TOOL_MODULES[name];
  return (await importTool(specifier, exportName)) as ToolRunner<O>;
}
