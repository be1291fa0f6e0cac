/**
 * The JSON Claude Code writes to a hook's stdin, checked by hand (no zod: start-up cost).
 * Only the fields the rules use are kept. Field names follow Claude Code's hook input
 * schema (2.1.x): common `session_id`, `cwd`, `hook_event_name`; PostToolUse `tool_name`,
 * `tool_input`; Stop/SubagentStop `stop_hook_active`; SubagentStop `agent_type`.
 */
export type HookEvent = 'PostToolUse' | 'UserPromptSubmit' | 'Stop' | 'SubagentStop';

export interface HookPayload {
  event: HookEvent;
  sessionId: string;
  cwd: string;
  toolName?: string;
  /** `tool_input.file_path` (Edit, Write, MultiEdit) or `tool_input.notebook_path` (NotebookEdit). */
  filePath?: string;
  /** `tool_input.content` of a Write: lets the advice look at the file without reading it. */
  writtenContent?: string;
  stopHookActive: boolean;
  agentType?: string;
}

const EVENT_ALIASES: Record<string, HookEvent> = {
  posttooluse: 'PostToolUse',
  'post-tool-use': 'PostToolUse',
  userpromptsubmit: 'UserPromptSubmit',
  'user-prompt-submit': 'UserPromptSubmit',
  stop: 'Stop',
  subagentstop: 'SubagentStop',
  'subagent-stop': 'SubagentStop',
};

/** `post-tool-use`, `PostToolUse`… → the event; anything else → undefined. */
export function normaliseEventName(name: unknown): HookEvent | undefined {
  if (typeof name !== 'string') return undefined;
  return EVENT_ALIASES[name.toLowerCase()];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * Pure: stdin text + the event named on the command line → payload, or undefined when the
 * input is not something the hook can act on (empty, not JSON, missing session or cwd).
 * The payload's own `hook_event_name` wins over the argument when both are present.
 */
export function parseHookPayload(input: string, argEvent?: string): HookPayload | undefined {
  if (!input.trim()) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(input);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const data = raw as Record<string, unknown>;
  const event = normaliseEventName(data.hook_event_name) ?? normaliseEventName(argEvent);
  const sessionId = text(data.session_id);
  const cwd = text(data.cwd);
  if (!event || !sessionId || !cwd) return undefined;
  const payload: HookPayload = { event, sessionId, cwd, stopHookActive: data.stop_hook_active === true };
  const toolName = text(data.tool_name);
  if (toolName) payload.toolName = toolName;
  const toolInput = data.tool_input;
  if (typeof toolInput === 'object' && toolInput !== null && !Array.isArray(toolInput)) {
    const inputs = toolInput as Record<string, unknown>;
    const filePath = text(inputs.file_path) ?? text(inputs.notebook_path);
    if (filePath) payload.filePath = filePath;
    if (typeof inputs.content === 'string') payload.writtenContent = inputs.content;
  }
  const agentType = text(data.agent_type);
  if (agentType) payload.agentType = agentType;
  return payload;
}
