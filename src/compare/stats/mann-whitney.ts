import { normalSf } from './distributions.js';
import { hasTies, type Distribution } from './distribution.js';

/**
 * Two-sided Mann-Whitney U test (Mann & Whitney 1947), computed the way SciPy's
 * `scipy.stats.mannwhitneyu(x, y, alternative="two-sided")` does so results can be checked
 * against it:
 * - exact null distribution when there are no ties and both samples are small (here ≤ 50
 *   each; the exact counts are cheap), p = 2·P(U ≥ max(U1, U2)) capped at 1;
 * - otherwise the normal approximation with the tie-corrected variance
 *   σ² = n1·n2/12 · ((n+1) − Σ(t³−t)/(n(n−1))) and a continuity correction of ½.
 */
export interface MannWhitneyResult {
  /** U statistic of the first sample (baseline): pairs where baseline > candidate, ties ½. */
  u1: number;
  /** U of the second sample (candidate). */
  u2: number;
  pValue: number;
  method: 'exact' | 'asymptotic';
  /** Smallest p-value any outcome could give with these sample sizes (exact case), for "n too small" warnings. */
  minPossibleP: number;
  tieCorrection: number;
}

export const EXACT_LIMIT = 50;

/** Cache of exact null distributions of U keyed by "m,n". */
const exactCache = new Map<string, Float64Array>();

/**
 * Frequencies of U = 0..m·n over all C(m+n, m) arrangements, from the recurrence
 * f(u; m, n) = f(u − n; m − 1, n) + f(u; m, n − 1) (Mann & Whitney 1947, eq. 2). Additions
 * only, so the counts stay accurate in floating point; returned as probabilities.
 */
export function exactUDistribution(m: number, n: number): Float64Array {
  const small = Math.min(m, n);
  const large = Math.max(m, n);
  const key = `${small},${large}`;
  const cached = exactCache.get(key);
  if (cached) return cached;
  // table[j] = distribution for (i, j) as i grows; start with i = 0: U = 0 with count 1.
  let previous: Float64Array[] = [];
  for (let j = 0; j <= large; j++) previous.push(Float64Array.of(1));
  for (let i = 1; i <= small; i++) {
    const current: Float64Array[] = [Float64Array.of(1)];
    for (let j = 1; j <= large; j++) {
      const size = i * j + 1;
      const f = new Float64Array(size);
      // f(u; i, j) = f(u − j; i − 1, j) + f(u; i, j − 1)
      const a = previous[j]!;
      const b = current[j - 1]!;
      for (let u = 0; u < b.length; u++) f[u]! += b[u]!;
      for (let u = 0; u < a.length; u++) f[u + j]! += a[u]!;
      current.push(f);
    }
    previous = current;
  }
  const counts = previous[large]!;
  let total = 0;
  for (const c of counts) total += c;
  const probabilities = counts.map((c) => c / total);
  exactCache.set(key, probabilities);
  return probabilities;
}

/** P(U ≥ u) under the exact null. */
function exactSf(dist: Float64Array, u: number): number {
  let sum = 0;
  for (let k = Math.ceil(u - 1e-9); k < dist.length; k++) sum += dist[k]!;
  return sum;
}

/**
 * Rank sums by merging the two sorted distributions: tie groups get the average rank.
 * Also returns Σ(t³ − t) over tie groups.
 */
export function rankStatistics(a: Distribution, b: Distribution): { u1: number; tieSum: number } {
  let i = 0;
  let j = 0;
  let rankBefore = 0;
  let rankSumA = 0;
  let tieSum = 0;
  while (i < a.values.length || j < b.values.length) {
    const va = i < a.values.length ? a.values[i]! : Infinity;
    const vb = j < b.values.length ? b.values[j]! : Infinity;
    const v = Math.min(va, vb);
    const ca = va === v ? a.counts[i++]! : 0;
    const cb = vb === v ? b.counts[j++]! : 0;
    const t = ca + cb;
    const averageRank = rankBefore + (t + 1) / 2;
    rankSumA += ca * averageRank;
    if (t > 1) tieSum += t * t * t - t;
    rankBefore += t;
  }
  return { u1: rankSumA - (a.n * (a.n + 1)) / 2, tieSum };
}

export function mannWhitneyU(a: Distribution, b: Distribution): MannWhitneyResult {
  const n1 = a.n;
  const n2 = b.n;
  if (n1 === 0 || n2 === 0) throw new Error('Mann-Whitney U needs at least one observation per sample');
  const { u1, tieSum } = rankStatistics(a, b);
  const u2 = n1 * n2 - u1;
  const big = Math.max(u1, u2);
  const ties = hasTies(a) || hasTies(b) || tieSum > 0;
  const minPossibleP = n1 <= EXACT_LIMIT && n2 <= EXACT_LIMIT ? minimumTwoSidedP(n1, n2) : 0;
  if (!ties && n1 <= EXACT_LIMIT && n2 <= EXACT_LIMIT) {
    const dist = exactUDistribution(n1, n2);
    const p = Math.min(1, 2 * exactSf(dist, big));
    return { u1, u2, pValue: p, method: 'exact', minPossibleP, tieCorrection: 0 };
  }
  const n = n1 + n2;
  const mu = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieSum / (n * (n - 1)));
  if (!(variance > 0)) {
    // Every observation equal: no evidence of any difference.
    return { u1, u2, pValue: 1, method: 'asymptotic', minPossibleP, tieCorrection: tieSum };
  }
  const z = (big - mu - 0.5) / Math.sqrt(variance);
  const p = Math.min(1, 2 * normalSf(z));
  return { u1, u2, pValue: p, method: 'asymptotic', minPossibleP, tieCorrection: tieSum };
}

/** The smallest two-sided exact p-value possible (complete separation): 2 / C(n1+n2, n1). */
const minPCache = new Map<number, number>();

export function minimumTwoSidedP(n1: number, n2: number): number {
  const key = n1 * 100_003 + n2;
  const cached = minPCache.get(key);
  if (cached !== undefined) return cached;
  const p = computeMinimumTwoSidedP(n1, n2);
  minPCache.set(key, p);
  return p;
}

function computeMinimumTwoSidedP(n1: number, n2: number): number {
  let logC = 0;
  for (let k = 1; k <= n1; k++) logC += Math.log(n2 + k) - Math.log(k);
  return Math.min(1, 2 * Math.exp(-logC));
}

/** Smallest equal per-side n for which the exact test can reach `alpha` (4 → 0.029, 5 → 0.0079). */
export function samplesNeededForAlpha(alpha: number): number {
  for (let n = 1; n <= 50; n++) if (minimumTwoSidedP(n, n) <= alpha) return n;
  return Infinity;
}
