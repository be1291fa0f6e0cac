import { studentTQuantileUpper, studentTTwoSided } from './distributions.js';

/**
 * Welch's unequal-variance t-test from summary statistics (Welch 1947, Satterthwaite degrees
 * of freedom), matching `scipy.stats.ttest_ind_from_stats(..., equal_var=False)`. Used only
 * when a format gives mean, standard deviation and count but no samples: it assumes roughly
 * normal means, which benchmark data often violate, so results say so.
 */
export interface SummaryStats {
  mean: number;
  sd: number;
  n: number;
}

export interface WelchResult {
  t: number;
  df: number;
  pValue: number;
  /** CI of the difference of means (candidate − baseline). */
  low: number;
  high: number;
}

export function welchTTest(baseline: SummaryStats, candidate: SummaryStats, confidence = 0.95): WelchResult | undefined {
  if (baseline.n < 2 || candidate.n < 2) return undefined;
  const va = (baseline.sd * baseline.sd) / baseline.n;
  const vb = (candidate.sd * candidate.sd) / candidate.n;
  const se = Math.sqrt(va + vb);
  const diff = candidate.mean - baseline.mean;
  if (!(se > 0)) {
    return diff === 0 ? { t: 0, df: Infinity, pValue: 1, low: 0, high: 0 } : { t: Infinity, df: Infinity, pValue: 0, low: diff, high: diff };
  }
  const df = (va + vb) ** 2 / ((va * va) / (baseline.n - 1) + (vb * vb) / (candidate.n - 1));
  const t = diff / se;
  const pValue = Math.min(1, studentTTwoSided(t, df));
  const q = studentTQuantileUpper((1 - confidence) / 2, df);
  return { t, df, pValue, low: diff - q * se, high: diff + q * se };
}
