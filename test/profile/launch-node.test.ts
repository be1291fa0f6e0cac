import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProfile } from '../../src/profile/index.js';
import { FIXTURES, tempProject } from './helpers.js';

describe('profile_process: Node.js launch', () => {
  let project: Awaited<ReturnType<typeof tempProject>>;
  beforeAll(async () => {
    project = await tempProject();
  });
  afterAll(() => project.cleanup());

  it('finds hotLoop as the hottest function with file:line relative to cwd', async () => {
    const { structured, summary } = await runProfile({ command: ['node', 'hot.js', '1500'], cwd: FIXTURES }, project.context);
    expect(structured.runtime).toBe('node');
    expect(structured.samples).toBeGreaterThan(200);
    const top = structured.hotFunctions[0]!;
    expect(top.name).toBe('hotLoop');
    expect(top.file).toBe('hot.js');
    expect(top.line).toBe(2);
    expect(top.selfPct).toBeGreaterThan(50);
    const cold = structured.hotFunctions.find((f) => f.name === 'coldLoop');
    expect(cold === undefined || cold.selfPct < top.selfPct / 3).toBe(true);
    expect(structured.peakRssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(structured.exitCode).toBe(0);
    expect(summary.split('\n')[0]).toContain('hotLoop');
    const html = await readFile(structured.artifacts.flamegraph, 'utf8');
    expect(html).toContain('id="flame"');
    expect(html).not.toMatch(/<script[^>]+src=/);
  });
});
