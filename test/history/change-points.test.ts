import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunContext } from '../../src/common/context.js';
import { bestSplit, detectChangePoints } from '../../src/history/change-points.js';
import { changePointsOf, collectSeries, historyInputSchema, historyOutputSchema, runHistory, type HistoryPoint } from '../../src/history/index.js';
import { extractMetrics } from '../../src/history/metrics.js';
import type { RunEnvironment } from '../../src/store/environment.js';
import { createRun } from '../../src/store/runs.js';

/** Seeded noise (mulberry32 + Box-Muller), so every case is reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function noisy(seed: number, n: number, level: (i: number) => number, sdPct: number): number[] {
  const r = rng(seed * 7919 + 1);
  return Array.from({ length: n }, (_, i) => level(i) * (1 + (sdPct / 100) * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r())));
}
const points = (values: number[]): HistoryPoint[] =>
  values.map((value, i) => ({ commit: `c${i}`.padEnd(40, '0'), runId: `run-${i}`, at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), value, flags: [] }));

describe('E-divisive change points', () => {
  it('a perfect step in a short series is always found: 12 runs, 6 before and 6 after', () => {
    // Only 2 of the C(12,6) = 924 orderings separate the two levels as well, so the exact
    // p-value is 0.002; with 199 permutations the Monte Carlo estimate exceeded 0.01 in about
    // 7 % of series (seen in CI: this very series gave p = 0.015 and no change point).
    const seen = [5.083, 5.923, 4.739, 4.659, 4.599, 4.663, 40.767, 40.543, 40.607, 40.415, 40.671, 40.511];
    expect(detectChangePoints(seen, { alpha: 0.01 })).toMatchObject([{ index: 6 }]);
    let found = 0;
    for (let s = 0; s < 100; s++) {
      const values = noisy(s + 500, 12, (i) => (i >= 6 ? 40 : 5), 5);
      const cps = detectChangePoints(values, { alpha: 0.01 });
      if (cps.length === 1 && cps[0]?.index === 6) found++;
    }
    expect(found).toBe(100);
  });

  it('finds a clean +5 % step in 2 % noise at the right commit, with the right magnitude', () => {
    const values = noisy(1, 40, (i) => (i >= 23 ? 105 : 100), 2);
    // The step is found at its commit; the bisection may add a marginal split elsewhere (at a
    // +5 % step in 2 % noise it is the only one in ~74 % of seeds: bench/history). This seed
    // has one at run-7 (−2.7 %, p 0.008), which lowers the level before the step: +7.3 %.
    const cps = changePointsOf(points(values), 'lower-is-better', 0.01);
    const step = cps.find((c) => c.runId === 'run-23');
    expect(cps.length, JSON.stringify(cps)).toBeLessThanOrEqual(2);
    expect(step).toMatchObject({ runId: 'run-23', commit: 'c23'.padEnd(40, '0'), verdict: 'regression' });
    expect(step?.deltaPct).toBeGreaterThan(3);
    expect(step?.deltaPct).toBeLessThan(8);
    expect(step?.beforeValue).toBeCloseTo(100, -1);
    expect(step?.pValue).toBeLessThanOrEqual(0.01);
  });

  it('finds a step at its commit in most seeds (power) and in pure noise almost never (false positives ≤ 5 %)', () => {
    let hits = 0;
    let falsePositives = 0;
    const seeds = 200;
    for (let s = 0; s < seeds; s++) {
      const step = detectChangePoints(noisy(s, 40, (i) => (i >= 20 ? 106 : 100), 2));
      if (step.some((c) => Math.abs(c.index - 20) <= 1)) hits++;
      if (detectChangePoints(noisy(s + 10_000, 40, () => 100, 3)).length) falsePositives++;
    }
    expect(hits / seeds).toBeGreaterThan(0.8);
    expect(falsePositives / seeds).toBeLessThanOrEqual(0.05);
  });

  it('finds two steps (a regression, then a fix)', () => {
    const values = noisy(7, 45, (i) => (i >= 30 ? 100 : i >= 15 ? 120 : 100), 2);
    const cps = changePointsOf(points(values), 'lower-is-better', 0.01);
    expect(cps.map((c) => c.runId)).toEqual(['run-15', 'run-30']);
    expect(cps.map((c) => c.verdict)).toEqual(['regression', 'improvement']);
  });

  it('does not take a single spike for a change point', () => {
    const values = noisy(3, 40, () => 100, 2);
    values[17] = 300;
    expect(detectChangePoints(values)).toEqual([]);
  });

  it('reads higher-is-better metrics the right way round', () => {
    const values = noisy(4, 30, (i) => (i >= 15 ? 800 : 1000), 2);
    const [cp] = changePointsOf(points(values), 'higher-is-better', 0.01);
    expect(cp).toMatchObject({ runId: 'run-15', verdict: 'regression' });
    expect(cp!.deltaPct).toBeLessThan(-15);
  });

  it('bestSplit maximises the scaled energy distance', () => {
    expect(bestSplit([1, 1, 1, 1, 5, 5, 5, 5])?.index).toBe(4);
    expect(bestSplit([1, 2, 3])).toBeUndefined();
  });
});

describe('metrics and series from stored runs', () => {
  let project: string;
  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'perfeng-history-'));
  });
  afterAll(async () => {
    await rm(project, { recursive: true, force: true });
  });

  function env(i: number, over: Partial<RunEnvironment> = {}): RunEnvironment {
    return {
      git: { commit: String(i).padEnd(40, 'a'), shortCommit: String(i).padEnd(10, 'a'), branch: 'main', dirty: false, committedAt: '', subject: '' },
      tool: { name: 'performance-engineer', version: '0.1.0' },
      runtime: { node: '20.20.0', v8: '11' },
      os: { platform: 'linux', release: '6', arch: 'x64' },
      cpu: { model: 'cpu', cores: 64, speedMHz: 1 },
      memoryMB: 1,
      loadAverage: [0, 0, 0],
      host: 'ci-1',
      ci: null,
      ...over,
    };
  }

  it('names load metrics STAT and STAT@ENDPOINT; flags dirty and other-machine runs; writes history.html', async () => {
    const values = noisy(11, 24, (i) => (i >= 12 ? 60 : 50), 2);
    for (const [i, p95] of values.entries()) {
      const over = i === 5 ? { git: { ...env(i).git!, dirty: true } } : i === 8 ? { host: 'laptop' } : {};
      const run = await createRun(project, 'load', `run ${i}`, new Date(Date.UTC(2026, 0, 1, 0, i)), { environment: env(i, over) });
      const latency = (x: number) => ({ min: 1, mean: x / 2, p50: x / 2, p90: x * 0.9, p95: x, p99: x * 1.2, p999: x * 1.5, max: x * 2 });
      await run.writeJson('result.json', {
        tool: 'run_load_test',
        version: 1,
        input: {},
        result: {
          latencyMs: latency(p95),
          throughputRps: 1000,
          requests: { total: 1000, failed: 10, succeeded: 990, dropped: 0 },
          endpoints: [
            { name: 'GET /a', latencyMs: latency(p95), throughputRps: 500, errorRate: 0 },
            { name: 'GET /b', latencyMs: latency(10), throughputRps: 500, errorRate: 0.02 },
          ],
        },
      });
    }
    const metrics = extractMetrics(
      'load',
      JSON.parse(await readFile(join(project, '.perf', 'runs', (await collectSeries(project, 'load', 'p95')).points[0]!.runId, 'result.json'), 'utf8')),
    );
    expect(Object.keys(metrics)).toEqual(expect.arrayContaining(['p50', 'p90', 'p95', 'p99', 'throughput', 'errorRate', 'p95@GET /a', 'errorRate@GET /b']));
    expect(metrics.errorRate?.value).toBeCloseTo(0.01);

    const { points: series } = await collectSeries(project, 'load', 'p95');
    expect(series).toHaveLength(24);
    expect(series[5]!.flags).toEqual(['dirty']);
    expect(series[8]!.flags).toEqual(['other-machine']);

    const context = await createRunContext({ projectDir: project });
    const out = await runHistory(historyInputSchema.parse({ kind: 'load', metric: 'p95@GET /a' }), context);
    expect(out.structured.summary).toMatch(/^REGRESSED: p95@GET \/a of load over 24 runs; \+\d+(\.\d+)?% at 12a{8}/);
    expect(out.structured.changePoints).toEqual([expect.objectContaining({ commit: env(12).git!.commit, verdict: 'regression' })]);
    expect(out.structured.flagged).toBe(2);
    historyOutputSchema.parse(out.structured);
    expect(JSON.stringify(out.structured).length).toBeLessThan(6000);
    expect(out.structured.next).toEqual([`compare_benchmarks {"baseline":"${series[11]!.runId}","candidate":"${series[12]!.runId}"}`]);
    const page = await readFile(out.structured.artifacts.report, 'utf8');
    expect(page).toContain('new uPlot');
    expect(page).toContain(`../${series[12]!.runId}/report.html`);
    expect(page).toMatch(/CHANGE POINT/);

    const stable = await runHistory(historyInputSchema.parse({ kind: 'load', metric: 'p95@GET /b' }), context);
    expect(stable.structured.summary).toMatch(/^STABLE/);
    await expect(runHistory(historyInputSchema.parse({ kind: 'load', metric: 'p77' }), context)).rejects.toThrow(
      /no "load" run has the metric "p77".*p95@GET \/a/,
    );
  });
});
