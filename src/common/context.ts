import { resolve } from 'node:path';
import { loadConfig, type PerfConfig } from '../store/config.js';
import { ignoreProgress, type ProgressReporter } from './progress.js';

/**
 * What every core entry point receives from its adapter (MCP tool, CLI command, demo):
 * where the project is, its config, how to report progress and when to stop.
 */
export interface RunContext {
  projectDir: string;
  config: PerfConfig;
  signal: AbortSignal;
  report: ProgressReporter;
}

/** The user's project: PERFENG_PROJECT_DIR, then Claude Code's CLAUDE_PROJECT_DIR, then cwd. */
export function projectDirFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.PERFENG_PROJECT_DIR || env.CLAUDE_PROJECT_DIR || process.cwd());
}

export async function createRunContext(
  options: { projectDir?: string; signal?: AbortSignal; report?: ProgressReporter; config?: PerfConfig } = {},
): Promise<RunContext> {
  const projectDir = resolve(options.projectDir ?? projectDirFromEnv());
  return {
    projectDir,
    config: options.config ?? (await loadConfig(projectDir)),
    signal: options.signal ?? new AbortController().signal,
    report: options.report ?? ignoreProgress,
  };
}

/** What a tool's core returns to its adapters: the structured result and the text a person reads. */
export interface ToolOutcome<O> {
  structured: O;
  /** Verdict first, then the few numbers that matter, then where the artefacts are (for people). */
  summary: string;
  /**
   * What the agent reads first (≤ 700 chars): verdict word, 3-5 numbers, run id. Without it the
   * registry takes the first paragraph of `summary` (src/common/tool.ts).
   */
  brief?: string;
  /** Up to three concrete follow-up calls the result suggests, e.g. `profile_process {command, load}`. */
  next?: string[];
}
