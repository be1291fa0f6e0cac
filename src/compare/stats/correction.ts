/**
 * Multiple-comparison corrections. Comparing many benchmarks at α = 0.05 flags about one in
 * twenty unchanged ones as changed (benchstat leaves this as a TODO; Node.js core's
 * benchmark/compare.R prints the expected number of false positives instead).
 * - Holm (1979): step-down, controls the family-wise error rate, valid under any dependence.
 * - Benjamini & Hochberg (1995): step-up, controls the false discovery rate.
 * Adjusted p-values are returned in input order; `null` entries (no test possible) are
 * skipped and do not count towards the family size.
 */
export type Correction = 'none' | 'holm' | 'bh';

export function adjustPValues(pValues: ReadonlyArray<number | null>, method: Correction): Array<number | null> {
  const indexed = pValues.flatMap((p, i) => (p === null || !Number.isFinite(p) ? [] : [{ p, i }]));
  const out: Array<number | null> = pValues.map((p) => (p === null || !Number.isFinite(p) ? null : p));
  const m = indexed.length;
  if (method === 'none' || m <= 1) return out;
  if (method === 'holm') {
    indexed.sort((a, b) => a.p - b.p);
    let running = 0;
    indexed.forEach(({ p, i }, rank) => {
      running = Math.max(running, Math.min(1, (m - rank) * p));
      out[i] = running;
    });
    return out;
  }
  indexed.sort((a, b) => b.p - a.p);
  let running = 1;
  indexed.forEach(({ p, i }, k) => {
    const rank = m - k; // 1-based rank in ascending order
    running = Math.min(running, Math.min(1, (p * m) / rank));
    out[i] = running;
  });
  return out;
}
