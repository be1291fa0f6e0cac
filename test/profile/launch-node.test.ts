import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProfile } from '../../src/profile/index.js';
import { FIXTURES, leftoverFixtureProcesses, tempProject } from './helpers.js';

describe('profile_process: Node.js launch', () => {
  let project: Awaited<ReturnType<typeof tempProject>>;
  beforeAll(async () => {
    project = await tempProject();
  });
  afterAll(() => project.cleanup());

  it('finds hotLoop as the hottest function with file:line relative to cwd', async () => {
    const { structured, summary } = await runProfile({ command: ['node', 'hot.js', '1500'], cwd: FIXTURES }, project.context);
    expect(structured.runtime).toBe('node');
    expect(structured.kind).toBe('cpu');
    expect(structured.samples).toBeGreaterThan(100);
    const top = structured.hotFunctions[0]!;
    expect(top.name).toBe('hotLoop');
    expect(top.file).toBe('hot.js');
    expect(top.line).toBe(2);
    expect(top.category).toBe('app');
    expect(top.selfPct).toBeGreaterThan(50);
    expect(top.totalPct).toBeGreaterThanOrEqual(top.selfPct);
    const cold = structured.hotFunctions.find((f) => f.name === 'coldLoop');
    expect(cold === undefined || cold.selfPct < top.selfPct / 3).toBe(true);
    expect(structured.hotPaths[0]!.stack.at(-1)).toContain('hotLoop');
    expect(structured.gcPct).toBeGreaterThanOrEqual(0);
    expect(structured.idlePct).toBeLessThan(50);
    expect(structured.peakRssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(structured.exitCode).toBe(0);
    expect(structured.processes).toHaveLength(1);
    expect(summary.split('\n')[0]).toContain('hotLoop');
    const html = await readFile(structured.artifacts.flamegraph, 'utf8');
    expect(html).toContain('id="flame"');
    expect(html).toContain('hotLoop');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=["']https?:/);
  });

  it('counts a helper V8 inlined into its callers as the helper’s time (line ticks), not the callers’', async () => {
    // V8 records an inlined function's samples on its caller's node; DevTools and
    // `node --cpu-prof` would name the caller (here the top level and handleRequest).
    const { structured, summary } = await runProfile({ command: ['node', 'inlined.js', '1500'], cwd: FIXTURES }, project.context);
    const top = structured.hotFunctions[0]!;
    expect(top.name).toBe('scoreItem');
    expect(top.line).toBe(3);
    expect(top.selfPct).toBeGreaterThan(80);
    expect(top.totalPct).toBeLessThanOrEqual(100);
    for (const caller of structured.hotFunctions.filter((f) => f.name === 'handleRequest' || f.file === 'inlined.js')) {
      if (caller !== top) expect(caller.selfPct).toBeLessThan(10);
    }
    const line = structured.hotLines![0]!;
    expect(line).toMatchObject({ file: 'inlined.js', line: 5, function: 'scoreItem' });
    expect(line.selfPct).toBeGreaterThan(80);
    if (line.inlinedInto) expect(structured.warnings.join(' ')).toMatch(/V8 inlined scoreItem \(inlined\.js:3\) into/);
    expect(summary).toContain('Hot lines');
  });

  it('profiles every node process of the tree and reports them per process', async () => {
    const { structured } = await runProfile({ command: 'node parent.js 1200', cwd: FIXTURES }, project.context);
    expect(structured.processes.length).toBe(2);
    const child = structured.processes.find((p) => p.command.includes('hot.js'))!;
    expect(child.topFunction).toBe('hotLoop');
    expect(child.cpuMs).toBeGreaterThan(structured.processes.find((p) => p !== child)!.cpuMs);
    expect(structured.hotFunctions[0]!.name).toBe('hotLoop');
  });

  it('maps frames through source maps to the TypeScript lines', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'perfeng-sourcemap-'));
    try {
      const source = join(dir, 'shifted.ts');
      await writeFile(source, await readFile(join(FIXTURES, 'shifted.ts')));
      await build({ entryPoints: [source], outfile: join(dir, 'out', 'shifted.js'), sourcemap: true, platform: 'node', format: 'cjs', logLevel: 'silent' });
      const { structured } = await runProfile({ command: ['node', 'out/shifted.js'], cwd: dir }, project.context);
      const top = structured.hotFunctions[0]!;
      expect(top.name).toBe('typedHotLoop');
      expect(top.file).toBe('shifted.ts');
      expect(top.line).toBe(9); // the .ts line; in the .js it is elsewhere
      expect(structured.hotLines![0]).toMatchObject({ file: 'shifted.ts', line: 10, function: 'typedHotLoop' });
      expect(structured.warnings.join(' ')).toMatch(/source maps/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('heap: names the function that allocates most', async () => {
    const { structured } = await runProfile({ command: ['node', 'alloc.js', '1200'], cwd: FIXTURES, kind: 'heap' }, project.context);
    expect(structured.kind).toBe('heap');
    expect(structured.heap).toBeDefined();
    const top = structured.heap!.topAllocators[0]!;
    expect(top.name).toBe('allocateRecords');
    expect(top.file).toBe('alloc.js');
    expect(top.pct).toBeGreaterThan(50);
    expect(structured.artifacts.heapprofile).toBeDefined();
    const raw = JSON.parse(await readFile(structured.artifacts.heapprofile!, 'utf8'));
    expect(raw.head.callFrame).toBeDefined();
  });

  it('stops at durationS with SIGINT and still writes the profile; no process is left', async () => {
    const { structured } = await runProfile({ command: ['node', 'hot.js', '60000'], cwd: FIXTURES, durationS: 1.5 }, project.context);
    expect(structured.exitCode).toBeNull();
    expect(structured.warnings.join(' ')).toMatch(/stopped the process after durationS/);
    expect(structured.hotFunctions[0]!.name).toBe('hotLoop');
    expect(structured.durationS).toBeLessThan(20);
    expect(leftoverFixtureProcesses()).toEqual([]);
  });

  it('cancellation stops the process tree and returns what was collected', async () => {
    const local = await tempProject();
    try {
      setTimeout(() => local.controller.abort(), 1500);
      const started = Date.now();
      const { structured } = await runProfile({ command: ['node', 'parent.js', '60000'], cwd: FIXTURES }, local.context);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(structured.warnings.join(' ')).toMatch(/cancelled/);
      expect(structured.samples).toBeGreaterThan(0);
      expect(leftoverFixtureProcesses()).toEqual([]);
    } finally {
      await local.cleanup();
    }
  });
});

describe('profile_process: bad input gets a specific error', () => {
  let project: Awaited<ReturnType<typeof tempProject>>;
  beforeAll(async () => {
    project = await tempProject();
  });
  afterAll(() => project.cleanup());

  it('command not found', async () => {
    await expect(runProfile({ command: 'no-such-program-xyz --flag' }, project.context)).rejects.toThrow(/command not found: "no-such-program-xyz"/);
  });
  it('a process that exits at once, with its output', async () => {
    await expect(runProfile({ command: ['node', 'missing-file.js'], cwd: FIXTURES }, project.context)).rejects.toThrow(
      /exited at once with code 1[\s\S]*Cannot find module/,
    );
  });
  it('a port that never opens', async () => {
    await expect(runProfile({ command: ['node', 'hot.js', '5000'], cwd: FIXTURES, waitForPort: 1, waitForPortTimeoutS: 1 }, project.context)).rejects.toThrow(
      /port 1 did not open within 1 s/,
    );
    expect(leftoverFixtureProcesses()).toEqual([]);
  });
  it('a process that exits before opening its port', async () => {
    await expect(runProfile({ command: ['node', 'hot.js', '300'], cwd: FIXTURES, waitForPort: 1, waitForPortTimeoutS: 10 }, project.context)).rejects.toThrow(
      /exited \(code 0\) before opening port 1/,
    );
  });
  it('shell operators are refused (no shell runs)', async () => {
    await expect(runProfile({ command: 'node hot.js | tee x' }, project.context)).rejects.toThrow(/shell operator "\|"/);
  });
  it('neither command nor pid', async () => {
    await expect(runProfile({}, project.context)).rejects.toThrow(/nothing to profile/);
  });
});
