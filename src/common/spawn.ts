import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { UserError } from './errors.js';
import { installExitHook, isAlive, listDescendants, liveGroups, signalTree } from './process-tree.js';

export { isAlive, killAllSpawned, listDescendants } from './process-tree.js';

/**
 * The one place child processes are started. Every child runs in its own process group
 * (`detached`), and stopping it — on timeout, cancellation or our own exit — signals the
 * whole group plus every descendant found in /proc (a grandchild that called setsid has
 * left the group but is still ours). SIGTERM first, SIGKILL after a grace period.
 */
export interface SpawnOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Cancels the process tree when aborted. */
  signal?: AbortSignal;
  /** Kills the tree after this many ms (0 = no limit). */
  timeoutMs?: number;
  /** Time between SIGTERM and SIGKILL. */
  killGraceMs?: number;
  /** The signal that starts a stop (SIGINT lets profilers write their files). */
  stopSignal?: NodeJS.Signals;
  stdin?: 'ignore' | 'pipe' | 'inherit';
  /** Keep at most this many bytes of each stream in the result (the tail is kept). */
  maxOutputBytes?: number;
  onStdout?: (chunk: string) => void;
  onStderr?: (chunk: string) => void;
}

export interface ExitInfo {
  command: string;
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  cancelled: boolean;
  durationMs: number;
}

export interface SpawnedTree {
  pid: number;
  subprocess: ChildProcess;
  exited: Promise<ExitInfo>;
  /** Stops the whole tree (idempotent); resolves once the leader has exited. */
  stop(signal?: NodeJS.Signals): Promise<ExitInfo>;
}

function keepTail(buffer: string, chunk: string, max: number): string {
  const next = buffer + chunk;
  return next.length > max ? next.slice(next.length - max) : next;
}

export function spawnTree(command: string, args: readonly string[], options: SpawnOptions = {}): SpawnedTree {
  installExitHook();
  const maxOutput = options.maxOutputBytes ?? 1_000_000;
  const grace = options.killGraceMs ?? 2000;
  const started = performance.now();
  // node:child_process directly: our own group and tree killing replaces a library's
  // cleanup, and output is streamed, never buffered whole.
  const subprocess = spawn(command, [...args], {
    cwd: options.cwd,
    env: options.env ? { ...process.env, ...options.env } : process.env,
    detached: true,
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
  const pid = subprocess.pid ?? -1;
  if (pid > 0) liveGroups.add(pid);

  let stdout = '';
  let stderr = '';
  subprocess.stdout?.setEncoding('utf8');
  subprocess.stderr?.setEncoding('utf8');
  subprocess.stdout?.on('data', (chunk: string) => {
    stdout = keepTail(stdout, chunk, maxOutput);
    options.onStdout?.(chunk);
  });
  subprocess.stderr?.on('data', (chunk: string) => {
    stderr = keepTail(stderr, chunk, maxOutput);
    options.onStderr?.(chunk);
  });

  let timedOut = false;
  let cancelled = false;
  let stopping: Promise<ExitInfo> | undefined;

  const finished = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    subprocess.once('error', (error: NodeJS.ErrnoException) => {
      // Only a failed start matters here: signals go through signalTree, never subprocess.kill.
      if (subprocess.pid === undefined) reject(error);
    });
    subprocess.once('exit', (exitCode, signal) => resolve({ exitCode, signal }));
  });

  const exited: Promise<ExitInfo> = finished.then(
    async (result) => {
      liveGroups.delete(pid);
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      // Descendants may outlive the leader (e.g. a daemonised grandchild): they are ours too.
      // Killing them first also closes any pipe they inherited, so the output can end.
      const orphans = listDescendants(pid);
      if (orphans.length) signalTree(pid, 'SIGKILL', orphans);
      await outputEnded(subprocess, 2000);
      return {
        command: [command, ...args].join(' '),
        exitCode: result.exitCode,
        signal: result.signal,
        stdout,
        stderr,
        timedOut,
        cancelled,
        durationMs: performance.now() - started,
      };
    },
    (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (error.code === 'ENOENT') throw new UserError(`command not found: "${command}"`, 'check the spelling, or give the full path');
      if (error.code === 'EACCES') throw new UserError(`command is not executable: "${command}"`, 'check its permissions (chmod +x)');
      throw error;
    },
  );

  const stop = (signal: NodeJS.Signals = options.stopSignal ?? 'SIGTERM'): Promise<ExitInfo> => {
    if (stopping) return stopping;
    const descendants = listDescendants(pid);
    signalTree(pid, signal, descendants);
    const killer = setTimeout(() => signalTree(pid, 'SIGKILL', [...descendants, ...listDescendants(pid)]), grace);
    stopping = exited.finally(() => {
      clearTimeout(killer);
      // Whatever survived the leader's exit (ignored SIGTERM, own session) is killed now.
      signalTree(pid, 'SIGKILL', descendants.filter(isAlive));
    });
    return stopping;
  };

  const timer =
    options.timeoutMs && options.timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          void stop().catch(() => undefined);
        }, options.timeoutMs)
      : undefined;
  const onAbort = () => {
    cancelled = true;
    void stop().catch(() => undefined);
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  return { pid, subprocess, exited, stop };
}

/** Resolves once both output streams have ended, or after `capMs` (a stray holder of the pipe). */
async function outputEnded(subprocess: ChildProcess, capMs: number): Promise<void> {
  const streams = [subprocess.stdout, subprocess.stderr].filter(
    (stream): stream is NonNullable<typeof stream> => !!stream && !stream.readableEnded && !stream.destroyed,
  );
  if (streams.length === 0) return;
  const cap = new AbortController();
  const timer = setTimeout(() => cap.abort(), capMs);
  try {
    await Promise.all(streams.map((stream) => once(stream, 'close', { signal: cap.signal }).catch(() => undefined)));
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a command to completion (or timeout/cancel) and returns what it printed. */
export function runCommand(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<ExitInfo> {
  return spawnTree(command, args, options).exited;
}
