/**
 * Order statistics of a plain list of numbers — the one place the load, vitals and history
 * code take a median or a percentile of raw values. (compare's stats/distribution.ts works on
 * weighted distributions with confidence intervals and keeps its own, type-7 interpolated.)
 */
function sortedCopy(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** The middle value, or the mean of the two middle values; NaN for no values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = sortedCopy(values);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? Number.NaN;
  return sorted.length % 2 ? upper : ((sorted[mid - 1] ?? Number.NaN) + upper) / 2;
}

/** Nearest rank: the smallest value with at least `fraction` of the values at or below it. */
export function nearestRank(values: readonly number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = sortedCopy(values);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))] ?? Number.NaN;
}

export function minimum(values: readonly number[]): number {
  return values.length ? Math.min(...values) : Number.NaN;
}

export function maximum(values: readonly number[]): number {
  return values.length ? Math.max(...values) : Number.NaN;
}
