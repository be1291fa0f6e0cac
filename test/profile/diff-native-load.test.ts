import { execFileSync, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';
import { runProfile, runProfileDiff } from '../../src/profile/index.js';
import { checkPerfAccess } from '../../src/profile/runner-perf.js';
import { FIXTURES, leftoverFixtureProcesses, tempProject } from './helpers.js';
import { lacking } from '../helpers/system.js';

describe('profile_process: differential profiles', () => {
  let project: Awaited<ReturnType<typeof tempProject>>;
  beforeAll(async () => {
    project = await tempProject();
  });
  afterAll(() => project.cleanup());

  it('names the function that grew and the one that shrank, by run id and via `baseline`', async () => {
    const before = await runProfile({ command: ['node', 'hot.js', '1200'], cwd: FIXTURES, title: 'before' }, project.context);
    const after = await runProfile(
      { command: ['node', 'hot.js', '1200', 'swap'], cwd: FIXTURES, title: 'after', baseline: before.structured.artifacts.dir },
      project.context,
    );
    expect(after.structured.diff!.grew[0]!.name).toBe('coldLoop');
    expect(after.structured.diff!.shrank[0]!.name).toBe('hotLoop');
    const html = await readFile(after.structured.artifacts.flamegraph, 'utf8');
    expect(html).toContain('Differential flame graph');
    expect(html).toContain('"diff":true');

    const beforeId = before.structured.artifacts.dir.split('/').at(-1)!;
    const diff = await runProfileDiff({ baseline: beforeId, target: 'latest:profile' }, project.context);
    expect(diff.structured.grew[0]!.name).toBe('coldLoop');
    expect(diff.structured.grew[0]!.deltaPct).toBeGreaterThan(20);
    expect(diff.structured.shrank[0]!.name).toBe('hotLoop');
    expect(diff.summary.split('\n')[0]).toMatch(/Grew most: coldLoop/);
    // A .cpuprofile file works as an input too.
    const fromFile = await runProfileDiff(
      { baseline: before.structured.artifacts.cpuprofile!, target: after.structured.artifacts.cpuprofile! },
      project.context,
    );
    expect(fromFile.structured.grew[0]!.name).toBe('coldLoop');
  });

  it('an unknown baseline is a specific error', async () => {
    await expect(runProfileDiff({ baseline: 'no-such-run', target: 'latest:profile' }, project.context)).rejects.toThrow(/no run "no-such-run"/);
  });
});

describe.skipIf(!!lacking(import.meta.url, 'perf'))('profile_process: native programs through Linux perf', () => {
  let project: Awaited<ReturnType<typeof tempProject>>;
  let binary: string;
  beforeAll(async () => {
    project = await tempProject();
    binary = join(project.dir, 'hot-native');
    execFileSync('gcc', ['-O1', '-fno-omit-frame-pointer', '-o', binary, join(FIXTURES, 'hot.c')]);
  });
  afterAll(() => project.cleanup());

  it('perf record finds hot_native', async () => {
    const access = checkPerfAccess(); // throws the specific message when perf is not allowed
    expect(access.perf).toMatch(/perf$/);
    const { structured } = await runProfile({ command: [binary, '150'], cwd: project.dir }, project.context);
    expect(structured.runtime).toBe('native');
    expect(structured.profiler).toBe('perf');
    expect(structured.samples).toBeGreaterThan(100);
    expect(structured.hotFunctions[0]!.name).toBe('hot_native');
    expect(structured.hotFunctions[0]!.selfPct).toBeGreaterThan(50);
    expect(structured.hotFunctions[0]!.file).toContain('hot-native');
    expect(structured.peakRssBytes).toBeGreaterThan(0);
    expect(leftoverFixtureProcesses()).toEqual([]);
  });

  it('attaches perf to a running native pid', async () => {
    const child = spawn(binary, ['100000'], { cwd: project.dir, stdio: 'ignore' }); // started in the project: attach scope
    try {
      await new Promise((r) => setTimeout(r, 200));
      const { structured } = await runProfile({ pid: child.pid!, durationS: 1.5 }, project.context);
      expect(structured.profiler).toBe('perf (attached)');
      expect(structured.hotFunctions[0]!.name).toBe('hot_native');
      expect(structured.processes[0]!.pid).toBe(child.pid);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('heap is refused for native programs with what to use instead', async () => {
    await expect(runProfile({ command: [binary, '100'], cwd: project.dir, kind: 'heap' }, project.context)).rejects.toThrow(
      /heap profiles are available for Node.js and Python/,
    );
  });
});

describe('profile_process: under load', () => {
  let project: Awaited<ReturnType<typeof tempProject>>;
  beforeAll(async () => {
    project = await tempProject();
  });
  afterAll(() => project.cleanup());

  it('drives the server with run_load_test once its port opens; the handler’s burnCpu is the hot function', async () => {
    const port = await freePort();
    const { structured, summary } = await runProfile(
      {
        command: ['node', 'server.js'],
        cwd: FIXTURES,
        env: { PORT: String(port), BURN_ROUNDS: '100000' },
        waitForPort: port,
        load: { url: `http://127.0.0.1:${port}/`, connections: 4, duration: '2s' },
      },
      project.context,
    );
    expect(structured.load).toBeDefined();
    expect(structured.load!.requests).toBeGreaterThan(50);
    expect(structured.load!.failed).toBe(0);
    expect(structured.hotFunctions[0]!.name).toBe('burnCpu');
    expect(structured.hotFunctions[0]!.file).toBe('server.js');
    expect(structured.exitCode).toBeNull(); // we stopped it after the load
    expect(summary).toMatch(/Load: \d+ req\/s/);
    expect(leftoverFixtureProcesses()).toEqual([]);
  });
});
