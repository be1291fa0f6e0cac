import { connect } from 'node:net';
import type { RunContext } from '../common/context.js';
import { defined, describeError, UserError } from '../common/errors.js';
import { spawnTree, type ExitInfo } from '../common/spawn.js';
import { splitCommand } from './command-line.js';
import type { LoadObserver, LoadSummary } from './drive-load.js';
import { sampleTreeRss } from './rss.js';

/**
 * Runs one prepared command (already wrapped by its runtime's runner: NODE_OPTIONS
 * preload, the Python helper, `perf record`) and decides when profiling ends:
 * - with `load`: when `waitForPort` opens, drive it with run_load_test; stop after the load;
 * - otherwise when the process exits by itself, or at `durationS`, or on cancellation.
 * Stopping sends SIGINT to the whole process group (the profilers' cue to write their
 * files), SIGKILL after a grace period (spawnTree). Peak RSS of the tree is sampled
 * throughout.
 */
/** A program and its arguments: never empty. */
export type Argv = [program: string, ...args: string[]];

/** `command` as given: an argv array, or a command line split the way a shell splits words. */
export function commandArgv(command: string | readonly string[]): Argv {
  const [program, ...args] = typeof command === 'string' ? splitCommand(command) : command;
  // The input schema refuses an empty command already; this keeps a caller without it honest.
  if (program === undefined) throw new UserError('the command is empty', 'give a program to run, e.g. "node server.js"');
  return [program, ...args];
}

export interface LaunchPlan {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Leave the leader out of the RSS sum (it is `perf`, not the program). */
  rssExcludeLeader?: boolean;
  /** Runs before we signal the tree (e.g. ask busy Node processes to write their profiles). */
  beforeStop?: () => Promise<void>;
  killGraceMs?: number;
}

export interface LaunchOptions {
  durationS: number;
  waitForPort?: number;
  waitForPortTimeoutS: number;
  load?: Record<string, unknown>;
  context: RunContext;
  /** Time to let profilers write after SIGINT before SIGKILL. */
  killGraceMs?: number;
  /**
   * Work that runs beside the load once the port is open (kind "leak": memory samples and
   * heap snapshots). It gets the launched tree's root pid and a promise of the load's end,
   * and the process is stopped only after it settles; its error is rethrown after the stop.
   */
  duringLoad?: {
    observe: LoadObserver;
    run(rootPid: number, loadEnded: Promise<LoadSummary | undefined>): Promise<void>;
  };
}

export interface LaunchResult {
  exit: ExitInfo;
  /** True when we stopped it (duration, load finished, cancel), false when it exited itself. */
  stoppedByUs: boolean;
  cancelled: boolean;
  wallMs: number;
  peakRssBytes: number;
  load?: LoadSummary;
  warnings: string[];
}

function tail(text: string, lines = 12): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** One TCP connect attempt to 127.0.0.1 and ::1 (servers bound to "localhost" may be IPv6-only). */
export async function isPortOpen(port: number): Promise<boolean> {
  const attempt = (host: string) =>
    new Promise<boolean>((resolve) => {
      const socket = connect({ host, port });
      const done = (open: boolean) => {
        socket.destroy();
        resolve(open);
      };
      socket.setTimeout(500, () => done(false));
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    });
  return (await attempt('127.0.0.1')) || (await attempt('::1'));
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export async function launchAndWait(plan: LaunchPlan, options: LaunchOptions): Promise<LaunchResult> {
  const { context } = options;
  const warnings: string[] = [];
  const started = performance.now();
  let recentOutput = '';
  // Cancellation is handled below rather than by spawnTree, so profilers get their stop
  // request (beforeStop) before the signal.
  const tree = spawnTree(plan.command, plan.args, {
    cwd: plan.cwd,
    env: plan.env,
    stopSignal: 'SIGINT',
    killGraceMs: plan.killGraceMs ?? options.killGraceMs ?? 10_000,
    maxOutputBytes: 64 * 1024,
    onStderr: (chunk) => (recentOutput = (recentOutput + chunk).slice(-8192)),
    onStdout: (chunk) => (recentOutput = (recentOutput + chunk).slice(-8192)),
  });
  let exited: ExitInfo | undefined;
  let exitError: unknown;
  const exitPromise = tree.exited.then(
    (info) => (exited = info),
    (error) => {
      exitError = error;
      return undefined;
    },
  );
  const rss = tree.pid > 0 ? sampleTreeRss(tree.pid, { excludeRoot: plan.rssExcludeLeader }) : undefined;
  let stoppedByUs = false;
  let load: LoadSummary | undefined;
  const deadline = started + options.durationS * 1000;
  const progressTotal = options.durationS;
  try {
    if (options.waitForPort !== undefined) {
      const waitUntil = performance.now() + options.waitForPortTimeoutS * 1000;
      context.report(0, progressTotal, `waiting for port ${options.waitForPort}`);
      while (!(await isPortOpen(options.waitForPort))) {
        if (exitError) throw exitError;
        if (exited) {
          throw new UserError(
            `the process exited (code ${exited.exitCode ?? exited.signal}) before opening port ${options.waitForPort}`,
            `check the command and that it listens on ${options.waitForPort}. Its last output:\n${tail(exited.stderr || exited.stdout) || '(none)'}`,
          );
        }
        if (context.signal.aborted) break;
        if (performance.now() > waitUntil) {
          throw new UserError(
            `port ${options.waitForPort} did not open within ${options.waitForPortTimeoutS} s`,
            `check the port the program listens on (or raise waitForPortTimeoutS). Its last output:\n${tail(recentOutput) || '(none)'}`,
          );
        }
        await sleep(100, context.signal);
      }
    }
    if (options.load && !context.signal.aborted && !exited) {
      const { driveLoad } = await import('./drive-load.js');
      context.report(0, progressTotal, 'profiling under load');
      const loading = driveLoad(options.load, context, options.duringLoad?.observe);
      const beside = options.duringLoad?.run(
        tree.pid,
        loading.then(
          (summary) => summary,
          () => undefined,
        ),
      );
      // Awaited below; a rejection before then (cancelled mid-snapshot) must not count as unhandled.
      beside?.catch(() => undefined);
      try {
        load = await loading;
      } catch (error) {
        if (error instanceof UserError) {
          await beside?.catch(() => undefined);
          throw error;
        }
        warnings.push(`the load test failed: ${describeError(error)}; the profile covers the time until then`);
      }
      await beside;
      stoppedByUs = !exited;
    } else {
      // Until it exits, the duration is up, or we are cancelled.
      while (!exited && !exitError && !context.signal.aborted) {
        const left = deadline - performance.now();
        if (left <= 0) {
          stoppedByUs = true;
          warnings.push(`stopped the process after durationS=${options.durationS} s (SIGINT); profiles cover that window`);
          break;
        }
        context.report((performance.now() - started) / 1000, progressTotal, 'profiling');
        await Promise.race([exitPromise, sleep(Math.min(250, left), context.signal)]);
      }
    }
  } finally {
    if (!exited && !exitError) {
      if (context.signal.aborted) warnings.push('cancelled: the profile covers the time until then');
      else stoppedByUs = true;
      await plan.beforeStop?.().catch(() => undefined);
      await tree.stop('SIGINT').catch(() => undefined);
      await exitPromise;
    }
    rss?.stop();
  }
  if (exitError) throw exitError;
  // exitPromise has settled (awaited above unless it already had): without an error, it set `exited`.
  const exit = defined(exited, 'exit status of the launched process');
  return {
    exit,
    stoppedByUs,
    cancelled: context.signal.aborted,
    wallMs: performance.now() - started,
    peakRssBytes: rss?.peak() ?? 0,
    ...(load ? { load } : {}),
    warnings,
  };
}

export { tail as outputTail };
