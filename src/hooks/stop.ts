import { decideStop, diffTriggerKey, type DiffFacts } from './decide.js';
import type { HandlerResult, HookContext } from './main.js';
import type { HookPayload } from './payload.js';
import { projectDirOf } from './project.js';
import { openSessionState, type MatchFact } from './session-state.js';
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
  // Claim every key; if a concurrent stop claimed them all first, it has already spoken.
  const claimed = decision.keys.filter((key) => state.claimOnce(key));
  if (!claimed.length) return { notes };
  return { output: decision.output, notes };
}
