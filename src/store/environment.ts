import { arch, cpus, hostname, loadavg, platform, release, totalmem } from 'node:os';
import { runCommand } from '../common/spawn.js';
import { PACKAGE_VERSION } from '../common/version.js';

/**
 * Where a run was measured: the commit, the machine and how busy it was. Recorded in every
 * run's meta.json and result.json, so history can order runs by commit and a comparison can
 * say when its two sides are not like for like (another machine, uncommitted changes, a
 * loaded machine) — the facts github-action-benchmark and Bencher keep per data point.
 */
export interface GitState {
  commit: string;
  shortCommit: string;
  /** null on a detached HEAD. */
  branch: string | null;
  /** Uncommitted changes to tracked or untracked files (the .perf/ folder is ignored). */
  dirty: boolean;
  /** Committer date of HEAD (ISO 8601). */
  committedAt: string;
  subject: string;
}

export interface RunEnvironment {
  git: GitState | null;
  tool: { name: string; version: string };
  runtime: { node: string; v8: string };
  os: { platform: string; release: string; arch: string };
  cpu: { model: string; cores: number; speedMHz: number };
  memoryMB: number;
  /** 1, 5 and 15 minute load averages when the run started (zeros where the OS has none). */
  loadAverage: [number, number, number];
  host: string;
  /** The CI provider and job when run in one (GITHUB_ACTIONS, CI). */
  ci: { provider: string; runId?: string } | null;
}

const GIT_TIMEOUT_MS = 3_000;

async function git(cwd: string, args: string[]): Promise<string | undefined> {
  try {
    const result = await runCommand('git', ['-c', 'core.quotepath=off', ...args], {
      cwd,
      env: { GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' },
      timeoutMs: GIT_TIMEOUT_MS,
      killGraceMs: 50,
      maxOutputBytes: 1024 * 1024,
    });
    return result.exitCode === 0 ? result.stdout : undefined;
  } catch {
    return undefined; // git not installed
  }
}

/** The commit checked out in `dir`, or null outside a git repository (never throws). */
export async function readGitState(dir: string): Promise<GitState | null> {
  const [head, branch, status] = await Promise.all([
    git(dir, ['log', '-1', '--format=%H%n%cI%n%s']),
    git(dir, ['symbolic-ref', '--quiet', '--short', 'HEAD']),
    // Our own artefacts must not make every tree look dirty.
    git(dir, ['status', '--porcelain=v1', '--untracked-files=normal', '--', '.', ':(exclude).perf']),
  ]);
  if (!head) return null;
  const [commit = '', committedAt = '', subject = ''] = head.split('\n');
  if (!/^[0-9a-f]{40,64}$/.test(commit)) return null;
  return {
    commit,
    shortCommit: commit.slice(0, 10),
    branch: branch?.trim() || null,
    dirty: status === undefined ? false : status.trim().length > 0,
    committedAt,
    subject: subject.slice(0, 200),
  };
}

function ciFromEnv(env: NodeJS.ProcessEnv): RunEnvironment['ci'] {
  if (env.GITHUB_ACTIONS === 'true') return { provider: 'github-actions', ...(env.GITHUB_RUN_ID ? { runId: env.GITHUB_RUN_ID } : {}) };
  if (env.GITLAB_CI) return { provider: 'gitlab', ...(env.CI_JOB_ID ? { runId: env.CI_JOB_ID } : {}) };
  if (env.CI && env.CI !== 'false') return { provider: 'ci' };
  return null;
}

/** The machine part: cheap, synchronous, no processes. */
export function machineEnvironment(env: NodeJS.ProcessEnv = process.env): Omit<RunEnvironment, 'git'> {
  const cpuList = cpus();
  const round = (n: number) => Math.round(n * 100) / 100;
  const [l1 = 0, l5 = 0, l15 = 0] = loadavg();
  return {
    tool: { name: 'performance-engineer', version: PACKAGE_VERSION },
    runtime: { node: process.versions.node, v8: process.versions.v8 },
    os: { platform: platform(), release: release(), arch: arch() },
    cpu: { model: cpuList[0]?.model.trim() ?? 'unknown', cores: cpuList.length, speedMHz: cpuList[0]?.speed ?? 0 },
    memoryMB: Math.round(totalmem() / 2 ** 20),
    loadAverage: [round(l1), round(l5), round(l15)],
    host: hostname(),
    ci: ciFromEnv(env),
  };
}

/** Everything about where a run in `projectDir` is measured. */
export async function captureEnvironment(projectDir: string): Promise<RunEnvironment> {
  const git = await readGitState(projectDir);
  return { git, ...machineEnvironment() };
}

/** A machine counts as loaded when its 1-minute load average is above 70 % of its cores. */
export const LOADED_FRACTION = 0.7;

export function isLoaded(env: Pick<RunEnvironment, 'loadAverage' | 'cpu'>): boolean {
  return env.cpu.cores > 0 && env.loadAverage[0] > LOADED_FRACTION * env.cpu.cores;
}

/**
 * What makes two runs' numbers not comparable, one sentence each (empty when they are
 * like for like). Each side's own problems (dirty tree, loaded machine) are named too.
 */
export function environmentDifferences(
  baseline: RunEnvironment | undefined,
  candidate: RunEnvironment | undefined,
  labels: [string, string] = ['baseline', 'candidate'],
): string[] {
  const out: string[] = [];
  const sides: Array<[string, RunEnvironment | undefined]> = [
    [labels[0], baseline],
    [labels[1], candidate],
  ];
  for (const [label, env] of sides) {
    if (!env) continue;
    if (env.git?.dirty) out.push(`${label} was measured from a dirty tree (uncommitted changes on ${env.git.shortCommit}): it does not stand for that commit`);
    if (isLoaded(env)) {
      out.push(`${label} ran on a loaded machine (load average ${env.loadAverage[0]} on ${env.cpu.cores} cores at start): its numbers may be inflated`);
    }
  }
  if (!baseline || !candidate) return out;
  if (baseline.host !== candidate.host)
    out.push(`the runs come from different machines (${baseline.host} vs ${candidate.host}): differences may be the machine, not the code`);
  if (baseline.cpu.model !== candidate.cpu.model || baseline.cpu.cores !== candidate.cpu.cores) {
    out.push(`different CPUs: ${baseline.cpu.model} × ${baseline.cpu.cores} vs ${candidate.cpu.model} × ${candidate.cpu.cores}`);
  }
  const major = (v: string) => v.split('.')[0];
  if (major(baseline.runtime.node) !== major(candidate.runtime.node))
    out.push(`different Node.js majors: ${baseline.runtime.node} vs ${candidate.runtime.node}`);
  if (baseline.os.platform !== candidate.os.platform || baseline.os.arch !== candidate.os.arch) {
    out.push(`different platforms: ${baseline.os.platform}/${baseline.os.arch} vs ${candidate.os.platform}/${candidate.os.arch}`);
  }
  if (baseline.tool.version !== candidate.tool.version)
    out.push(`measured by different versions of this tool (${baseline.tool.version} vs ${candidate.tool.version})`);
  return out;
}

/** A stored environment read back from JSON, or undefined when it is missing or malformed. */
export function asEnvironment(value: unknown): RunEnvironment | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const env = value as Partial<RunEnvironment>;
  if (typeof env.host !== 'string' || !env.cpu || !env.runtime || !env.os || !env.tool || !Array.isArray(env.loadAverage)) return undefined;
  return env as RunEnvironment;
}
