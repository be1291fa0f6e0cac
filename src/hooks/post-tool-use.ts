import { fs, path } from './builtins.js';
import type { HandlerResult, HookContext } from './main.js';
import type { HookPayload } from './payload.js';
import { isGlobEntry, matchPerformancePath, type PathVerdict } from './paths.js';
import { projectDirOf } from './project.js';
import { reviewToolOf } from './review.js';
import { readHookSettings, type HookSettings } from './settings.js';

/**
 * PostToolUse. Two jobs:
 * - a call of one of the agent's measuring tools is recorded as "review done";
 * - an edit of a performance-sensitive file is recorded (the Stop rule lists them) and, the
 *   first time per session and matched directory, Claude gets the facts as additionalContext.
 * The non-matching edit is the hot path: it loads only this file, the settings reader and
 * the path rule; state, advice and globs are imported once a rule matched.
 */
const HEAD_BYTES = 8192;

function readHead(filePath: string, written: string | undefined): string {
  if (written !== undefined) return written.slice(0, HEAD_BYTES);
  let fd: number | undefined;
  try {
    fd = fs.openSync(filePath, 'r');
    const buffer = Buffer.alloc(HEAD_BYTES);
    const read = fs.readSync(fd, buffer, 0, HEAD_BYTES, 0);
    return buffer.subarray(0, read).toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** The newest `compare` run in `.perf/runs` (run ids start with a sortable UTC timestamp). */
export function latestCompareRun(projectDir: string): string | undefined {
  try {
    const runs = fs.readdirSync(path.join(projectDir, '.perf', 'runs')).filter((name) => /^\d{8}-\d{6}-compare-/.test(name));
    return runs.sort().pop();
  } catch {
    return undefined;
  }
}

/**
 * `hooks.exclude` is not applied here: it shapes the diff-size rule (its documented job), and
 * compiling its globs would cost half of a matching edit's budget. Dependency and VCS folders
 * are never matched anyway (paths.ts).
 */
async function matchPath(filePath: string, projectDir: string, settings: HookSettings): Promise<PathVerdict> {
  const glob = settings.paths.some(isGlobEntry) ? await import('./glob.js') : undefined;
  const globMatch = glob ? glob.matchesAnyGlob : () => false;
  let verdict = matchPerformancePath(filePath, projectDir, settings.paths, [], globMatch);
  if (verdict.kind === 'no-match' && verdict.reason === 'outside-project') {
    // The same folder reached through a symlink (e.g. /tmp → /private/tmp) is still inside.
    try {
      const realProject = fs.realpathSync(projectDir);
      const realFile = path.join(fs.realpathSync(path.dirname(filePath)), path.basename(filePath));
      if (realProject !== projectDir || realFile !== filePath) {
        verdict = matchPerformancePath(realFile, realProject, settings.paths, [], globMatch);
      }
    } catch {
      // a path that does not resolve stays outside
    }
  }
  return verdict;
}

export async function onPostToolUse(payload: HookPayload, context: HookContext): Promise<HandlerResult> {
  const notes: string[] = [];
  const reviewTool = reviewToolOf(payload.toolName);
  if (reviewTool) {
    const { openSessionState } = await import('./session-state.js');
    openSessionState(payload.sessionId, context.env, notes)?.record({ kind: 'review', at: Date.now(), by: reviewTool });
    return { notes };
  }
  if (!payload.filePath) return { notes };
  const projectDir = projectDirOf(payload, context.env);
  const { settings, notes: configNotes } = readHookSettings(projectDir);
  notes.push(...configNotes);
  if (settings.mode === 'off') return { notes };
  const verdict = await matchPath(payload.filePath, projectDir, settings);
  if (verdict.kind !== 'match') return { notes };

  const [{ openSessionState }, { adviseTool }, { postToolUseOutput }] = await Promise.all([
    import('./session-state.js'),
    import('./tool-advice.js'),
    import('./decide.js'),
  ]);
  const { match } = verdict;
  const advice = adviseTool(match.relPath, readHead(payload.filePath, payload.writtenContent), match.matchedDir);
  const state = openSessionState(payload.sessionId, context.env, notes);
  if (!state) return { notes };
  state.record({ kind: 'match', at: Date.now(), relPath: match.relPath, rule: match.rule, matchedDir: match.matchedDir, tool: advice.tool });
  if (!state.claimOnce(`post:${match.matchedDir}`)) return { notes };
  const baseline = advice.tool === 'compare_benchmarks' ? latestCompareRun(projectDir) : undefined;
  return { output: postToolUseOutput(match, payload.toolName ?? 'An edit', advice, baseline), notes };
}
