/**
 * One representation for every sample the statistics see: distinct values in ascending
 * order with how often each occurred. Raw benchmark samples have mostly counts of 1; an HDR
 * latency histogram decodes to a few hundred buckets standing for millions of requests.
 * Every rank-based method below (median CI, Mann-Whitney U, Hodges-Lehmann, Cliff's delta)
 * works on this form, so a histogram is compared as exactly as a list of samples.
 */
export interface Distribution {
  /** Distinct values, strictly ascending. */
  values: number[];
  /** counts[i] = how many observations equal values[i] (positive integers). */
  counts: number[];
  /** Total number of observations (sum of counts). */
  n: number;
}

export function distributionFromSamples(samples: readonly number[]): Distribution {
  const sorted = Float64Array.from(samples).sort();
  const runs = new Runs();
  for (const v of sorted) runs.add(v, 1);
  return { ...runs.finish(), n: sorted.length };
}

/** From (value, count) pairs in any order; equal values are merged, zero counts dropped. */
export function distributionFromCounts(pairs: ReadonlyArray<readonly [number, number]>): Distribution {
  const runs = new Runs();
  for (const [v, c] of pairs.filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0])) runs.add(v, c);
  const { values, counts } = runs.finish();
  return { values, counts, n: counts.reduce((s, c) => s + c, 0) };
}

/** Sorted (value, count) pairs → distinct values with summed counts (=== merges, so NaNs stay apart). */
class Runs {
  private readonly values: number[] = [];
  private readonly counts: number[] = [];
  private runValue = Number.NaN;
  private runCount = 0;

  add(value: number, count: number): void {
    if (this.runCount > 0 && value === this.runValue) {
      this.runCount += count;
      return;
    }
    this.flush();
    this.runValue = value;
    this.runCount = count;
  }

  finish(): { values: number[]; counts: number[] } {
    this.flush();
    this.runCount = 0;
    return { values: this.values, counts: this.counts };
  }

  private flush(): void {
    if (this.runCount === 0) return;
    this.values.push(this.runValue);
    this.counts.push(this.runCount);
  }
}

/**
 * values[i], for an index below values.length. Its own check rather than defined(): the
 * statistics call it in their inner loops, where a call site that sees only numbers stays fast.
 */
export function valueAt(d: Distribution, i: number): number {
  const value = d.values[i];
  if (value === undefined) throw new Error(`internal error: no value ${i} in a distribution of ${d.values.length}`);
  return value;
}

/** counts[i], for an index below values.length (values and counts have one length). */
export function countAt(d: Distribution, i: number): number {
  const count = d.counts[i];
  if (count === undefined) throw new Error(`internal error: no count ${i} in a distribution of ${d.counts.length}`);
  return count;
}

/** True when some value occurs more than once (ties rule out the exact U distribution). */
export function hasTies(d: Distribution): boolean {
  return d.counts.some((c) => c > 1);
}

/** The k-th smallest observation, 1-based (k clamped to [1, n]). */
export function orderStatistic(d: Distribution, k: number): number {
  const target = Math.min(Math.max(1, k), d.n);
  let seen = 0;
  for (let i = 0; i < d.values.length; i++) {
    seen += countAt(d, i);
    if (seen >= target) return valueAt(d, i);
  }
  // Only an empty distribution gets here: no observation.
  return d.values.at(-1) ?? Number.NaN;
}

/** Sample median: the middle order statistic, or the mean of the two middle ones. */
export function median(d: Distribution): number {
  if (d.n === 0) return Number.NaN;
  if (d.n % 2 === 1) return orderStatistic(d, (d.n + 1) / 2);
  return (orderStatistic(d, d.n / 2) + orderStatistic(d, d.n / 2 + 1)) / 2;
}

/**
 * Quantile q in [0, 1] by linear interpolation between order statistics (Hyndman & Fan
 * type 7, the default of NumPy and R), so p95 of raw samples matches what people compute.
 */
export function quantile(d: Distribution, q: number): number {
  if (d.n === 0) return Number.NaN;
  const h = (d.n - 1) * q + 1;
  const lo = Math.floor(h);
  const frac = h - lo;
  const a = orderStatistic(d, lo);
  return frac === 0 ? a : a + frac * (orderStatistic(d, lo + 1) - a);
}

export function mean(d: Distribution): number {
  let sum = 0;
  for (let i = 0; i < d.values.length; i++) sum += valueAt(d, i) * countAt(d, i);
  return sum / d.n;
}

/** Sample standard deviation (n − 1 denominator). */
export function standardDeviation(d: Distribution): number {
  if (d.n < 2) return Number.NaN;
  const m = mean(d);
  let ss = 0;
  for (let i = 0; i < d.values.length; i++) ss += countAt(d, i) * (valueAt(d, i) - m) ** 2;
  return Math.sqrt(ss / (d.n - 1));
}
