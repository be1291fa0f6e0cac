import { parseHookPayload } from './payload.js';

/**
 * `perfeng hook <event>`: the glue between Claude Code and the trigger rules. Reads the
 * payload from stdin, dispatches to the event's handler, prints at most one JSON object.
 *
 * It must never hurt the user's session: every path exits 0; problems become one line on
 * stderr (shown by Claude Code in verbose mode only), never a stack trace; and a watchdog
 * answers "nothing" after HOOK_BUDGET_MS whatever is still running (git on a huge repo),
 * killing its children on the way out. Handlers are imported lazily so the common case —
 * an edit outside any performance folder — loads only this file, the payload parser, the
 * settings reader and the path rule.
 */
export const HOOK_BUDGET_MS = 1800;
/** Write payloads carry the whole file; beyond this the payload is not worth parsing. */
const MAX_STDIN_BYTES = 32 * 1024 * 1024;

export interface HookResult {
  output?: object;
  notes: string[];
}

function note(message: string): void {
  try {
    process.stderr.write(`perfeng hook: ${message}\n`);
  } catch {
    // stderr closed: nothing else to do
  }
}

function readStdin(): Promise<string | undefined> {
  return new Promise((resolve) => {
    if (process.stdin.isTTY) return resolve(undefined);
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (value: string | undefined) => {
      process.stdin.removeAllListeners('data');
      resolve(value);
    };
    process.stdin.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_STDIN_BYTES) {
        process.stdin.pause();
        process.stdin.destroy();
        return done(undefined);
      }
      chunks.push(chunk);
    });
    process.stdin.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', () => done(undefined));
  });
}

export async function runHook(event: string | undefined): Promise<void> {
  process.exitCode = 0;
  const started = performance.now();
  const deadline = started + HOOK_BUDGET_MS;
  const watchdog = setTimeout(() => {
    note(`no answer within ${HOOK_BUDGET_MS} ms; skipped`);
    // process.exit runs the spawner's exit hook, which kills every git still running.
    process.exit(0);
  }, HOOK_BUDGET_MS);
  watchdog.unref();
  try {
    const input = await readStdin();
    if (input === undefined) return note('stdin was empty, too large or unreadable; nothing to do');
    const payload = parseHookPayload(input, event);
    if (!payload) return note('stdin is not a Claude Code hook payload; nothing to do');
    const { handleHook } = await import('./handlers.js');
    const result = await handleHook(payload, { deadline, env: process.env });
    for (const message of result.notes) note(message);
    if (result.output) process.stdout.write(`${JSON.stringify(result.output)}\n`);
  } catch (error) {
    note(`skipped after an internal error: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearTimeout(watchdog);
    process.exitCode = 0;
  }
}
