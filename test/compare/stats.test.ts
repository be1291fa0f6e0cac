import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { adjustPValues } from '../../src/compare/stats/correction.js';
import { distributionFromCounts, distributionFromSamples, median, quantile } from '../../src/compare/stats/distribution.js';
import { normalCdf, normalQuantile, studentTTwoSided } from '../../src/compare/stats/distributions.js';
import { cliffsDelta, hodgesLehmann } from '../../src/compare/stats/effect-size.js';
import { mannWhitneyU, minimumTwoSidedP, samplesNeededForAlpha } from '../../src/compare/stats/mann-whitney.js';
import { medianCI, medianOrderInterval, samplesNeededForMedianCI } from '../../src/compare/stats/median-ci.js';
import { bimodalityCoefficient, countMadOutliers } from '../../src/compare/stats/noise.js';
import { welchTTest } from '../../src/compare/stats/welch.js';

// Values computed once with SciPy 1.10 (see the generator script next to the JSON for provenance).
const reference = JSON.parse(readFileSync(new URL('../fixtures/compare/reference/scipy-reference.json', import.meta.url), 'utf8')) as {
  mannWhitney: Array<{ name: string; x: number[]; y: number[]; method: string; u1: number; p: number; hodgesLehmann: number; cliffsDelta: number }>;
  welch: Array<{
    baseline: { mean: number; sd: number; n: number };
    candidate: { mean: number; sd: number; n: number };
    t: number;
    p: number;
    df: number;
    low: number;
    high: number;
  }>;
  corrections: Array<{ p: number[]; holm: number[]; bh: number[] }>;
  medianCI: Array<{ n: number; confidence: number; lowOrder: number; highOrder: number; coverage: number }>;
};

const close = (actual: number, expected: number, relative = 1e-6) =>
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(relative * Math.max(Math.abs(expected), 1e-300) + 1e-15);

describe('Mann-Whitney U against SciPy', () => {
  it('has at least 20 reference cases with ties, unequal sizes, exact and asymptotic', () => {
    expect(reference.mannWhitney.length).toBeGreaterThanOrEqual(20);
    expect(reference.mannWhitney.some((c) => c.method === 'exact')).toBe(true);
    expect(reference.mannWhitney.some((c) => c.method === 'asymptotic' && new Set([...c.x, ...c.y]).size < c.x.length + c.y.length)).toBe(true);
    expect(reference.mannWhitney.some((c) => c.x.length !== c.y.length)).toBe(true);
  });

  for (const c of reference.mannWhitney) {
    it(`${c.name}: U, p (${c.method}), Hodges-Lehmann and Cliff's delta`, () => {
      const a = distributionFromSamples(c.x);
      const b = distributionFromSamples(c.y);
      // SciPy uses the normal approximation whenever there are ties; benchstat (our default) is
      // exact with ties up to 25 per side — that path is checked against benchstat in
      // benchstat-stats.test.ts. tiesExactLimit 0 gives SciPy's method.
      const result = mannWhitneyU(a, b, { tiesExactLimit: 0 });
      expect(result.method).toBe(c.method === 'asymptotic' && new Set([...c.x, ...c.y]).size === 1 ? 'exact' : c.method);
      close(result.u1, c.u1, 1e-12);
      // erfc is accurate to 1.2e-7 relative; exact p-values to ~1e-12.
      close(result.pValue, c.p, c.method === 'exact' ? 1e-9 : 5e-7);
      close(cliffsDelta(a, b), c.cliffsDelta, 1e-12);
      close(hodgesLehmann(a, b, 0.95)!.shift, c.hodgesLehmann, 1e-12);
    });
  }

  it('knows the smallest reachable p: 0.029 with 4 per side, 0.0079 with 5', () => {
    close(minimumTwoSidedP(4, 4), 0.02857142857142857, 1e-12);
    close(minimumTwoSidedP(5, 5), 0.007936507936507936, 1e-12);
    expect(samplesNeededForAlpha(0.05)).toEqual({ n: 4, atLeast: true });
    expect(samplesNeededForAlpha(0.01)).toEqual({ n: 5, atLeast: true });
    expect(samplesNeededForAlpha(0.001)).toEqual({ n: 7, atLeast: true });
    // benchstat's table stops at 9: "need > 10 samples".
    expect(samplesNeededForAlpha(1e-6)).toEqual({ n: 10, atLeast: false });
  });

  it('gives the same answer for a histogram as for the expanded samples', () => {
    const x = [1, 1, 2, 2, 2, 3, 5, 5, 8];
    const y = [2, 3, 3, 3, 5, 8, 8, 9, 9, 9];
    const fromCounts = (xs: number[]) => distributionFromCounts([...new Set(xs)].map((v) => [v, xs.filter((w) => w === v).length] as const));
    const direct = mannWhitneyU(distributionFromSamples(x), distributionFromSamples(y));
    const viaCounts = mannWhitneyU(fromCounts(x), fromCounts(y));
    expect(viaCounts).toEqual(direct);
  });
});

describe('Hodges-Lehmann confidence interval', () => {
  it('brackets the shift and covers the true shift of a clearly shifted sample', () => {
    const base = [10.1, 10.3, 9.9, 10.0, 10.2, 10.4, 9.8, 10.05, 10.15, 9.95];
    const cand = base.map((v) => v + 1.0);
    const hl = hodgesLehmann(distributionFromSamples(base), distributionFromSamples(cand), 0.95)!;
    close(hl.shift, 1.0, 1e-9);
    expect(hl.low).toBeLessThanOrEqual(1.0);
    expect(hl.high).toBeGreaterThanOrEqual(1.0);
    expect(hl.low).toBeGreaterThan(0.5);
  });

  it('uses the tabulated critical value: m = n = 10 at 95 % → [D(24), D(77)] (U crit 23)', () => {
    const base = [1.3, 2.9, 3.1, 4.7, 5.2, 6.8, 7.05, 8.4, 9.9, 10.6];
    const cand = [2.2, 3.65, 4.1, 5.95, 6.3, 7.7, 8.15, 9.35, 11.2, 12.45];
    const diffs = cand.flatMap((c) => base.map((b) => c - b)).sort((a, b) => a - b);
    const hl = hodgesLehmann(distributionFromSamples(base), distributionFromSamples(cand), 0.95)!;
    expect(hl.low).toBe(diffs[23]);
    expect(hl.high).toBe(diffs[76]);
  });

  it('is unbounded when the samples are too small for the confidence level', () => {
    const hl = hodgesLehmann(distributionFromSamples([1, 2]), distributionFromSamples([3, 4]), 0.95)!;
    expect(hl.low).toBe(-Infinity);
    expect(hl.high).toBe(Infinity);
  });
});

describe('Welch t-test from summary statistics against SciPy', () => {
  for (const c of reference.welch) {
    it(`means ${c.baseline.mean} vs ${c.candidate.mean}`, () => {
      const result = welchTTest(c.baseline, c.candidate, 0.95)!;
      close(result.t, c.t, 1e-12);
      close(result.df, c.df, 1e-10);
      close(result.pValue, c.p, 1e-7);
      close(result.low, c.low, 1e-7);
      close(result.high, c.high, 1e-7);
    });
  }
  it('refuses n < 2', () => {
    expect(welchTTest({ mean: 1, sd: 0, n: 1 }, { mean: 2, sd: 1, n: 5 })).toBeUndefined();
  });
});

describe('multiple-comparison corrections', () => {
  for (const c of reference.corrections) {
    it(`Holm and BH for ${c.p.join(', ')}`, () => {
      adjustPValues(c.p, 'holm').forEach((p, i) => close(p!, c.holm[i]!, 1e-12));
      adjustPValues(c.p, 'bh').forEach((p, i) => close(p!, c.bh[i]!, 1e-12));
      expect(adjustPValues(c.p, 'none')).toEqual(c.p);
    });
  }
  it('skips rows without a test', () => {
    expect(adjustPValues([0.01, null, 0.04], 'holm')).toEqual([0.02, null, 0.04]);
  });
});

describe('median confidence interval from order statistics', () => {
  for (const c of reference.medianCI) {
    it(`n=${c.n} at ${c.confidence}`, () => {
      // The exact binomial walk (SciPy's coverage) at every n; by default, like benchstat, the
      // walk stops at n = 30 and a normal approximation takes over — same order statistics here.
      const got = medianOrderInterval(c.n, c.confidence, Infinity);
      expect([got.lowOrder, got.highOrder]).toEqual([c.lowOrder, c.highOrder]);
      close(got.coverage, c.coverage, 1e-9);
      const benchstat = medianOrderInterval(c.n, c.confidence);
      expect([benchstat.lowOrder, benchstat.highOrder]).toEqual([c.lowOrder, c.highOrder]);
    });
  }
  it('needs 6 samples at 95 % like benchstat, and says so with infinite bounds below', () => {
    expect(samplesNeededForMedianCI(0.95)).toEqual({ n: 6, atLeast: true });
    const five = medianCI(distributionFromSamples([5, 1, 4, 2, 3]), 0.95);
    expect(five.median).toBe(3);
    expect(five.low).toBe(-Infinity);
    const six = medianCI(distributionFromSamples([6, 5, 1, 4, 2, 3]), 0.95);
    expect([six.low, six.median, six.high]).toEqual([1, 3.5, 6]);
  });
  it('uses a normal approximation for histogram-sized n that agrees with the exact walk near the switch', () => {
    const exact = medianOrderInterval(5000, 0.95, Infinity);
    const approx = medianOrderInterval(5000, 0.95);
    expect(Math.abs(approx.lowOrder - exact.lowOrder)).toBeLessThanOrEqual(2);
    expect(Math.abs(approx.highOrder - exact.highOrder)).toBeLessThanOrEqual(3);
  });
});

describe('distribution helpers and noise checks', () => {
  it('computes type-7 quantiles and medians', () => {
    const d = distributionFromSamples([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(median(d)).toBe(5.5);
    close(quantile(d, 0.95), 9.55, 1e-12);
  });
  it('normal and t distribution functions', () => {
    close(normalCdf(1.959963984540054), 0.975, 1e-7);
    close(normalQuantile(0.975), 1.959963984540054, 1e-8);
    close(normalQuantile(1e-10), -6.361340902404056, 1e-7);
    close(studentTTwoSided(2.0, 10), 0.07338803477074024, 1e-9);
  });
  it('flags MAD outliers and bimodal samples', () => {
    expect(countMadOutliers(distributionFromSamples([10, 10.1, 9.9, 10.2, 9.8, 10, 30]))).toBe(1);
    expect(countMadOutliers(distributionFromSamples([10, 10.1, 9.9, 10.2, 9.8, 10]))).toBe(0);
    const twoModes = [
      ...Array(15)
        .fill(0)
        .map((_, i) => 10 + i * 0.01),
      ...Array(15)
        .fill(0)
        .map((_, i) => 20 + i * 0.01),
    ];
    expect(bimodalityCoefficient(distributionFromSamples(twoModes))).toBeGreaterThan(5 / 9);
    const oneMode = [9.5, 9.8, 9.9, 10, 10, 10.1, 10.1, 10.2, 10.5, 10.0, 9.95, 10.05];
    expect(bimodalityCoefficient(distributionFromSamples(oneMode))).toBeLessThan(5 / 9);
  });
});
