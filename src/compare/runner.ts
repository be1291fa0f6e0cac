import { UserError, throwIfAborted } from '../common/errors.js';
import { spawnTree } from '../common/spawn.js';
import type { ProgressReporter } from '../common/progress.js';
import type { SampleSet } from './model.js';

export interface RunnerOptions {
  baseline: string;
  candidate: string;
  runs: number;
  warmup: number;
  timeoutS: number;
  cwd: string;
  signal: AbortSignal;
  report: ProgressReporter;
}

export interface RunnerResult {
  baseline: SampleSet;
  candidate: SampleSet;
  /** Every measurement in order, for the artefact: [side, run index, wall ms]. */
  log: Array<{ side: 'baseline' | 'candidate'; run: number; warmup: boolean; ms: number }>;
}

async function timeOnce(command: string, options: RunnerOptions): Promise<number> {
  const [file, args] = argvFor(command);
  const tree = spawnTree(file, args, { cwd: options.cwd, signal: options.signal, timeoutMs: options.timeoutS * 1000, maxOutputBytes: 4000 });
  // The process exists once spawnTree returns (child_process.spawn forks synchronously), so the
  // clock starts here: option handling before the fork is ours, not the command's, and under
  // load it added 50–80 ms of jitter per run (bench/compare/runner-vs-hyperfine.mjs).
  const started = performance.now();
  // Stop the clock when the process exits, not when the spawner has finished its clean-up
  // (reading stdio to the end, scanning /proc for orphans): that work is ours, not the command's.
  let ended: number | undefined;
  tree.subprocess.once('exit', () => {
    ended = performance.now();
  });
  const exit = await tree.exited;
  const elapsed = (ended ?? performance.now()) - started;
  throwIfAborted(options.signal);
  if (exit.timedOut) throw new UserError(`"${command}" ran longer than ${options.timeoutS} s`, 'raise run.timeoutS or make the command shorter');
  if (exit.exitCode !== 0) {
    const tail = (exit.stderr || exit.stdout).trim().split('\n').slice(-3).join(' / ');
    throw new UserError(
      `"${command}" exited with ${exit.exitCode ?? exit.signal}${tail ? `: ${tail}` : ''}`,
      'a benchmark command must succeed; fix it or check it by hand first',
    );
  }
  return elapsed;
}

/** Characters that need a shell: quoting, expansion, redirection, pipes, globs, lists. */
const SHELL_SYNTAX = /[^\w\s./=:,@%+-]/;

/**
 * Commands are shell strings, as in hyperfine. A plain command ("sleep 0.02", "node bench.js
 * --n=5") is executed directly, like `hyperfine -N`: an extra /bin/sh per run costs a process
 * start on both sides and adds its jitter (tens of ms on a loaded machine). Anything with shell
 * syntax runs under /bin/sh -c.
 */
export function argvFor(command: string): [string, string[]] {
  const trimmed = command.trim();
  // split() always gives at least one element: '' for an empty command.
  const [file = '', ...args] = trimmed.split(/\s+/);
  // Builtins have no executable, and a leading VAR=value is an assignment: both need the shell.
  if (SHELL_SYNTAX.test(trimmed) || SHELL_BUILTINS.has(file) || file.includes('=')) return ['/bin/sh', ['-c', command]];
  return [file, args];
}

const SHELL_BUILTINS = new Set([
  'exit',
  'cd',
  'export',
  'source',
  '.',
  'eval',
  'exec',
  'set',
  'unset',
  'alias',
  'ulimit',
  'umask',
  'wait',
  'read',
  'trap',
  'shift',
  'return',
  'times',
  'type',
  'command',
  'hash',
  'getopts',
  'readonly',
  ':',
]);

/**
 * Runs the two commands interleaved — A B A B … — so that drift over time (thermal
 * throttling, other load on the machine, cache state) hits both sides alike instead of
 * biasing whichever ran second. Warm-up runs come first, also interleaved, and are dropped.
 */
export async function runInterleaved(options: RunnerOptions): Promise<RunnerResult> {
  const total = (options.runs + options.warmup) * 2;
  const log: RunnerResult['log'] = [];
  const times = { baseline: [] as number[], candidate: [] as number[] };
  let done = 0;
  for (let i = 0; i < options.warmup + options.runs; i++) {
    const warmup = i < options.warmup;
    for (const side of ['baseline', 'candidate'] as const) {
      throwIfAborted(options.signal);
      const ms = await timeOnce(options[side], options);
      log.push({ side, run: warmup ? i : i - options.warmup, warmup, ms });
      if (!warmup) times[side].push(ms);
      done++;
      options.report(
        done,
        total,
        `${warmup ? 'warm-up' : 'run'} ${side} ${warmup ? i + 1 : i - options.warmup + 1}/${warmup ? options.warmup : options.runs}: ${ms.toFixed(1)} ms`,
      );
    }
  }
  const set = (side: 'baseline' | 'candidate'): SampleSet => ({
    source: `${side}: ${options[side]}`,
    format: 'runner',
    benchmarks: [{ name: 'wall time', unit: 'ms', direction: 'lower-is-better', values: times[side] }],
    context: {},
    notes: [],
  });
  return { baseline: set('baseline'), candidate: set('candidate'), log };
}
