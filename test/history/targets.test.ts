import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunContext } from '../../src/common/context.js';
import { historyInputSchema, runHistory } from '../../src/history/index.js';
import { createRun } from '../../src/store/runs.js';

// Load runs of two endpoints, one after the other, as a project accumulates them: one series of
// both would show a "change point" at every switch. The history says it mixes targets, names
// them, and follows one when asked — where the real step is found.
describe('history over runs of several targets', () => {
  let project: string;
  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'perfeng-history-targets-'));
    for (let i = 0; i < 24; i++) {
      const fast = i % 2 === 0;
      // a test server's port differs from run to run: the same endpoint all the same
      const url = `http://127.0.0.1:${40_000 + i}/${fast ? 'health' : 'orders'}`;
      const p95 = fast ? 2 + (i % 3) * 0.01 : (i >= 12 ? 90 : 60) + (i % 5) * 0.3;
      const run = await createRun(project, 'load', `run ${i}`, new Date(Date.UTC(2026, 0, 1, 0, i)));
      const latency = { min: 1, mean: p95 / 2, p50: p95 / 2, p90: p95 * 0.9, p95, p99: p95 * 1.2, p999: p95 * 1.5, max: p95 * 2 };
      await run.writeJson('result.json', {
        tool: 'run_load_test',
        input: { url, duration: '10s' },
        result: { latencyMs: latency, throughputRps: 100, requests: { total: 1000, failed: 0, succeeded: 1000, dropped: 0 }, endpoints: [] },
      });
    }
  });
  afterAll(() => rm(project, { recursive: true, force: true }));

  it('says the series mixes two targets, with their runs, and the next call follows one', async () => {
    const context = await createRunContext({ projectDir: project });
    const { structured } = await runHistory(historyInputSchema.parse({ kind: 'load', metric: 'p95' }), context);
    expect(structured.targets).toEqual([
      { target: 'http://127.0.0.1/health', runs: 12 },
      { target: 'http://127.0.0.1/orders', runs: 12 },
    ]);
    expect(structured.summary).toMatch(/the series mixes 2 targets .*: pass target to follow one/);
    expect(structured.next).toEqual(['performance_history {"kind":"load","metric":"p95","target":"http://127.0.0.1/orders"}']);
  });

  it('with target: one endpoint, one series, the step at run 13 (its first run after the change) found; no mixing warning', async () => {
    const context = await createRunContext({ projectDir: project });
    const { structured } = await runHistory(historyInputSchema.parse({ kind: 'load', metric: 'p95', target: '/orders' }), context);
    expect(structured.seriesTotal).toBe(12);
    expect(structured.targets).toBeUndefined();
    expect(structured.warnings).toBeUndefined();
    expect(structured.changePoints).toEqual([expect.objectContaining({ runId: expect.stringContaining('run-13'), verdict: 'regression' })]);
    await expect(runHistory(historyInputSchema.parse({ kind: 'load', metric: 'p95', target: '/nowhere' }), context)).rejects.toThrow(
      /or title containing "\/nowhere"/,
    );
  });
});
