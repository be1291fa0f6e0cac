import type { HandlerResult, HookContext } from './main.js';
import type { HookPayload } from './payload.js';
import { projectDirOf } from './project.js';
import { nextPromptOutput, type HookOutput } from './decide.js';
import { openSessionState, type SessionState } from './session-state.js';
import { readHookSettings } from './settings.js';
import { GitBudgetError } from './git-snapshot.js';
import { takeSnapshot } from './working-tree.js';

const MAX_ATTEMPTS = 3;

/**
 * UserPromptSubmit: the first prompt of a session records the working tree as the baseline
 * that "the size of this change" is measured against at Stop. Later prompts keep it. In
 * hooks.mode "notify" it also hands the model the facts of the last Stop note, once.
 */
export async function onUserPromptSubmit(payload: HookPayload, context: HookContext): Promise<HandlerResult> {
  const notes: string[] = [];
  const projectDir = projectDirOf(payload, context.env);
  const { settings, notes: configNotes } = readHookSettings(projectDir);
  notes.push(...configNotes);
  if (settings.mode === 'off') return { notes };
  const state = openSessionState(payload.sessionId, context.env, notes);
  if (!state) return { notes };
  const output = pendingNoteOutput(state);
  const existing = state.readBaseline();
  const attempts = existing && 'unavailable' in existing ? (existing.attempts ?? 1) : 0;
  // A baseline is kept for the session. A git that ran out of time (a busy machine) gets up
  // to MAX_ATTEMPTS prompts; anything else (no git, not a repository) is not retried.
  if (existing && !('unavailable' in existing && existing.retryable && attempts < MAX_ATTEMPTS)) return { output, notes };
  try {
    const { repo, tree } = await takeSnapshot(projectDir, state, context.deadline);
    state.writeBaseline({ tree, toplevel: repo.toplevel, indexPath: repo.indexPath, at: Date.now() });
  } catch (error) {
    const reason = (error as Error).message;
    const retryable = error instanceof GitBudgetError;
    state.writeBaseline({ unavailable: reason, at: Date.now(), attempts: attempts + 1, retryable });
    notes.push(
      `no working-tree baseline (${reason}); the diff-size rule is off${retryable && attempts + 1 < MAX_ATTEMPTS ? ' until a later prompt succeeds' : ' for this session'}`,
    );
  }
  state.pruneOldSessions();
  return { output, notes };
}

/**
 * hooks.mode "notify": a Stop note told the user only; its facts reach the model here, once,
 * with the next prompt — unless a review ran in between (then they are stale).
 */
function pendingNoteOutput(state: SessionState): HookOutput | undefined {
  const note = state.takePendingNote();
  if (!note || state.facts().some((fact) => fact.kind === 'review')) return undefined;
  return nextPromptOutput(note);
}
