import { closeSync, openSync, readdirSync, readSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { decideStop, diffTriggerKey, postToolUseOutput, type DiffFacts } from './decide.js';
import type { HookPayload } from './payload.js';
import { isGlobEntry, matchPerformancePath, type PathVerdict } from './paths.js';
import { isReviewAgent, reviewToolOf } from './review.js';
import { SessionState, type MatchFact } from './session-state.js';
import { readHookSettings, type HookSettings } from './settings.js';
import { adviseTool } from './tool-advice.js';
import type { HookOutput } from './decide.js';

/**
 * One handler per event: gathers the facts (payload, config, session state, git) and hands
 * them to the pure rules. Nothing here throws to the caller for an expected problem: each
 * becomes a note and the hook stays silent.
 */
export interface HookEnvironment {
  /** performance.now() by which the answer must be ready. */
  deadline: number;
  env: NodeJS.ProcessEnv;
  /** Overrides the state folder (tests). */
  stateRoot?: string;
}

export interface HandlerResult {
  output?: HookOutput;
  notes: string[];
}

const HEAD_BYTES = 8192;

/** Claude Code sets CLAUDE_PROJECT_DIR for hooks; `cwd` may be a sub-folder Claude cd'ed into. */
export function projectDirOf(payload: HookPayload, env: NodeJS.ProcessEnv): string {
  const fromEnv = env.CLAUDE_PROJECT_DIR;
  return fromEnv && isAbsolute(fromEnv) ? fromEnv : payload.cwd;
}

function openState(payload: HookPayload, context: HookEnvironment, notes: string[]): SessionState | undefined {
  try {
    return SessionState.open(payload.sessionId, context.stateRoot ?? undefined);
  } catch (error) {
    notes.push(`hook state folder unusable (${(error as Error).message}); staying silent`);
    return undefined;
  }
}

export async function handleHook(payload: HookPayload, context: HookEnvironment): Promise<HandlerResult> {
  switch (payload.event) {
    case 'PostToolUse':
      return onPostToolUse(payload, context);
    case 'UserPromptSubmit':
      return onUserPromptSubmit(payload, context);
    case 'Stop':
      return onStop(payload, context);
    case 'SubagentStop':
      return onSubagentStop(payload, context);
  }
}

function readHead(filePath: string, written: string | undefined): string {
  if (written !== undefined) return written.slice(0, HEAD_BYTES);
  let fd: number | undefined;
  try {
    fd = openSync(filePath, 'r');
    const buffer = Buffer.alloc(HEAD_BYTES);
    const read = readSync(fd, buffer, 0, HEAD_BYTES, 0);
    return buffer.subarray(0, read).toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The newest `compare` run in `.perf/runs` (ids start with a sortable UTC timestamp). */
function latestCompareRun(projectDir: string): string | undefined {
  try {
    const runs = readdirSync(join(projectDir, '.perf', 'runs')).filter((name) => /^\d{8}-\d{6}-compare-/.test(name));
    return runs.sort().pop();
  } catch {
    return undefined;
  }
}

async function matchPath(filePath: string, projectDir: string, settings: HookSettings): Promise<PathVerdict> {
  const glob = settings.paths.some(isGlobEntry) ? await import('./glob.js') : undefined;
  const globMatch = glob ? glob.matchesAnyGlob : () => false;
  let verdict = matchPerformancePath(filePath, projectDir, settings.paths, [], globMatch);
  if (verdict.kind === 'no-match' && verdict.reason === 'outside-project') {
    // The same folder reached through a symlink (e.g. /tmp → /private/tmp) is still inside.
    try {
      const realProject = realpathSync(projectDir);
      const realFile = join(realpathSync(dirname(filePath)), filePath.slice(dirname(filePath).length + 1));
      verdict = matchPerformancePath(realFile, realProject, settings.paths, [], globMatch);
    } catch {
      // a path that does not resolve stays outside
    }
  }
  if (verdict.kind === 'match' && settings.exclude.length) {
    const { matchesAnyGlob } = glob ?? (await import('./glob.js'));
    if (matchesAnyGlob(verdict.match.relPath, settings.exclude)) return { kind: 'no-match', reason: 'excluded' };
  }
  return verdict;
}

async function onPostToolUse(payload: HookPayload, context: HookEnvironment): Promise<HandlerResult> {
  const notes: string[] = [];
  const reviewTool = reviewToolOf(payload.toolName);
  if (reviewTool) {
    openState(payload, context, notes)?.record({ kind: 'review', at: Date.now(), by: reviewTool });
    return { notes };
  }
  if (!payload.filePath) return { notes };
  const projectDir = projectDirOf(payload, context.env);
  const { settings, notes: configNotes } = readHookSettings(projectDir);
  notes.push(...configNotes);
  if (settings.mode === 'off') return { notes };
  const verdict = await matchPath(payload.filePath, projectDir, settings);
  if (verdict.kind !== 'match') return { notes };

  const { match } = verdict;
  const advice = adviseTool(match.relPath, readHead(payload.filePath, payload.writtenContent), match.matchedDir);
  const state = openState(payload, context, notes);
  if (!state) return { notes };
  const fact: MatchFact = { kind: 'match', at: Date.now(), relPath: match.relPath, rule: match.rule, matchedDir: match.matchedDir, tool: advice.tool };
  state.record(fact);
  if (!state.claimOnce(`post:${match.matchedDir}`)) return { notes };
  const baseline = advice.tool === 'compare_benchmarks' ? latestCompareRun(projectDir) : undefined;
  return { output: postToolUseOutput(match, payload.toolName ?? 'An edit', advice, baseline), notes };
}

async function onSubagentStop(payload: HookPayload, context: HookEnvironment): Promise<HandlerResult> {
  const notes: string[] = [];
  if (isReviewAgent(payload.agentType)) {
    openState(payload, context, notes)?.record({ kind: 'review', at: Date.now(), by: `agent ${payload.agentType}` });
  }
  return { notes };
}

async function takeSnapshot(projectDir: string, state: SessionState, deadline: number) {
  const { gitRunner, repoInfo, snapshotTree } = await import('./git-snapshot.js');
  const git = gitRunner(projectDir, deadline);
  const repo = await repoInfo(git, projectDir);
  const tree = await snapshotTree(git, repo, state.scratchPath('index'));
  return { git, repo, tree };
}

async function onUserPromptSubmit(payload: HookPayload, context: HookEnvironment): Promise<HandlerResult> {
  const notes: string[] = [];
  const projectDir = projectDirOf(payload, context.env);
  const { settings, notes: configNotes } = readHookSettings(projectDir);
  notes.push(...configNotes);
  if (settings.mode === 'off') return { notes };
  const state = openState(payload, context, notes);
  if (!state || state.readBaseline()) return { notes };
  try {
    const { repo, tree } = await takeSnapshot(projectDir, state, context.deadline);
    state.writeBaseline({ tree, toplevel: repo.toplevel, at: Date.now() });
  } catch (error) {
    // Recorded so later prompts do not pay for the same failure again (e.g. a huge repo).
    const reason = (error as Error).message;
    state.writeBaseline({ unavailable: reason, at: Date.now() });
    notes.push(`no working-tree baseline (${reason}); the diff-size rule is off for this session`);
  }
  state.pruneOldSessions();
  return { notes };
}

async function measureSinceBaseline(projectDir: string, state: SessionState, settings: HookSettings, deadline: number): Promise<DiffFacts> {
  const baseline = state.readBaseline();
  if (baseline && 'unavailable' in baseline) return { measured: false, reason: baseline.unavailable };
  try {
    const { git, repo, tree } = await takeSnapshot(projectDir, state, deadline);
    if (!baseline) {
      // No prompt was seen (hook installed mid-session): this stop becomes the baseline.
      state.writeBaseline({ tree, toplevel: repo.toplevel, at: Date.now() });
      return { measured: false, reason: 'no baseline yet; recorded one now' };
    }
    const { diffTrees } = await import('./git-snapshot.js');
    const { measureChange } = await import('./diff-size.js');
    const { matchesAnyGlob } = await import('./glob.js');
    const diff = await diffTrees(git, repo, baseline.tree, tree);
    const size = measureChange(diff.entries, (path) => settings.exclude.length > 0 && matchesAnyGlob(path, settings.exclude), diff.generated);
    return { measured: true, size, since: 'session' };
  } catch (error) {
    return { measured: false, reason: (error as Error).message };
  }
}

async function onStop(payload: HookPayload, context: HookEnvironment): Promise<HandlerResult> {
  const notes: string[] = [];
  const projectDir = projectDirOf(payload, context.env);
  const { settings, notes: configNotes } = readHookSettings(projectDir);
  notes.push(...configNotes);
  if (settings.mode === 'off') return { notes };
  if (settings.mode === 'require' && payload.stopHookActive) return { notes };
  const state = openState(payload, context, notes);
  if (!state) return { notes };
  const facts = state.facts();
  if (facts.some((fact) => fact.kind === 'review')) return { notes };

  const diff: DiffFacts = state.hasFired(diffTriggerKey())
    ? { measured: false, reason: 'the diff-size trigger already acted in this session' }
    : await measureSinceBaseline(projectDir, state, settings, context.deadline);
  if (!diff.measured) notes.push(`diff-size rule skipped: ${diff.reason}`);

  const decision = decideStop({
    mode: settings.mode,
    stopHookActive: payload.stopHookActive,
    threshold: settings.diffLines,
    diff,
    matches: facts.filter((fact): fact is MatchFact => fact.kind === 'match'),
    reviewed: false,
    alreadyFired: (key) => state.hasFired(key),
  });
  if (!decision) return { notes };
  // Claim every key; if another process claimed them all first, it has already spoken.
  const claimed = decision.keys.filter((key) => state.claimOnce(key));
  if (!claimed.length) return { notes };
  return { output: decision.output, notes };
}
