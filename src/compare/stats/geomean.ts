/**
 * Geometric mean as go-moremath's stats.GeoMean computes it — a running mean of the logs,
 * m += (ln x − m)/(i+1) — so benchstat's geomean rows agree to the last digit. NaN when any
 * value is ≤ 0 or there are none.
 */
export function geometricMean(values: readonly number[]): number {
  if (!values.length) return Number.NaN;
  let m = 0;
  for (const [i, x] of values.entries()) {
    if (!(x > 0)) return Number.NaN;
    m += (Math.log(x) - m) / (i + 1);
  }
  return Math.exp(m);
}
