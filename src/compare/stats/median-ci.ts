import { binomialPmf, normalQuantile } from './distributions.js';
import { median, orderStatistic, type Distribution } from './distribution.js';

/**
 * Distribution-free confidence interval for the median from order statistics, the method
 * benchstat uses (golang.org/x/perf/benchmath, AssumeNothing.Summary, via go-moremath
 * QuantileCI). The number of observations below the population median is Bin(n, ½); the
 * interval between order statistics x(l) and x(r) covers the median with probability
 * P(l ≤ B < r). Starting at the mode we add the larger neighbouring probability (the left
 * one on a tie) until the coverage reaches the confidence level.
 *
 * benchstat switches to a normal approximation above n = 30 for speed; we keep the exact
 * binomial walk up to n = 5000 (it is cheap) and approximate only beyond, where histograms
 * with millions of observations make the walk pointless.
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

const EXACT_LIMIT = 5000;

export function medianOrderInterval(n: number, confidence: number): { lowOrder: number; highOrder: number; coverage: number } {
  if (confidence >= 1) return { lowOrder: 0, highOrder: n + 1, coverage: 1 };
  if (n <= EXACT_LIMIT) {
    // Intervals between sorted samples are numbered 0..n; PMF(k) is the chance that the
    // population median lies in interval k (between x(k) and x(k+1)).
    // Bin(n, ½) is symmetric: evaluate the smaller tail index so that equal probabilities
    // compare equal and the left-bias rule decides ties, not rounding.
    const pmf = (k: number) => binomialPmf(Math.min(k, n - k), n, 0.5);
    const mode = Math.ceil((n + 1) * 0.5) - 1;
    let accumulated = pmf(mode);
    let l = mode;
    let r = mode + 1;
    let lp = pmf(l - 1);
    let rp = pmf(r);
    while (accumulated < confidence && (lp > 0 || rp > 0)) {
      if (lp >= rp) {
        accumulated += lp;
        l--;
        lp = pmf(l - 1);
      } else {
        accumulated += rp;
        r++;
        rp = pmf(r);
      }
    }
    return { lowOrder: Math.max(0, l), highOrder: Math.min(n + 1, r), coverage: Math.min(1, accumulated) };
  }
  // Normal approximation to Bin(n, ½) with continuity correction.
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const half = z * Math.sqrt(n) * 0.5;
  const lowOrder = Math.max(0, Math.floor(n / 2 - half));
  const highOrder = Math.min(n + 1, Math.ceil(n / 2 + half) + 1);
  return { lowOrder, highOrder, coverage: confidence };
}

export function medianCI(d: Distribution, confidence: number): MedianCI {
  const { lowOrder, highOrder, coverage } = medianOrderInterval(d.n, confidence);
  return {
    median: median(d),
    low: lowOrder < 1 ? -Infinity : orderStatistic(d, lowOrder),
    high: highOrder > d.n ? Infinity : orderStatistic(d, highOrder),
    coverage,
    lowOrder,
    highOrder,
  };
}

/** Smallest n for which the median CI at this confidence is finite (benchstat: "need >= 6 samples"). */
export function samplesNeededForMedianCI(confidence: number): number {
  for (let n = 2; n <= 200; n++) {
    const { lowOrder, highOrder } = medianOrderInterval(n, confidence);
    if (lowOrder >= 1 && highOrder <= n) return n;
  }
  return Infinity;
}
