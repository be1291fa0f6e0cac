import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProfile } from '../../src/profile/index.js';
import { lacking } from '../helpers/system.js';
import { FIXTURES, tempProject } from './helpers.js';

describe.skipIf(lacking(import.meta.url, 'memory-profiler'))('profile_process memoryFunction (memory_profiler)', () => {
  let project: Awaited<ReturnType<typeof tempProject>>;
  beforeAll(async () => {
    project = await tempProject();
  });
  afterAll(() => project.cleanup());

  it('gives the memory of each line of the named function; the line that keeps records grows', async () => {
    const { structured } = await runProfile({ command: ['python3', 'alloc.py', '1.5'], cwd: FIXTURES, memoryFunction: 'allocate_records' }, project.context);
    const fn = structured.lineMemory![0]!;
    expect(fn.function).toBe('allocate_records');
    expect(fn.file).toBe('alloc.py');
    expect(fn.line).toBe(5);
    const keep = fn.lines.find((l) => l.line === 7)!;
    expect(keep.code).toContain('kept.append');
    expect(keep.occurrences).toBeGreaterThan(1000);
    // memory_profiler charges the memory at entry to the `def` line (as in its own output): body lines only.
    const grew = Math.max(...fn.lines.filter((l) => l.line > fn.line).map((l) => l.incrementMiB));
    expect(keep.incrementMiB).toBe(grew);
    expect(keep.incrementMiB).toBeGreaterThan(1);
    // The CPU profile still comes with it.
    expect(structured.hotFunctions.length).toBeGreaterThan(0);
  });

  it('a name that never runs is a warning, not an error', async () => {
    const { structured } = await runProfile({ command: ['python3', 'alloc.py', '0.3'], cwd: FIXTURES, memoryFunction: 'no_such_function' }, project.context);
    expect(structured.lineMemory).toBeUndefined();
    expect(structured.warnings.join(' ')).toMatch(/no function named "no_such_function" ran/);
  });
});
