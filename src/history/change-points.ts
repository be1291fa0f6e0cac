/**
 * Change points in a performance series by E-divisive means (Matteson & James, "A
 * Nonparametric Approach for Multiple Change Point Analysis of Multivariate Data", JASA 2014)
 * with its permutation significance test — the method MongoDB runs on its CI results (Daly et
 * al., "The Use of Change Point Detection to Identify Software Performance Regressions in a
 * Continuous Integration System", ICPE 2020) and Hunter / Apache Otava build on (Fleming et
 * al., ICPE 2023). Written here because no maintained npm package implements it; it is small.
 *
 * The statistic for a split at τ of a segment is the energy distance between the two sides,
 * scaled by m·(n−m)/n: Q = m(n−m)/n · (2/(m(n−m)) Σ|xᵢ−yⱼ| − Σ|xᵢ−xₖ|/C(m,2) − Σ|yⱼ−yₖ|/C(n−m,2)).
 * The best split is tested against the same maximum over random permutations of the segment
 * (no order ⇒ no change point); a significant split is kept and both halves are searched again
 * (hierarchical bisection), until no segment has a significant split.
 */
export interface ChangePointOptions {
  /** Significance level of the permutation test. */
  alpha?: number;
  /** Most permutations per test (fewer when the outcome is already decided). */
  permutations?: number;
  /** Fewest points on each side of a split. */
  minSize?: number;
  /** Seed of the permutations, so a series always gives the same answer. */
  seed?: number;
}

export interface DetectedChange {
  /** Index of the first point after the change. */
  index: number;
  pValue: number;
  /** The statistic Q at the split. */
  q: number;
}

export const DEFAULT_ALPHA = 0.01;
// 999, not 199: with 12 runs a perfect step has an exact p of 2/924 ≈ 0.002, and 199 draws
// put its estimate above 0.01 in ~7 % of series (a CI run missed a 5 → 40 ms step that way).
export const DEFAULT_PERMUTATIONS = 999;
export const DEFAULT_MIN_SIZE = 3;

/** mulberry32: a small seeded PRNG (reproducible permutations). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Indices inside the bounds a loop just checked; failing loudly if that guarantee ever breaks. */
function outOfRange(index: number): never {
  throw new Error(`internal error: value ${index} of the series is missing`);
}

/**
 * The best split of `values` and its statistic: O(n²), the three distance sums updated as the
 * split point moves right by one. (Called once per permutation: the reads stay plain indexing,
 * with `?? outOfRange(i)` so a missing value throws instead of turning the sums into NaN.)
 */
export function bestSplit(values: readonly number[], minSize = DEFAULT_MIN_SIZE): { index: number; q: number } | undefined {
  const n = values.length;
  if (n < 2 * minSize) return undefined;
  // Start with τ = minSize: left = [0, τ), right = [τ, n).
  let withinLeft = 0;
  for (let i = 0; i < minSize; i++) {
    const a = values[i] ?? outOfRange(i);
    for (let k = i + 1; k < minSize; k++) withinLeft += Math.abs(a - (values[k] ?? outOfRange(k)));
  }
  let withinRight = 0;
  for (let j = minSize; j < n; j++) {
    const a = values[j] ?? outOfRange(j);
    for (let k = j + 1; k < n; k++) withinRight += Math.abs(a - (values[k] ?? outOfRange(k)));
  }
  let between = 0;
  for (let i = 0; i < minSize; i++) {
    const a = values[i] ?? outOfRange(i);
    for (let j = minSize; j < n; j++) between += Math.abs(a - (values[j] ?? outOfRange(j)));
  }
  let best: { index: number; q: number } | undefined;
  for (let tau = minSize; tau <= n - minSize; tau++) {
    const m = tau;
    const r = n - m;
    const pairsL = (m * (m - 1)) / 2;
    const pairsR = (r * (r - 1)) / 2;
    const energy = (2 * between) / (m * r) - (pairsL ? withinLeft / pairsL : 0) - (pairsR ? withinRight / pairsR : 0);
    const q = ((m * r) / n) * energy;
    if (!best || q > best.q) best = { index: tau, q };
    if (tau === n - minSize) break;
    // Move values[tau] from the right side to the left side.
    const v = values[tau] ?? outOfRange(tau);
    let toLeft = 0;
    for (let i = 0; i < tau; i++) toLeft += Math.abs(v - (values[i] ?? outOfRange(i)));
    let toRight = 0;
    for (let k = tau + 1; k < n; k++) toRight += Math.abs(v - (values[k] ?? outOfRange(k)));
    withinLeft += toLeft;
    withinRight -= toRight;
    between += toRight - toLeft;
  }
  return best;
}

/** p-value of the best split's Q against the best split of random orderings (Matteson & James §3.3). */
function permutationPValue(values: readonly number[], observed: number, options: Required<ChangePointOptions>, rng: () => number): number {
  const shuffled = [...values];
  let atLeast = 0;
  // Stop early once the answer cannot change: already too many exceedances to be significant.
  const limit = Math.ceil(options.alpha * (options.permutations + 1));
  let done = 0;
  for (; done < options.permutations; done++) {
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      const atI = shuffled[i] ?? outOfRange(i);
      shuffled[i] = shuffled[j] ?? outOfRange(j);
      shuffled[j] = atI;
    }
    const split = bestSplit(shuffled, options.minSize);
    if (split && split.q >= observed * (1 - 1e-12)) atLeast++;
    if (atLeast >= limit) {
      done++;
      break;
    }
  }
  return (atLeast + 1) / (done + 1);
}

function seedOf(values: readonly number[]): number {
  let h = 2166136261;
  for (const v of values) {
    h ^= Math.floor(v * 1e6) | 0;
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** Every significant change point, in index order. */
export function detectChangePoints(values: readonly number[], options: ChangePointOptions = {}): DetectedChange[] {
  const opts: Required<ChangePointOptions> = {
    alpha: options.alpha ?? DEFAULT_ALPHA,
    permutations: options.permutations ?? DEFAULT_PERMUTATIONS,
    minSize: Math.max(1, options.minSize ?? DEFAULT_MIN_SIZE),
    seed: options.seed ?? seedOf(values),
  };
  const rng = random(opts.seed);
  const found: DetectedChange[] = [];
  // Segments still to search, as [start, end) into values.
  const pending: Array<[number, number]> = [[0, values.length]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [start, end] = next;
    const segment = values.slice(start, end);
    const split = bestSplit(segment, opts.minSize);
    if (!split || split.q <= 0) continue;
    const pValue = permutationPValue(segment, split.q, opts, rng);
    if (pValue > opts.alpha) continue;
    found.push({ index: start + split.index, pValue, q: split.q });
    pending.push([start, start + split.index], [start + split.index, end]);
  }
  return found.sort((a, b) => a.index - b.index);
}
