import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRunContext } from '../../src/common/context.js';
import { compareBenchmarks, compareInputSchema } from '../../src/compare/index.js';
import { captureEnvironment, environmentDifferences, readGitState, type RunEnvironment } from '../../src/store/environment.js';
import { createRun, resolveRun } from '../../src/store/runs.js';

let project: string;
const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };
const git = (...args: string[]) => execFileSync('git', args, { cwd: project, env: gitEnv, encoding: 'utf8' }).trim();

beforeEach(async () => {
  project = await mkdtemp(join(tmpdir(), 'perfeng-env-'));
});
afterEach(async () => {
  await rm(project, { recursive: true, force: true });
});

async function initRepo(): Promise<string> {
  git('init', '-q', '-b', 'main');
  await writeFile(join(project, 'app.js'), 'console.log(1)\n');
  git('add', '.');
  git('commit', '-q', '-m', 'first commit');
  return git('rev-parse', 'HEAD');
}

describe('readGitState', () => {
  it('is null outside a git repository', async () => {
    expect(await readGitState(project)).toBeNull();
  });

  it('names the commit, branch and subject of a clean tree; .perf/ does not make it dirty', async () => {
    const head = await initRepo();
    await mkdir(join(project, '.perf', 'runs'), { recursive: true });
    await writeFile(join(project, '.perf', 'runs', 'x.json'), '{}');
    const state = await readGitState(project);
    expect(state).toMatchObject({ commit: head, shortCommit: head.slice(0, 10), branch: 'main', dirty: false, subject: 'first commit' });
    expect(Date.parse(state!.committedAt)).not.toBeNaN();
  });

  it('flags a modified tracked file and a new untracked file as dirty', async () => {
    await initRepo();
    await writeFile(join(project, 'app.js'), 'console.log(2)\n');
    expect((await readGitState(project))?.dirty).toBe(true);
    git('checkout', '--', 'app.js');
    expect((await readGitState(project))?.dirty).toBe(false);
    await writeFile(join(project, 'new.js'), '1');
    expect((await readGitState(project))?.dirty).toBe(true);
  });

  it('has a null branch on a detached HEAD', async () => {
    const head = await initRepo();
    git('checkout', '-q', '--detach', head);
    expect((await readGitState(project))?.branch).toBeNull();
  });
});

describe('captureEnvironment and the run store', () => {
  it('describes this machine', async () => {
    const env = await captureEnvironment(project);
    expect(env.host).toBe(hostname());
    expect(env.cpu.cores).toBe(cpus().length);
    expect(env.cpu.model.length).toBeGreaterThan(0);
    expect(env.runtime.node).toBe(process.versions.node);
    expect(env.loadAverage).toHaveLength(3);
    expect(env.tool.name).toBe('performance-engineer');
    expect(env.git).toBeNull();
  });

  it('writes the environment into meta.json and into result.json', async () => {
    const head = await initRepo();
    const run = await createRun(project, 'load', 'env test');
    await run.writeJson('result.json', { tool: 'run_load_test', version: 1, result: { ok: true } });
    await run.writeJson('other.json', { a: 1 });
    const meta = JSON.parse(await readFile(run.path('meta.json'), 'utf8'));
    const result = JSON.parse(await readFile(run.path('result.json'), 'utf8'));
    const other = JSON.parse(await readFile(run.path('other.json'), 'utf8'));
    expect(meta.environment.git.commit).toBe(head);
    expect(result.environment).toEqual(meta.environment);
    expect(result.tool).toBe('run_load_test');
    expect(other).toEqual({ a: 1 });
    expect((await resolveRun(project, run.id)).environment?.git?.commit).toBe(head);
  });
});

function fakeEnv(over: Partial<RunEnvironment> = {}): RunEnvironment {
  return {
    git: { commit: 'a'.repeat(40), shortCommit: 'aaaaaaaaaa', branch: 'main', dirty: false, committedAt: '2026-01-01T00:00:00Z', subject: 's' },
    tool: { name: 'performance-engineer', version: '0.1.0' },
    runtime: { node: '20.20.0', v8: '11' },
    os: { platform: 'linux', release: '6', arch: 'x64' },
    cpu: { model: 'Test CPU', cores: 8, speedMHz: 3000 },
    memoryMB: 16000,
    loadAverage: [0.5, 0.5, 0.5],
    host: 'builder-1',
    ci: null,
    ...over,
  };
}

describe('environmentDifferences', () => {
  it('is empty for like-for-like runs', () => {
    expect(environmentDifferences(fakeEnv(), fakeEnv())).toEqual([]);
  });

  it('names another machine, another CPU, a dirty tree and a loaded machine', () => {
    const other = fakeEnv({ host: 'laptop', cpu: { model: 'Other CPU', cores: 4, speedMHz: 2000 }, loadAverage: [3.9, 2, 1] });
    const dirty = fakeEnv({ git: { ...fakeEnv().git!, dirty: true } });
    const warnings = environmentDifferences(dirty, other);
    expect(warnings.join('\n')).toMatch(/baseline was measured from a dirty tree/);
    expect(warnings.join('\n')).toMatch(/candidate ran on a loaded machine \(load average 3.9 on 4 cores/);
    expect(warnings.join('\n')).toMatch(/different machines \(builder-1 vs laptop\)/);
    expect(warnings.join('\n')).toMatch(/different CPUs/);
    expect(environmentDifferences(fakeEnv(), fakeEnv({ runtime: { node: '22.1.0', v8: '12' } }))).toEqual([
      expect.stringMatching(/Node.js majors: 20.20.0 vs 22.1.0/),
    ]);
  });
});

describe('compare_benchmarks warns about environments', () => {
  const hyperfine = (times: number[]) => ({ results: [{ command: 'sleep', mean: 0.1, stddev: 0.01, times }] });

  it('flags runs from another machine and a dirty tree, and stays quiet for like-for-like runs', async () => {
    const same1 = await createRun(project, 'bench', 'a', new Date('2026-01-01T00:00:00Z'), { environment: fakeEnv() });
    await same1.writeJson('result.json', hyperfine([0.1, 0.11, 0.1, 0.12, 0.1]));
    const same2 = await createRun(project, 'bench', 'b', new Date('2026-01-01T00:01:00Z'), { environment: fakeEnv() });
    await same2.writeJson('result.json', hyperfine([0.1, 0.1, 0.11, 0.1, 0.12]));
    const far = await createRun(project, 'bench', 'c', new Date('2026-01-01T00:02:00Z'), {
      environment: fakeEnv({ host: 'laptop', git: { ...fakeEnv().git!, dirty: true } }),
    });
    await far.writeJson('result.json', hyperfine([0.1, 0.1, 0.11, 0.1, 0.12]));
    const context = await createRunContext({ projectDir: project });

    const quiet = await compareBenchmarks(compareInputSchema.parse({ baseline: same1.id, candidate: same2.id }), context);
    expect(quiet.structured.warnings.filter((w) => /machine|dirty|loaded|CPU/.test(w))).toEqual([]);

    const loud = await compareBenchmarks(compareInputSchema.parse({ baseline: same1.id, candidate: far.id }), context);
    const text = loud.structured.warnings.join('\n');
    expect(text).toMatch(/different machines \(builder-1 vs laptop\)/);
    expect(text).toMatch(/measured from a dirty tree/);
    expect(loud.summary).toMatch(/different machines/);
  });
});
