import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { defined, UserError } from '../common/errors.js';
import { spawnTree } from '../common/spawn.js';

/**
 * The demo app runs as a child process — the same way profile_process launches it — so what
 * is measured is a separate server, not code sharing the load generator's event loop.
 */
export function demoAppEntry(): string {
  // From dist/demo/index.js the sibling app/main.js is right there; from src (tests through
  // vitest) the compiled app is in dist/.
  const candidates = [fileURLToPath(new URL('./app/main.js', import.meta.url)), fileURLToPath(new URL('../../dist/demo/app/main.js', import.meta.url))];
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new UserError(`the demo app is not built (looked for ${candidates.join(' and ')})`, 'run `npm run build` first');
  return found;
}

export interface RunningApp {
  url: string;
  port: number;
  pid: number;
  /** Stops the app (SIGTERM, so its query log is flushed); resolves when it has exited. */
  stop(): Promise<void>;
}

const LISTENING = /listening on (http:\/\/127\.0\.0\.1:(\d+))/;

export async function startAppProcess(args: string[], options: { signal: AbortSignal; startTimeoutMs?: number }): Promise<RunningApp> {
  const entry = demoAppEntry();
  let stdout = '';
  let announce: (match: RegExpExecArray) => void = () => {};
  const listening = new Promise<RegExpExecArray>((resolve) => (announce = resolve));
  const tree = spawnTree(process.execPath, [entry, ...args], {
    signal: options.signal,
    onStdout(chunk) {
      stdout += chunk;
      const match = LISTENING.exec(stdout);
      if (match) announce(match);
    },
  });
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    const match = await Promise.race([
      listening,
      tree.exited.then((exit) => {
        const why = exit.stderr.trim().split('\n').slice(-3).join(' ');
        // Exit code 3 = better-sqlite3 missing: the message says how to install it.
        if (exit.exitCode === 3) throw new UserError(why.replace(/^demo app: /, ''));
        throw new Error(`the demo app exited before listening (code ${exit.exitCode}${exit.cancelled ? ', cancelled' : ''}): ${why}`);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the demo app did not start listening within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
    return {
      url: defined(match[1], 'the demo app URL'),
      port: Number(match[2]),
      pid: tree.pid,
      async stop() {
        await tree.stop('SIGTERM');
      },
    };
  } catch (error) {
    await tree.stop('SIGKILL').catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** A free loopback port for a process that must be told its port in advance (profile_process waits for it). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
