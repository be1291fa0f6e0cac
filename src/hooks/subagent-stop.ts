import type { HandlerResult, HookContext } from './main.js';
import type { HookPayload } from './payload.js';
import { isReviewAgent } from './review.js';
import { openSessionState } from './session-state.js';

/** SubagentStop: the performance-engineer subagent finishing counts as the review. */
export async function onSubagentStop(payload: HookPayload, context: HookContext): Promise<HandlerResult> {
  const notes: string[] = [];
  if (isReviewAgent(payload.agentType)) {
    openSessionState(payload.sessionId, context.env, notes)?.record({ kind: 'review', at: Date.now(), by: `agent ${payload.agentType}` });
  }
  return { notes };
}
