import { fs } from './builtins.js';
import { parseHookPayload } from './payload.js';

/**
 * `perfeng hook <event>`: the glue between Claude Code and the trigger rules. Reads the
 * payload from stdin, dispatches to the event's handler, prints at most one JSON object.
 *
 * It must never hurt the user's session: every path exits 0; problems become one line on
 * stderr (shown by Claude Code in verbose mode only), never a stack trace; and a watchdog
 * answers "nothing" after HOOK_BUDGET_MS whatever is still running (git on a huge repo),
 * killing its children on the way out.
 *
 * Start-up cost is the design constraint (the hook runs on every edit): handlers are
 * imported per event, and this file avoids `process.stdin`/`stdout`/`stderr` and
 * `performance` — touching any of them loads Node's stream, tty or perf_hooks modules
 * (~15 ms together, measured in bench/hooks); plain fd reads and writes do the same job.
 */
export const HOOK_BUDGET_MS = 1800;

/**
 * `PERFENG_HOOK_BUDGET_MS` raises or lowers the budget (200–20000 ms) for machines where
 * git is known to be slow, and for tests on an overloaded CI box. Claude Code's own hook
 * timeout (5 s in hooks/hooks.json) still applies on top.
 */
export function hookBudgetMs(env: NodeJS.ProcessEnv): number {
  const value = Number(env.PERFENG_HOOK_BUDGET_MS);
  return Number.isFinite(value) && value >= 200 && value <= 20_000 ? value : HOOK_BUDGET_MS;
}
/** Write payloads carry the whole file; beyond this the payload is not worth parsing. */
const MAX_STDIN_BYTES = 32 * 1024 * 1024;

export interface HookContext {
  /** Date.now() by which the answer must be ready. */
  deadline: number;
  env: NodeJS.ProcessEnv;
}

export interface HandlerResult {
  output?: object;
  notes: string[];
}

function writeFd(fd: number, text: string): void {
  try {
    fs.writeSync(fd, text);
  } catch {
    // a closed pipe: nothing else to do
  }
}

function note(message: string): void {
  writeFd(2, `perfeng hook: ${message}\n`);
}

/**
 * Reads the payload with one synchronous read of fd 0. Claude Code writes the payload and
 * closes the pipe, so the read ends. A terminal (someone typed the command) or /dev/null
 * means no payload; a non-blocking pipe (EAGAIN) falls back to the stream.
 */
async function readStdin(): Promise<string | undefined> {
  try {
    if (fs.fstatSync(0).isCharacterDevice()) return undefined;
    const data = fs.readFileSync(0);
    return data.length > MAX_STDIN_BYTES ? undefined : data.toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return undefined;
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stdin = process.stdin;
    stdin.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_STDIN_BYTES) {
        stdin.destroy();
        resolve(undefined);
      } else chunks.push(chunk);
    });
    stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stdin.on('error', () => resolve(undefined));
  });
}

type Handler = (payload: import('./payload.js').HookPayload, context: HookContext) => Promise<HandlerResult>;

const HANDLERS: Record<import('./payload.js').HookEvent, () => Promise<Handler>> = {
  PostToolUse: () => import('./post-tool-use.js').then((module) => module.onPostToolUse),
  SubagentStop: () => import('./subagent-stop.js').then((module) => module.onSubagentStop),
  UserPromptSubmit: () => import('./user-prompt-submit.js').then((module) => module.onUserPromptSubmit),
  Stop: () => import('./stop.js').then((module) => module.onStop),
};

export async function runHook(event: string | undefined): Promise<void> {
  process.exitCode = 0;
  const budget = hookBudgetMs(process.env);
  const deadline = Date.now() + budget;
  const watchdog = setTimeout(() => {
    note(`no answer within ${budget} ms; skipped`);
    // process.exit runs the spawner's exit hook, which kills every git still running.
    process.exit(0);
  }, budget);
  watchdog.unref();
  try {
    const input = await readStdin();
    if (input === undefined) return note('stdin was empty, a terminal, too large or unreadable; nothing to do');
    const payload = parseHookPayload(input, event);
    if (!payload) return note('stdin is not a Claude Code hook payload; nothing to do');
    const handler = await HANDLERS[payload.event]();
    const result = await handler(payload, { deadline, env: process.env });
    for (const message of result.notes) note(message);
    if (result.output) writeFd(1, `${JSON.stringify(result.output)}\n`);
  } catch (error) {
    note(`skipped after an internal error: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearTimeout(watchdog);
    process.exitCode = 0;
  }
}
