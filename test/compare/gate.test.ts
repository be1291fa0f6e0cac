import { describe, expect, it } from 'vitest';
import type { AnalysedRow } from '../../src/compare/analyse.js';
import { evaluateGate, parseFailOn } from '../../src/compare/gate.js';
import { distributionFromSamples } from '../../src/compare/stats/distribution.js';

function row(overrides: Partial<AnalysedRow>): AnalysedRow {
  return {
    name: 'bench',
    unit: 'ms',
    direction: 'lower-is-better',
    against: 'candidate',
    baseline: { median: 100, ciLow: 99, ciHigh: 101, n: 10, center: 'median' },
    candidate: { median: 110, ciLow: 109, ciHigh: 111, n: 10, center: 'median' },
    deltaPct: 10,
    pValue: 0.001,
    pAdjusted: 0.002,
    test: 'mann-whitney-exact',
    effectSize: { cliffsDelta: 1, magnitude: 'large', shift: 10, shiftLow: 9, shiftHigh: 11 },
    significant: true,
    verdict: 'slower',
    primary: true,
    untested: false,
    ...overrides,
  };
}

describe('failOn gate', () => {
  it('parses every documented clause and rejects the rest with a hint', () => {
    expect(parseFailOn('regression>5%, any-regression; geomean>2%, p95>500ms, p99.9>1s, mean>20us, rps<1000').map((c) => c.kind)).toEqual([
      'regression',
      'any-regression',
      'geomean',
      'absolute',
      'absolute',
      'absolute',
      'throughput',
    ]);
    expect(() => parseFailOn('regression>5')).toThrow(/not understood.*regression>5%/);
    expect(() => parseFailOn('p95>500')).toThrow(/not understood/);
    expect(() => parseFailOn(' , ')).toThrow(/no clauses/);
  });

  it('regression>X% fails only on significant regressions beyond X, or untested rows beyond X', () => {
    expect(evaluateGate('regression>5%', [row({})], 10).failed).toBe(true);
    expect(evaluateGate('regression>15%', [row({})], 10).failed).toBe(false);
    // Not significant: a 10 % point change is not a proven regression.
    expect(evaluateGate('regression>5%', [row({ verdict: 'inconclusive', significant: false })], 10).failed).toBe(false);
    // A summary-only row cannot be tested: its point change counts, and the reason says so.
    const untested = evaluateGate('regression>5%', [row({ verdict: 'inconclusive', test: 'none', untested: true, pValue: null, pAdjusted: null })], 10);
    expect(untested.failed).toBe(true);
    expect(untested.reasons[0]).toMatch(/point estimate; the format has no samples/);
    // Throughput: −10 % req/s is a 10 % regression.
    expect(evaluateGate('regression>5%', [row({ unit: 'req/s', direction: 'higher-is-better', deltaPct: -10 })], 10).failed).toBe(true);
    expect(evaluateGate('any-regression', [row({ verdict: 'faster', deltaPct: -10 })], -10).failed).toBe(false);
  });

  it('geomean and absolute limits on the candidate', () => {
    expect(evaluateGate('geomean>2%', [row({})], 3.1).reasons).toEqual(['geomean>2%: geomean change is +3.10% (worse)']);
    expect(evaluateGate('geomean>2%', [row({})], 1.9).failed).toBe(false);
    const d = distributionFromSamples(Array.from({ length: 100 }, (_, i) => i + 1)); // ms
    const withDist = row({ candidateDistribution: d });
    expect(evaluateGate('p95>90ms', [withDist], 0).failed).toBe(true); // p95 = 95.05 ms
    expect(evaluateGate('p95>96ms', [withDist], 0).failed).toBe(false);
    expect(evaluateGate('max>0.1s', [withDist], 0).failed).toBe(false);
    expect(evaluateGate('max>=0.1s', [withDist], 0).failed).toBe(true);
    const summary = row({ candidateSummary: { percentiles: { p95: 612 } } });
    expect(evaluateGate('p95>500ms', [summary], 0).reasons[0]).toMatch(/bench p95 is 612 ms \(limit 500 ms\)/);
    // Nothing to check is a failure, not a silent pass.
    expect(evaluateGate('p95>500ms', [row({ unit: 'B/op' })], 0).reasons[0]).toMatch(/cannot pass unchecked/);
    expect(
      evaluateGate(
        'rps<1000',
        [row({ unit: 'req/s', direction: 'higher-is-better', candidate: { median: 800, ciLow: null, ciHigh: null, n: 5, center: 'median' } })],
        0,
      ).failed,
    ).toBe(true);
  });

  it('no failOn: never fails', () => {
    expect(evaluateGate(undefined, [row({})], 50)).toEqual({ failOn: null, failed: false, reasons: [] });
  });
});
