import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../common/errors.js';
import { spawnTree } from '../common/spawn.js';
import { findExecutable } from './command-line.js';
import type { LaunchPlan } from './launch.js';
import { parsePerfScript } from './parse-perf-script.js';
import type { ProcessProfile } from './runner-types.js';

/**
 * Native (and anything else): Linux `perf record -g` then `perf script`, the pipeline
 * Brendan Gregg's FlameGraph reads. Sampling on the cpu-clock software event so it works
 * in VMs and containers without a hardware PMU, at 1e6/samplingIntervalUs Hz.
 *
 * perf_event_paranoid (kernel docs, Documentation/admin-guide/perf-security.rst):
 *  -1 all, 0 no raw tracepoints, 1 no kernel profiling… 2 user-space only (default on
 *  most distros), ≥3 (Debian/Ubuntu patch) no perf_event_open at all for unprivileged users.
 */
export interface PerfAccess {
  perf: string;
  paranoid: number | undefined;
  userOnly: boolean;
  warnings: string[];
}

/** `host` replaces what is read from the machine (tests use it to play an unprivileged user). */
export function checkPerfAccess(host: { perf?: string | null; paranoid?: number; uid?: number } = {}): PerfAccess {
  const perf = host.perf === null ? undefined : (host.perf ?? findExecutable('perf', process.cwd()));
  if (!perf) {
    throw new UserError(
      'Linux perf is not installed, and it is what profiles native (non-Node, non-Python) programs',
      'install it: `apt-get install linux-perf` (Debian), `apt-get install linux-tools-$(uname -r)` (Ubuntu), `dnf install perf` (Fedora) — or profile a Node/Python program',
    );
  }
  let paranoid: number | undefined = host.paranoid;
  if (paranoid === undefined) {
    try {
      paranoid = Number(readFileSync('/proc/sys/kernel/perf_event_paranoid', 'utf8').trim());
    } catch {
      paranoid = undefined;
    }
  }
  const root = (host.uid ?? process.getuid?.()) === 0;
  const warnings: string[] = [];
  if (!root && paranoid !== undefined && paranoid >= 3) {
    throw new UserError(
      `perf is not permitted: kernel.perf_event_paranoid is ${paranoid}, which forbids perf_event_open for unprivileged users`,
      'allow user-space profiling with `sudo sysctl kernel.perf_event_paranoid=2` (or 1 to include the kernel); in a container also run with --cap-add PERFMON (or SYS_ADMIN) and a seccomp profile that allows perf_event_open',
    );
  }
  const userOnly = !root && paranoid !== undefined && paranoid >= 2;
  if (userOnly) warnings.push(`kernel.perf_event_paranoid=${paranoid}: only user-space frames are recorded (set it to 1 to see kernel time)`);
  return { perf, paranoid, userOnly, warnings };
}

export function preparePerfLaunch(options: {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  tmpDir: string;
  intervalUs: number;
  access: PerfAccess;
}): { plan: LaunchPlan; dataFile: string } {
  const dataFile = join(options.tmpDir, 'perf.data');
  const frequency = Math.max(1, Math.round(1e6 / options.intervalUs));
  return {
    dataFile,
    plan: {
      command: options.access.perf,
      args: ['record', '-e', options.access.userOnly ? 'cpu-clock:u' : 'cpu-clock', '-F', String(frequency), '-g', '-o', dataFile, '--', ...options.argv],
      cwd: options.cwd,
      env: options.env,
      rssExcludeLeader: true,
    },
  };
}

/** Explains a failed `perf record` from its own words. */
export function perfFailure(stderr: string, paranoid: number | undefined): UserError | undefined {
  if (/perf_event_open|Permission denied|Operation not permitted|No permission/i.test(stderr)) {
    return new UserError(
      `perf is not permitted here (perf_event_paranoid=${paranoid ?? 'unknown'}): ${
        stderr
          .trim()
          .split('\n')
          .find((l) => l.trim()) ?? ''
      }`,
      'lower kernel.perf_event_paranoid (`sudo sysctl kernel.perf_event_paranoid=1`), or in a container grant CAP_PERFMON and allow perf_event_open in seccomp',
    );
  }
  if (/workload failed|No such file or directory/i.test(stderr)) {
    return new UserError(`perf could not start the program: ${stderr.trim().split('\n').at(-1)}`, 'check the command path');
  }
  return undefined;
}

/** `perf script` over the recorded data, collected in chunks (it can be large). */
export async function collectPerf(options: {
  perf: string;
  dataFile: string;
  intervalUs: number;
  signal: AbortSignal;
}): Promise<{ cpu: ProcessProfile[]; warnings: string[] }> {
  const chunks: string[] = [];
  const tree = spawnTree(options.perf, ['script', '-i', options.dataFile], {
    signal: options.signal,
    maxOutputBytes: 16 * 1024,
    timeoutMs: 300_000,
    onStdout: (chunk) => chunks.push(chunk),
  });
  const exit = await tree.exited;
  const text = chunks.join('');
  const warnings: string[] = [];
  if (exit.exitCode !== 0 && !text)
    throw new UserError(`perf script failed: ${exit.stderr.trim().slice(0, 400)}`, 'check that perf.data was written (the program may have been killed)');
  const profile = parsePerfScript(text, { intervalUs: options.intervalUs });
  const command = [...profile.pids.values()][0] ?? 'program';
  const pid = [...profile.pids.keys()][0] ?? 0;
  if (profile.pids.size > 1)
    warnings.push(`perf sampled ${profile.pids.size} processes (${[...profile.pids.values()].slice(0, 5).join(', ')}); they are merged in one profile`);
  return { cpu: [{ profile, process: { pid, command } }], warnings };
}
