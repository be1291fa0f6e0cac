import { describe, expect, it } from 'vitest';
import { holds, ORDERING, splitComparison } from '../../src/common/comparison.js';
import { median, nearestRank } from '../../src/common/sample-stats.js';
import { parseDurationMs, unitFactor } from '../../src/common/units.js';
import { parseFailOn } from '../../src/compare/gate.js';
import { parseThresholds } from '../../src/load/thresholds.js';
import { parseThreshold } from '../../src/vitals/thresholds.js';

describe('one comparator tokenizer', () => {
  it('takes the longest operator and trims both sides', () => {
    expect(splitComparison(' p(95) <= 500 ', ['<', '<=', '>', '>=', '==', '===', '!='])).toEqual({ left: 'p(95)', op: '<=', right: '500' });
    expect(splitComparison('count===3', ['<', '<=', '>', '>=', '==', '===', '!='])?.op).toBe('===');
    expect(splitComparison('a!=b', ['<', '<=', '>', '>=', '==', '===', '!='])?.op).toBe('!=');
  });
  it('refuses an operator the language does not have, and empty sides', () => {
    expect(splitComparison('lcp==2500', ORDERING)).toBeUndefined();
    expect(splitComparison('<2500', ORDERING)).toBeUndefined();
    expect(splitComparison('lcp<', ORDERING)).toBeUndefined();
    expect(splitComparison('lcp 2500', ORDERING)).toBeUndefined();
  });
  it('applies every operator', () => {
    expect([holds(1, '<', 2), holds(2, '<=', 2), holds(3, '>', 2), holds(2, '>=', 2), holds(2, '==', 2), holds(2, '===', 2), holds(1, '!=', 2)]).toEqual(
      Array(7).fill(true),
    );
    expect([holds(2, '<', 2), holds(3, '<=', 2), holds(2, '>', 2), holds(1, '>=', 2), holds(1, '==', 2), holds(2, '!=', 2)]).toEqual(Array(6).fill(false));
  });
  it('serves the three grammars, each keeping its own', () => {
    expect(parseThresholds({ http_req_duration: ['p(95) < 500'] }, [])[0]).toMatchObject({ aggregation: 'p', percentile: 95, op: '<', value: 500 });
    expect(() => parseThresholds({ http_req_duration: ['p(95) < 500ms'] }, [])).toThrow(/invalid threshold expression/);
    expect(parseThreshold('fcp<1.8s')).toMatchObject({ metric: 'fcp', op: '<', limit: 1800 });
    expect(parseThreshold('bytes <= 1MiB')).toMatchObject({ metric: 'bytes', op: '<=', limit: 1024 ** 2 });
    expect(() => parseThreshold('cls<0.1s')).toThrow(/does not fit cls/);
    expect(() => parseThreshold('lcp!=3')).toThrow(/invalid threshold/);
    expect(parseFailOn('p95>500ms, regression>5%, rps<1000, geomean>=2%')).toMatchObject([
      { kind: 'absolute', stat: 'p95', op: '>', limitS: 0.5 },
      { kind: 'regression', pct: 5 },
      { kind: 'throughput', op: '<', limit: 1000 },
      { kind: 'geomean', pct: 2 },
    ]);
    expect(parseFailOn('max > 2µs')[0]).toMatchObject({ limitS: 2e-6 });
    expect(() => parseFailOn('p95>500kg')).toThrow(/not understood/);
  });
});

describe('one unit table', () => {
  it('converts times and sizes', () => {
    expect(unitFactor('time-ms', 's')).toBe(1000);
    expect(unitFactor('time-s', 'us')).toBe(unitFactor('time-s', 'µs'));
    expect(unitFactor('size-b', 'KiB')).toBe(1024);
    expect(unitFactor('size-b', 'kB')).toBe(1000);
    expect(unitFactor('size-b', 'ms')).toBeUndefined();
    expect(parseDurationMs('1m30s')).toBe(90_000);
  });
});

describe('one median and percentile', () => {
  it('takes order statistics of raw values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(nearestRank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9);
    expect(nearestRank([5], 0.75)).toBe(5);
  });
});
