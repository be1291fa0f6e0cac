import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { changedLines } from './changed-files.js';
import { decideStop, diffTriggerKey, type DiffFacts, type StopFacts } from './decide.js';
import { chooseFirstCall, type ChangedSource, type FirstCall, type PerfFile } from './first-call.js';
import { gitRunner } from './git-snapshot.js';
import type { HandlerResult, HookContext } from './main.js';
import type { HookPayload } from './payload.js';
import { latestCompareRun } from './post-tool-use.js';
import { projectDirOf } from './project.js';
import { openSessionState, type MatchFact, type SessionState } from './session-state.js';
import { readHookSettings } from './settings.js';
import { measureSinceBaseline } from './working-tree.js';

/** Stop: measure the change, collect the session's facts, and let `decideStop` act by hooks.mode. */
export async function onStop(payload: HookPayload, context: HookContext): Promise<HandlerResult> {
  const notes: string[] = [];
  const projectDir = projectDirOf(payload, context.env);
  const { settings, notes: configNotes } = readHookSettings(projectDir);
  notes.push(...configNotes);
  if (settings.mode === 'off') return { notes };
  if (settings.mode === 'require' && payload.stopHookActive) return { notes };
  const state = openSessionState(payload.sessionId, context.env, notes);
  if (!state) return { notes };
  const facts = state.facts();
  if (facts.some((fact) => fact.kind === 'review')) return { notes };

  const diff: DiffFacts = state.hasFired(diffTriggerKey())
    ? { measured: false, reason: 'the diff-size trigger already acted in this session' }
    : await measureSinceBaseline(projectDir, state, settings, context.deadline);
  if (!diff.measured) notes.push(`diff-size rule skipped: ${diff.reason}`);

  const matches = facts.filter((fact): fact is MatchFact => fact.kind === 'match');
  const stopFacts: StopFacts = {
    mode: settings.mode,
    stopHookActive: payload.stopHookActive,
    threshold: settings.diffLines,
    diff,
    matches,
    reviewed: false,
    alreadyFired: (key) => state.hasFired(key),
  };
  // The silent path stays cheap: the first call (one more git process, a few file reads) is
  // only worked out once the rules have decided to speak.
  if (!decideStop(stopFacts)) return { notes };
  const firstCall = await firstCallFor(projectDir, state, diff, matches, context, notes);
  const decision = decideStop({ ...stopFacts, firstCall });
  if (!decision) return { notes };
  // Claim every key; if a concurrent stop claimed them all first, it has already spoken.
  const claimed = decision.keys.filter((key) => state.claimOnce(key));
  if (!claimed.length) return { notes };
  if (decision.nextPromptContext) state.writePendingNote(decision.nextPromptContext);
  return { output: decision.output, notes };
}

const HEAD_BYTES = 8192;
const MAX_SOURCE_BYTES = 512 * 1024;
const MAX_SOURCES = 8;

function readText(path: string, maxBytes: number): string | undefined {
  try {
    const buffer = readFileSync(path);
    if (buffer.length > maxBytes && maxBytes !== HEAD_BYTES) return undefined;
    const text = buffer.subarray(0, maxBytes).toString('utf8');
    return text.includes('\0') ? undefined : text;
  } catch {
    return undefined;
  }
}

async function firstCallFor(
  projectDir: string,
  state: SessionState,
  diff: DiffFacts,
  matches: MatchFact[],
  context: HookContext,
  notes: string[],
): Promise<FirstCall | undefined> {
  try {
    const perfFiles: PerfFile[] = [];
    for (const match of [...matches].reverse()) {
      if (perfFiles.some((file) => file.relPath === match.relPath)) continue;
      const head = readText(join(projectDir, match.relPath), HEAD_BYTES);
      if (head !== undefined) perfFiles.push({ relPath: match.relPath, tool: match.tool as PerfFile['tool'], head });
    }
    const sources: ChangedSource[] = [];
    const baseline = state.readBaseline();
    if (diff.measured && diff.trees && diff.changedPaths?.length && baseline && 'tree' in baseline) {
      const git = gitRunner(projectDir, context.deadline);
      const repo = { toplevel: baseline.toplevel, indexPath: baseline.indexPath };
      for (const file of await changedLines(git, repo, projectDir, diff.trees.from, diff.trees.to, diff.changedPaths.slice(0, MAX_SOURCES))) {
        const content = readText(file.absPath, MAX_SOURCE_BYTES);
        if (content !== undefined && file.lines.length) sources.push({ relPath: file.relPath, lines: file.lines, content });
      }
    }
    return chooseFirstCall({
      perfFiles,
      sources,
      // The same baseline the PostToolUse note names.
      baselineRun: latestCompareRun(projectDir),
      scriptRunner: loadTestTakesScript(context.env),
      database: configuredDatabase(projectDir),
    });
  } catch (error) {
    notes.push(`no first call worked out (${(error as Error).message})`);
    return undefined;
  }
}

function configuredDatabase(projectDir: string): string | undefined {
  try {
    const config = JSON.parse(readFileSync(join(projectDir, '.perf', 'config.json'), 'utf8')) as { query?: { database?: unknown } };
    return typeof config?.query?.database === 'string' && config.query.database ? config.query.database : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether this build's run_load_test takes `script` (a k6 script run as it is, issue 17): read
 * from the tools/list answer the build wrote (scripts/bundle.mjs), so the note follows the
 * server it sits next to without importing a schema into the hook.
 */
export function loadTestTakesScript(env: NodeJS.ProcessEnv): boolean {
  // In the CommonJS hook bundle, scripts/bundle-hook.mjs defines this as the bundle's own URL.
  const here = import.meta.url;
  const candidates: Array<() => string | URL | undefined> = [
    () => (env.CLAUDE_PLUGIN_ROOT && isAbsolute(env.CLAUDE_PLUGIN_ROOT) ? join(env.CLAUDE_PLUGIN_ROOT, 'dist', 'bundle', 'tools-list.json') : undefined),
    () => new URL('../bundle/tools-list.json', here),
    () => new URL('../../dist/bundle/tools-list.json', here),
  ];
  for (const candidate of candidates) {
    try {
      const path = candidate();
      if (!path) continue;
      const list = JSON.parse(readFileSync(path, 'utf8')) as { tools?: Array<{ name: string; inputSchema?: { properties?: Record<string, unknown> } }> };
      const load = list.tools?.find((tool) => tool.name === 'run_load_test');
      return Boolean(load?.inputSchema?.properties && 'script' in load.inputSchema.properties);
    } catch {
      // not there: try the next place
    }
  }
  return false;
}
