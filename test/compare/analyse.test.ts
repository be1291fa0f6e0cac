import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunContext, type RunContext } from '../../src/common/context.js';
import { compareBenchmarks } from '../../src/compare/index.js';
import { compareInputSchema, compareOutputSchema, type CompareOutput } from '../../src/compare/schema.js';
import { parseConfig } from '../../src/store/config.js';

const FIXTURES = new URL('../fixtures/compare/', import.meta.url).pathname;
let dir: string;
let context: RunContext;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'perfeng-compare-'));
  // The fixtures live outside this throwaway project: allowed the way a user would (issue 13).
  const config = parseConfig(JSON.stringify({ query: { allowedInputPaths: [FIXTURES] } }));
  context = await createRunContext({ projectDir: dir, config });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function compare(raw: Record<string, unknown>): Promise<CompareOutput> {
  const outcome = await compareBenchmarks(compareInputSchema.parse(raw), context);
  // The structured result must always satisfy the declared output schema.
  compareOutputSchema.parse(outcome.structured);
  expect(outcome.summary.split('\n')[0]).toBe(outcome.structured.verdict);
  return outcome.structured;
}

/** Deterministic samples around `center` with ±spread relative jitter. */
function samples(center: number, n: number, spread = 0.01, phase = 0): number[] {
  return Array.from({ length: n }, (_, i) => center * (1 + spread * Math.sin(i * 2.399 + phase)));
}

describe('verdicts', () => {
  it('finds a 10% slowdown slower, a 10% speed-up faster, with medians, CIs and effect sizes', async () => {
    const result = await compare({
      baseline: [
        { name: 'parse', unit: 'ms', samples: samples(10, 12) },
        { name: 'render', unit: 'ms', samples: samples(20, 12) },
      ],
      candidate: [
        { name: 'parse', unit: 'ms', samples: samples(11, 12, 0.01, 1) },
        { name: 'render', unit: 'ms', samples: samples(18, 12, 0.01, 1) },
      ],
    });
    const parse = result.rows.find((r) => r.name === 'parse')!;
    const render = result.rows.find((r) => r.name === 'render')!;
    expect(parse.verdict).toBe('slower');
    expect(render.verdict).toBe('faster');
    expect(parse.deltaPct).toBeCloseTo(10, 0);
    expect(parse.test).toBe('mann-whitney-exact');
    expect(parse.pValue).toBeLessThan(1e-5);
    expect(parse.pAdjusted).toBeGreaterThanOrEqual(parse.pValue!); // Holm never lowers a p-value
    expect(parse.effectSize.cliffsDelta).toBe(1);
    expect(parse.effectSize.magnitude).toBe('large');
    expect(parse.effectSize.shift).toBeGreaterThan(0.8);
    expect(parse.baseline.ciLow).toBeLessThanOrEqual(parse.baseline.median ?? Number.NaN);
    expect(parse.baseline.ciHigh).toBeGreaterThanOrEqual(parse.baseline.median ?? Number.NaN);
    // geomean of 1.1 and 0.9 ≈ −0.5 %
    expect(result.geomeanDeltaPct).toBeCloseTo((Math.sqrt((11 / 10) * (18 / 20)) - 1) * 100, 0);
    expect(result.counts).toEqual({ faster: 1, slower: 1, same: 0, inconclusive: 0 });
    expect(result.verdict).toMatch(/^REGRESSED/);
    const report = await readFile(result.artifacts.report, 'utf8');
    expect(report).toContain('parse');
    expect(report).not.toMatch(/<script src=|https?:\/\/cdn/);
    const stored = JSON.parse(await readFile(result.artifacts.result, 'utf8'));
    expect(stored.result.rows).toHaveLength(2);
  });

  it('says "same" for identical tight samples and "inconclusive" for wide ones', async () => {
    const tight = await compare({
      baseline: [{ name: 'a', unit: 'ms', samples: samples(10, 20) }],
      candidate: [{ name: 'a', unit: 'ms', samples: samples(10, 20, 0.01, 0.5) }],
    });
    expect(tight.rows[0]!.verdict).toBe('same');
    expect(tight.rows[0]!.significant).toBe(false);
    const wide = await compare({
      baseline: [{ name: 'a', unit: 'ms', samples: samples(10, 8, 0.5) }],
      candidate: [{ name: 'a', unit: 'ms', samples: samples(10, 8, 0.5, 0.5) }],
    });
    expect(wide.rows[0]!.verdict).toBe('inconclusive');
  });

  it('a significant change below the noise floor is "same"', async () => {
    const raw = {
      baseline: [{ name: 'a', unit: 'ms', samples: samples(100, 30, 0.001) }],
      candidate: [{ name: 'a', unit: 'ms', samples: samples(100.5, 30, 0.001, 1) }],
    };
    const result = await compare(raw);
    expect(result.rows[0]!.significant).toBe(true);
    expect(result.rows[0]!.verdict).toBe('same');
    const strict = await compare({ ...raw, noiseFloorPct: 0.1 });
    expect(strict.rows[0]!.verdict).toBe('slower');
  });

  it('says when n is too small for α to ever be reached (3 vs 3: min p 0.1)', async () => {
    const result = await compare({ baseline: [{ name: 'a', samples: [1, 2, 3] }], candidate: [{ name: 'a', samples: [10, 11, 12] }] });
    expect(result.rows[0]!.pValue).toBeCloseTo(0.1, 10);
    expect(result.rows[0]!.verdict).toBe('inconclusive');
    expect(result.rows[0]!.baseline.ciLow).toBeNull();
    // benchstat's footnotes, word for word.
    expect(result.warnings).toContain('need >= 4 samples to detect a difference at alpha level 0.05: a');
    expect(result.warnings).toContain('need >= 6 samples for confidence interval at level 0.95: a');
  });

  it('throughput is higher-is-better: less req/s is "slower"', async () => {
    const result = await compare({
      baseline: [{ name: 'rps', unit: 'req/s', samples: samples(1000, 10) }],
      candidate: [{ name: 'rps', unit: 'req/s', samples: samples(800, 10, 0.01, 1) }],
    });
    expect(result.rows[0]!.direction).toBe('higher-is-better');
    expect(result.rows[0]!.verdict).toBe('slower');
    expect(result.geomeanDeltaPct).toBeCloseTo(25, 0); // oriented: 1000/800 − 1
  });
});

describe('multiple comparisons', () => {
  it('Holm adjusts p-values across rows; "none" warns about expected false positives', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => ({ name: `b${i}`, unit: 'ms', samples: samples(10, 8, 0.02, i) }));
    const candidate = rows.map((r, i) => ({ ...r, samples: samples(i === 0 ? 10.6 : 10, 8, 0.02, i + 0.3) }));
    const holm = await compare({ baseline: rows, candidate });
    const none = await compare({ baseline: rows, candidate, correction: 'none' });
    const b0holm = holm.rows.find((r) => r.name === 'b0')!;
    const b0none = none.rows.find((r) => r.name === 'b0')!;
    expect(b0holm.pValue).toBe(b0none.pValue);
    expect(b0holm.pAdjusted).toBeCloseTo(Math.min(1, b0none.pValue! * 10), 10);
    expect(none.warnings.join('\n')).toMatch(/10 rows tested at α 0\.05 without correction: expect about 0\.5 false positives/);
    const bh = await compare({ baseline: rows, candidate, correction: 'bh' });
    expect(bh.rows.find((r) => r.name === 'b0')!.pAdjusted).toBeLessThanOrEqual(b0holm.pAdjusted!);
  });
});

describe('files, formats and warnings', () => {
  it('compares Go -bench text per unit and pools nothing across units', async () => {
    const result = await compare({ baseline: join(FIXTURES, 'go-bench-baseline.txt'), candidate: join(FIXTURES, 'go-bench-candidate.txt'), limit: 40 });
    // benchstat's names (GOMAXPROCS suffix kept) and tidy units (ns/op → sec/op).
    const ns = result.rows.find((r) => r.name === 'Parse/small-8' && r.unit === 'sec/op')!;
    const bytes = result.rows.find((r) => r.name === 'Parse/small-8' && r.unit === 'B/op')!;
    const allocs = result.rows.find((r) => r.name === 'Parse/small-8' && r.unit === 'allocs/op')!;
    expect(ns.verdict).toBe('slower');
    expect(bytes.verdict).toBe('slower');
    expect(bytes.deltaPct).toBeCloseTo(33.33, 1);
    expect(allocs.verdict).toBe('same');
    expect(result.rows.find((r) => r.name === 'Encode-8' && r.unit === 'sec/op')!.verdict).toBe('same');
    // One geomean per unit, never pooled across units.
    expect(new Set(result.geomeans.map((g) => g.unit))).toEqual(new Set(['sec/op', 'B/s', 'B/op', 'allocs/op']));
    expect(result.geomeanDeltaPct).toBeNull();
  });

  it('compares run_load_test results by histogram, percentiles and per-second throughput', async () => {
    const result = await compare({
      baseline: join(FIXTURES, 'perfeng-load-baseline.json'),
      candidate: join(FIXTURES, 'perfeng-load-candidate.json'),
      limit: 40,
    });
    const latency = result.rows.find((r) => r.name === 'latency')!;
    expect(latency.baseline.n).toBe(6000);
    expect(latency.test).toBe('mann-whitney-normal');
    expect(latency.verdict).toBe('slower');
    const p95 = result.rows.find((r) => r.name === 'latency p95')!;
    expect(p95.test).toBe('quantile-ci');
    expect(p95.baseline.center).toBe('percentile');
    expect(p95.verdict).toBe('slower');
    expect(result.rows.find((r) => r.name === 'throughput')!.verdict).toBe('slower');
    expect(result.warnings.join('\n')).toMatch(/not independent samples/);
  });

  it('reads result.json files written by the real run_load_test (1 ms vs 3 ms server delay)', async () => {
    const result = await compare({
      baseline: join(FIXTURES, 'perfeng-load-real-baseline.json'),
      candidate: join(FIXTURES, 'perfeng-load-real-candidate.json'),
    });
    const latency = result.rows.find((r) => r.name === 'latency')!;
    expect(latency.verdict).toBe('slower');
    expect(latency.baseline.median).toBeGreaterThanOrEqual(1);
    expect(latency.candidate.median).toBeGreaterThanOrEqual(3);
    expect(result.rows.find((r) => r.name === 'latency p95')!.verdict).toBe('slower');
  });

  it('summary-only formats: Welch where mean/sd/n exist, otherwise no test — and says so', async () => {
    const pytest = await compare({ baseline: join(FIXTURES, 'pytest-benchmark-no-data.json'), candidate: join(FIXTURES, 'pytest-benchmark-candidate.json') });
    expect(pytest.rows.every((r) => r.test === 'welch')).toBe(true);
    expect(pytest.warnings.join('\n')).toMatch(/no raw rounds .* no rank test/);
    const k6 = await compare({ baseline: join(FIXTURES, 'k6-summary-export-baseline.json'), candidate: join(FIXTURES, 'k6-summary-export-candidate.json') });
    const duration = k6.rows.find((r) => r.name === 'http_req_duration')!;
    expect(duration.test).toBe('none');
    expect(duration.pValue).toBeNull();
    expect(duration.verdict).toBe('inconclusive');
    expect(duration.deltaPct).toBeCloseTo(((15.1 - 12.3) / 12.3) * 100, 6);
    expect(k6.rows.find((r) => r.name === 'http_req_duration p95')).toBeDefined();
    expect(k6.warnings.join('\n')).toMatch(/aggregates only.*no test/);
  });

  it('warns when the files say they were measured on different machines', async () => {
    const result = await compare({ baseline: join(FIXTURES, 'pyperf-baseline.json'), candidate: join(FIXTURES, 'pyperf-candidate.json') });
    expect(result.warnings.join('\n')).toMatch(/different conditions: hostname "vm" vs "ci-runner-7"/);
    expect(result.rows[0]!.verdict).toBe('faster');
  });

  it('converts compatible time units and refuses incompatible ones', async () => {
    const converted = await compare({
      baseline: [{ name: 'a', unit: 'ms', samples: samples(10, 10) }],
      candidate: [{ name: 'a', unit: 's', samples: samples(0.01, 10, 0.01, 1) }],
    });
    expect(converted.rows[0]!.unit).toBe('ms');
    expect(converted.rows[0]!.candidate.median).toBeCloseTo(10, 1);
    expect(converted.warnings.join('\n')).toMatch(/converted to ms/);
    await expect(
      compare({ baseline: [{ name: 'a', unit: 'ms', samples: [1, 2] }], candidate: [{ name: 'a', unit: 'req/s', samples: [1, 2] }] }),
    ).rejects.toThrow(/no benchmark appears in both/);
  });

  it('flags noise, outliers and bimodal samples', async () => {
    const bimodal = [...samples(10, 10, 0.005), ...samples(20, 10, 0.005, 1)];
    const result = await compare({
      baseline: [{ name: 'x', unit: 'ms', samples: [...samples(10, 15, 0.005), 30] }],
      candidate: [{ name: 'x', unit: 'ms', samples: bimodal }],
    });
    const text = result.warnings.join('\n');
    expect(text).toMatch(/x \(baseline\):.*1 of 16 samples are outliers/);
    expect(text).toMatch(/x \(candidate\): noisy: coefficient of variation .*looks bimodal/);
  });

  it('several inputs are each compared with the first; globs pool files', async () => {
    const result = await compare({
      inputs: [join(FIXTURES, 'csv-baseline.csv'), join(FIXTURES, 'csv-candidate.csv'), join(FIXTURES, 'csv-baseline.csv')],
    });
    expect(new Set(result.rows.map((r) => r.against)).size).toBe(2);
    const self = result.rows.filter((r) => r.against.endsWith('input 3') || r.against.includes('csv-baseline'));
    expect(self.every((r) => r.verdict === 'same' && r.deltaPct === 0)).toBe(true);
    const pooled = await compare({ baseline: 'nothing-matches-*.json', candidate: 'x' }).catch((e: Error) => e.message);
    expect(pooled).toMatch(/glob "nothing-matches-\*\.json" matched no files/);
  });

  it('filter keeps matching rows (text or /regex/) and limit keeps the most interesting ones', async () => {
    const baseline = ['parse json', 'parse xml', 'render'].map((name) => ({ name, unit: 'ms', samples: samples(10, 10) }));
    const candidate = baseline.map((b, i) => ({ ...b, samples: samples(i === 2 ? 12 : 10, 10, 0.01, 1) }));
    const text = await compare({ baseline, candidate, filter: 'PARSE' });
    expect(text.rows.map((r) => r.name).sort()).toEqual(['parse json', 'parse xml']);
    const regex = await compare({ baseline, candidate, filter: '/^r/' });
    expect(regex.rows.map((r) => r.name)).toEqual(['render']);
    const limited = await compare({ baseline, candidate, limit: 1 });
    expect(limited.rowsTotal).toBe(3);
    expect(limited.rows.map((r) => [r.name, r.verdict])).toEqual([['render', 'slower']]);
    await expect(compare({ baseline, candidate, filter: '/(/' })).rejects.toThrow(/not a valid regular expression/);
  });

  it('bad references are UserErrors that say what to pass', async () => {
    await expect(compare({ baseline: 'no-such-file.json', candidate: 'x.json' })).rejects.toThrow(/neither a file, a glob match nor a run in \.perf\/runs/);
    await expect(compare({ baseline: 'latest:load', candidate: 'x.json' })).rejects.toThrow(/no "load" runs/);
    await expect(compare({ candidate: 'x.json' })).rejects.toThrow(/nothing to compare/);
    await expect(compare({ baseline: [{ name: 'a', samples: [1] }], candidate: [{ name: 'a', samples: [1] }], failOn: 'faster<2' })).rejects.toThrow(
      /failOn clause "faster<2" is not understood/,
    );
  });
});
