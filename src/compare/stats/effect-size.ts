import { normalQuantile } from './distributions.js';
import { defined } from '../../common/errors.js';
import { countAt, hasTies, valueAt, type Distribution } from './distribution.js';
import { EXACT_LIMIT, exactUDistribution } from './mann-whitney.js';

/**
 * Cliff's delta (Cliff 1993): P(candidate > baseline) − P(candidate < baseline), from −1 to 1.
 * Computed by one merge of the sorted distributions, so it costs the same for a histogram of
 * a million requests as for 30 samples. |δ| < 0.147 negligible, < 0.33 small, < 0.474 medium,
 * else large (Romano et al. 2006).
 */
export function cliffsDelta(baseline: Distribution, candidate: Distribution): number {
  let greater = 0; // pairs with candidate > baseline
  let less = 0;
  let i = 0;
  let baseBelow = 0; // baseline observations strictly below the current value
  for (let j = 0; j < candidate.values.length; j++) {
    const v = valueAt(candidate, j);
    while (i < baseline.values.length && valueAt(baseline, i) < v) baseBelow += countAt(baseline, i++);
    const equal = i < baseline.values.length && baseline.values[i] === v ? countAt(baseline, i) : 0;
    const c = countAt(candidate, j);
    greater += c * baseBelow;
    less += c * (baseline.n - baseBelow - equal);
  }
  return (greater - less) / (baseline.n * candidate.n);
}

export function describeCliffsDelta(delta: number): 'negligible' | 'small' | 'medium' | 'large' {
  const a = Math.abs(delta);
  if (a < 0.147) return 'negligible';
  if (a < 0.33) return 'small';
  if (a < 0.474) return 'medium';
  return 'large';
}

export interface HodgesLehmann {
  /** Median of all pairwise differences candidate − baseline (Hodges & Lehmann 1963). */
  shift: number;
  low: number;
  high: number;
}

/** Largest number of distinct pairwise differences we sort; above it the estimate is skipped. */
const MAX_PAIRS = 4_000_000;

/**
 * Hodges-Lehmann shift estimate with its distribution-free confidence interval: the
 * differences D(1) ≤ … ≤ D(mn) bound the shift by [D(k), D(mn+1−k)] where k − 1 is the
 * largest u with P(U ≤ u) ≤ (1 − confidence)/2 (Hollander & Wolfe, Nonparametric Statistical
 * Methods, §4.3; Bauer 1972). Exact U quantiles when small and untied, else the normal
 * approximation k = ⌊mn/2 − z·σ⌋ with the tie-corrected σ. Weighted: pairs of histogram
 * buckets carry count_a·count_b.
 */
export function hodgesLehmann(baseline: Distribution, candidate: Distribution, confidence: number, tieSum = 0): HodgesLehmann | undefined {
  const pairs = baseline.values.length * candidate.values.length;
  if (pairs === 0 || pairs > MAX_PAIRS) return undefined;
  const total = baseline.n * candidate.n;
  let at: (rank: number) => number;
  if (pairs === total) {
    // Every observation distinct (raw samples without ties): a plain typed-array sort.
    const diffs = new Float64Array(pairs);
    let p = 0;
    for (const c of candidate.values) for (const b of baseline.values) diffs[p++] = c - b;
    diffs.sort();
    at = (rank) => defined(diffs[Math.min(pairs, Math.max(1, rank)) - 1], 'a pairwise difference');
  } else {
    // Weighted pairs (ties or histogram buckets): the k-th smallest difference is the smallest
    // difference D whose pairs at or below it weigh at least k. Binary search over the sorted
    // differences; each step weighs the pairs ≤ D in one pass over both sides (c − b grows
    // with c and shrinks with b, rounding included), so no permutation of the pairs is sorted.
    const diffs = new Float64Array(pairs);
    let p = 0;
    for (const c of candidate.values) for (const b of baseline.values) diffs[p++] = c - b;
    diffs.sort();
    const diffAt = (k: number) => defined(diffs[k], 'a pairwise difference');
    const weightUpTo = (limit: number): number => {
      let weight = 0;
      let i = 0;
      let above = 0; // weight of the baseline values b[0..i) with c − b > limit
      for (let j = 0; j < candidate.values.length; j++) {
        const c = valueAt(candidate, j);
        while (i < baseline.values.length && c - valueAt(baseline, i) > limit) above += countAt(baseline, i++);
        weight += countAt(candidate, j) * (baseline.n - above);
      }
      return weight;
    };
    at = (rank) => {
      let lo = 0;
      let hi = pairs - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (weightUpTo(diffAt(mid)) >= rank) hi = mid;
        else lo = mid + 1;
      }
      return diffAt(lo);
    };
  }
  const shift = total % 2 === 1 ? at((total + 1) / 2) : (at(total / 2) + at(total / 2 + 1)) / 2;
  const m = baseline.n;
  const n = candidate.n;
  const alphaHalf = (1 - confidence) / 2;
  let k: number;
  if (!hasTies(baseline) && !hasTies(candidate) && m <= EXACT_LIMIT && n <= EXACT_LIMIT) {
    const dist = exactUDistribution(m, n);
    let cumulative = 0;
    k = 0;
    for (const [u, probability] of dist.entries()) {
      cumulative += probability;
      if (cumulative > alphaHalf + 1e-12) break;
      k = u + 1;
    }
  } else {
    const N = m + n;
    const sigma = Math.sqrt(((m * n) / 12) * (N + 1 - tieSum / (N * (N - 1))));
    k = Math.floor((m * n) / 2 - normalQuantile(1 - alphaHalf) * sigma);
  }
  if (k < 1) return { shift, low: -Infinity, high: Infinity };
  return { shift, low: at(k), high: at(total + 1 - k) };
}
