import { countAt, mean, median, standardDeviation, valueAt, type Distribution } from './distribution.js';

/** Coefficient of variation sd/mean; benchmarks above 5 % are noisy (a common rule, e.g. pyperf's "unstable" warning at 10 %). */
export function coefficientOfVariation(d: Distribution): number {
  const m = mean(d);
  return d.n < 2 || m === 0 ? Number.NaN : standardDeviation(d) / Math.abs(m);
}

/**
 * Outliers by the modified z-score 0.6745·(x − median)/MAD > 3.5 (Iglewicz & Hoaglin 1993,
 * "How to Detect and Handle Outliers"): robust where mean ± 3 sd is dragged by the outliers
 * it should find. Returns the number of outlying observations.
 */
export function countMadOutliers(d: Distribution): number {
  if (d.n < 3) return 0;
  const med = median(d);
  const deviations: Array<[number, number]> = d.values.map((v, i) => [Math.abs(v - med), countAt(d, i)]);
  deviations.sort((a, b) => a[0] - b[0]);
  const mad = weightedMedian(deviations, d.n);
  if (mad === 0) return 0;
  let outliers = 0;
  for (let i = 0; i < d.values.length; i++) if ((0.6745 * Math.abs(valueAt(d, i) - med)) / mad > 3.5) outliers += countAt(d, i);
  return outliers;
}

function weightedMedian(sorted: Array<[number, number]>, n: number): number {
  const at = (rank: number) => {
    let seen = 0;
    for (const [v, c] of sorted) {
      seen += c;
      if (seen >= rank) return v;
    }
    // Only a rank beyond n gets here.
    return sorted.at(-1)?.[0] ?? Number.NaN;
  };
  return n % 2 ? at((n + 1) / 2) : (at(n / 2) + at(n / 2 + 1)) / 2;
}

/**
 * Sample bimodality coefficient b = (g² + 1) / (k + 3(n−1)²/((n−2)(n−3))) with g the sample
 * skewness and k the sample excess kurtosis (SAS; Pfister et al. 2013, Front. Psychol.).
 * b > 5/9 (the value for a uniform distribution) suggests two modes — for benchmarks often
 * a CPU frequency change, a GC in some runs, or two code paths. Needs n ≥ 10 to mean anything.
 */
export function bimodalityCoefficient(d: Distribution): number {
  const n = d.n;
  if (n < 10) return Number.NaN;
  const m = mean(d);
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < d.values.length; i++) {
    const x = valueAt(d, i) - m;
    const c = countAt(d, i);
    m2 += c * x * x;
    m3 += c * x * x * x;
    m4 += c * x * x * x * x;
  }
  m2 /= n;
  m3 /= n;
  m4 /= n;
  if (m2 === 0) return Number.NaN;
  // Bias-corrected skewness and excess kurtosis (the sample estimators SAS uses).
  const g = ((Math.sqrt(n * (n - 1)) / (n - 2)) * m3) / m2 ** 1.5;
  const k = ((n - 1) / ((n - 2) * (n - 3))) * ((n + 1) * (m4 / (m2 * m2) - 3) + 6);
  return (g * g + 1) / (k + (3 * (n - 1) ** 2) / ((n - 2) * (n - 3)));
}

/** The threshold 5/9 ≈ 0.555. */
export const BIMODALITY_THRESHOLD = 5 / 9;
