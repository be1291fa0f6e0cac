import type { HandlerResult, HookContext } from './main.js';
import type { HookPayload } from './payload.js';
import { projectDirOf } from './project.js';
import { openSessionState } from './session-state.js';
import { readHookSettings } from './settings.js';
import { takeSnapshot } from './working-tree.js';

/**
 * UserPromptSubmit: the first prompt of a session records the working tree as the baseline
 * that "the size of this change" is measured against at Stop. Later prompts keep it.
 */
export async function onUserPromptSubmit(payload: HookPayload, context: HookContext): Promise<HandlerResult> {
  const notes: string[] = [];
  const projectDir = projectDirOf(payload, context.env);
  const { settings, notes: configNotes } = readHookSettings(projectDir);
  notes.push(...configNotes);
  if (settings.mode === 'off') return { notes };
  const state = openSessionState(payload.sessionId, context.env, notes);
  if (!state || state.readBaseline()) return { notes };
  try {
    const { repo, tree } = await takeSnapshot(projectDir, state, context.deadline);
    state.writeBaseline({ tree, toplevel: repo.toplevel, indexPath: repo.indexPath, at: Date.now() });
  } catch (error) {
    // Recorded so later prompts do not pay for the same failure again (e.g. a huge repo).
    const reason = (error as Error).message;
    state.writeBaseline({ unavailable: reason, at: Date.now() });
    notes.push(`no working-tree baseline (${reason}); the diff-size rule is off for this session`);
  }
  state.pruneOldSessions();
  return { notes };
}
