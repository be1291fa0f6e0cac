/**
 * The names of the agent's tools, and nothing else: the hook bundle (dist/hooks/hook.cjs,
 * loaded on every edit) imports this file, so it must not pull in a schema or zod.
 * src/tools.ts lists the definitions in the same order; a test keeps the two equal.
 */
export const TOOL_NAMES = ['run_load_test', 'profile_process', 'analyze_query', 'compare_benchmarks', 'measure_web_vitals', 'performance_history'] as const;

export type ToolName = (typeof TOOL_NAMES)[number];

export function isToolName(name: string): name is ToolName {
  return (TOOL_NAMES as readonly string[]).includes(name);
}
