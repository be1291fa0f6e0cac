import { binomialPmf, normalCdf, normalQuantile } from './distributions.js';
import { choose } from './mann-whitney.js';
import { orderStatistic, valueAt, type Distribution } from './distribution.js';

/**
 * Distribution-free confidence interval for a quantile from order statistics, exactly as
 * benchstat computes it (golang.org/x/perf/benchmath AssumeNothing.Summary → go-moremath
 * stats.QuantileCI). The number of observations below the population q-quantile is Bin(n, q);
 * the interval between order statistics x(l) and x(r) covers it with probability
 * P(l ≤ B < r). For n ≤ 30, starting at the mode, the larger neighbouring probability is added
 * (the left one on a tie) until the coverage reaches the confidence level; above 30 the
 * binomial's normal approximation gives the bounds.
 *
 * The walk is where floating error decides: at n = 4 and confidence 0.375 the coverage lands
 * exactly on the target, and a log-space binomial (exp(lgamma…)) can put it a hair below and
 * take one more order statistic. So the binomial mass here is C(n, k)·q^k·(1−q)^(n−k) with an
 * integer C(n, k): for the median every term is a multiple of 2^−n, exact in doubles.
 */
export interface MedianCI {
  median: number;
  /** −Infinity / +Infinity when the sample is too small for the confidence level. */
  low: number;
  high: number;
  /** Coverage actually achieved (≥ the requested confidence when finite). */
  coverage: number;
  /** 1-based order statistics of the bounds (0 and n+1 mean unbounded). */
  lowOrder: number;
  highOrder: number;
}

/** go-moremath quantileCIApproxThreshold. */
export const QUANTILE_CI_EXACT_LIMIT = 30;

function binomialMass(k: number, n: number, q: number): number {
  if (k < 0 || k > n) return 0;
  // Integer C(n, k) while it is exact in doubles; log-space beyond (only reached when the
  // caller raises exactLimit above benchstat's 30).
  // For the median, evaluate the smaller tail index so symmetric masses compare equal.
  if (n > 50) return q === 0.5 ? binomialPmf(Math.min(k, n - k), n, 0.5) : binomialPmf(k, n, q);
  return choose(n, k) * q ** k * (1 - q) ** (n - k);
}

export function quantileOrderInterval(
  n: number,
  q: number,
  confidence: number,
  exactLimit = QUANTILE_CI_EXACT_LIMIT,
): { lowOrder: number; highOrder: number; coverage: number } {
  if (confidence >= 1) return { lowOrder: 0, highOrder: n + 1, coverage: 1 };
  let l: number;
  let r: number;
  let coverage: number;
  if (n <= exactLimit) {
    const mode = q === 0 ? 0 : Math.ceil((n + 1) * q) - 1;
    coverage = binomialMass(mode, n, q);
    l = mode;
    r = mode + 1;
    let lp = binomialMass(l - 1, n, q);
    let rp = binomialMass(r, n, q);
    while (coverage < confidence && (lp > 0 || rp > 0)) {
      if (lp >= rp) {
        coverage += lp;
        l--;
        lp = binomialMass(l - 1, n, q);
      } else {
        coverage += rp;
        r++;
        rp = binomialMass(r, n, q);
      }
    }
  } else {
    // Normal approximation N(nq, nq(1−q)) with the same rounding as go-moremath.
    const mu = n * q;
    const sigma = Math.sqrt(n * q * (1 - q));
    const l1 = mu + sigma * normalQuantile((1 - confidence) / 2);
    const r1 = 2 * mu - l1;
    l = Math.floor(Math.floor(l1 - 0.5) + 0.5) + 1;
    r = Math.floor(Math.ceil(r1 - 0.5) + 0.5) + 1;
    const cdf = (lo: number, hi: number) => normalCdf((hi - 0.5 - mu) / sigma) - normalCdf((lo - 0.5 - mu) / sigma);
    coverage = cdf(l, r);
    const biased = cdf(l, r - 1);
    if (biased >= confidence && biased < coverage) {
      coverage = biased;
      r--;
    }
    if (l <= 0 && r >= n + 1) coverage = 1;
  }
  return { lowOrder: Math.max(0, l), highOrder: Math.min(n + 1, r), coverage: Math.min(1, coverage) };
}

export function medianOrderInterval(
  n: number,
  confidence: number,
  exactLimit = QUANTILE_CI_EXACT_LIMIT,
): { lowOrder: number; highOrder: number; coverage: number } {
  return quantileOrderInterval(n, 0.5, confidence, exactLimit);
}

/**
 * Sample quantile as go-moremath's Sample.Quantile (Hyndman & Fan R8), the centre benchstat
 * prints; for the median it is the middle value or the midpoint of the two middle values,
 * computed with the same floating-point steps so printed digits agree.
 */
export function quantileR8(d: Distribution, q: number): number {
  if (d.n === 0) return Number.NaN;
  if (q <= 0) return valueAt(d, 0);
  if (q >= 1) return valueAt(d, d.values.length - 1);
  const h = 1 / 3 + q * (d.n + 1 / 3);
  const k = Math.trunc(h);
  const frac = h - k;
  if (k <= 0) return valueAt(d, 0);
  if (k >= d.n) return valueAt(d, d.values.length - 1);
  const a = orderStatistic(d, k);
  return a + frac * (orderStatistic(d, k + 1) - a);
}

export function medianCI(d: Distribution, confidence: number): MedianCI {
  const { lowOrder, highOrder, coverage } = medianOrderInterval(d.n, confidence);
  return {
    median: quantileR8(d, 0.5),
    low: lowOrder < 1 ? -Infinity : orderStatistic(d, lowOrder),
    high: highOrder > d.n ? Infinity : orderStatistic(d, highOrder),
    coverage,
    lowOrder,
    highOrder,
  };
}

/** Smallest n for which the median CI at this confidence is finite (benchstat: "need >= 6 samples"; it looks up to 50). */
export function samplesNeededForMedianCI(confidence: number): { n: number; atLeast: boolean } {
  for (let n = 2; n <= 50; n++) {
    const { lowOrder, highOrder } = medianOrderInterval(n, confidence);
    if (lowOrder > 0 && highOrder <= n) return { n, atLeast: true };
  }
  return { n: 50, atLeast: false };
}
