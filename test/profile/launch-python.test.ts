import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProfile } from '../../src/profile/index.js';
import { splitPythonArgs } from '../../src/profile/runner-python.js';
import { FIXTURES, tempProject } from './helpers.js';

// py-spy is not installable here (no PyPI): these tests cover the cProfile and tracemalloc
// paths, which are what runs when py-spy is not on PATH.
describe('profile_process: Python launch', () => {
  let project: Awaited<ReturnType<typeof tempProject>>;
  beforeAll(async () => {
    project = await tempProject();
  });
  afterAll(() => project.cleanup());

  it('cProfile: hot_loop is the hottest function, with call counts and a pstats file', async () => {
    const { structured } = await runProfile(
      { command: 'python3 hot.py 1.2', cwd: FIXTURES, env: { PATH: '/usr/bin:/bin:' + process.env.PATH } },
      project.context,
    );
    expect(structured.runtime).toBe('python');
    expect(structured.profiler).toBe('cProfile');
    const top = structured.hotFunctions[0]!;
    expect(top.name).toBe('hot_loop');
    expect(top.file).toBe('hot.py');
    expect(top.line).toBe(4);
    expect(top.selfPct).toBeGreaterThan(50);
    expect(top.calls).toBeGreaterThan(0);
    const cold = structured.hotFunctions.find((f) => f.name === 'cold_loop')!;
    expect(cold.calls).toBe(top.calls);
    expect(cold.selfPct).toBeLessThan(top.selfPct / 3);
    expect(structured.artifacts.pstats).toBeDefined();
    expect((await readFile(structured.artifacts.pstats!)).length).toBeGreaterThan(100);
    expect(structured.hotPaths[0]!.stack.at(-1)).toContain('hot_loop');
    expect(structured.peakRssBytes).toBeGreaterThan(1024 * 1024);
  });

  it('tracemalloc: allocate_records is the top allocator and the growth names its line', async () => {
    const { structured } = await runProfile({ command: ['python3', 'alloc.py', '1.5'], cwd: FIXTURES, kind: 'heap' }, project.context);
    expect(structured.profiler).toBe('tracemalloc');
    expect(structured.hotFunctions).toEqual([]);
    const top = structured.heap!.topAllocators[0]!;
    expect(top.name).toBe('allocate_records');
    expect(top.file).toBe('alloc.py');
    expect(top.pct).toBeGreaterThan(50);
    const growth = structured.heap!.growth!;
    expect(growth[0]!.file).toBe('alloc.py');
    expect(growth[0]!.line).toBe(7);
    expect(growth[0]!.bytes).toBeGreaterThan(0);
  });

  it('a missing script is a specific error', async () => {
    await expect(runProfile({ command: 'python3 nope.py', cwd: FIXTURES }, project.context)).rejects.toThrow(/can't open file 'nope.py'/);
  });

  it('keeps interpreter options in front of the helper', () => {
    expect(splitPythonArgs(['-u', '-X', 'dev', 'app.py', '-v'])).toEqual([
      ['-u', '-X', 'dev'],
      ['app.py', '-v'],
    ]);
    expect(splitPythonArgs(['-m', 'http.server', '8000'])).toEqual([[], ['-m', 'http.server', '8000']]);
  });
});
