import { studentTQuantileUpper } from '../compare/stats/distributions.js';

/**
 * The leak verdict: does memory (post-GC heap used, or traced Python memory) grow with the
 * requests served? An ordinary least-squares line y = a + b·x through the samples taken
 * after the warm-up (one intercept per stretch between heap snapshots, see MemoryPoint),
 * with a two-sided Student-t confidence interval on the slope b (df = n − segments − 1), as any regression text gives it (e.g. NIST/SEMATECH e-Handbook §4.1.4.1,
 * §7.2.4). A leak is a slope confidently above a minimum effect; "no-leak" is a slope
 * confidently below it (the whole CI under the minimum), which a bounded cache that filled
 * during the warm-up, or pure churn, gives. Anything else is "inconclusive": too few
 * samples, or a CI that straddles the minimum (run longer, or with more requests).
 *
 * Why a minimum effect and not just "slope > 0": a heap that settles slowly (lazy
 * compilation, caches warming) has a real but tiny positive slope that is not a leak worth
 * chasing, and post-GC heap samples of a busy server scatter by tens of KB (requests in
 * flight). 32 bytes a request is ~32 MB per million requests, and less than the smallest
 * thing a program can keep per request (a JS object with one field plus its Map entry is
 * ~50 B; a Python dict ~200 B). Why regress on requests and not time: a leak is per unit of work, so bytes per
 * request survives a change of load, and a server idling between bursts does not dilute it.
 */
export type LeakVerdict = 'leak' | 'no-leak' | 'inconclusive';

export interface MemoryPoint {
  /** Requests served so far (or seconds, when nobody counted requests). */
  x: number;
  /** Bytes of memory: post-GC heap used (Node) or traced memory (Python). */
  y: number;
  /**
   * Samples between two heap snapshots share a segment. A snapshot leaves a step of its
   * own bookkeeping on the heap, so each segment gets its own intercept and only the slope
   * is shared (a regression with one dummy variable per segment).
   */
  segment?: number;
}

export interface LeakFit {
  verdict: LeakVerdict;
  /** Fitted bytes per unit of x (request). */
  slope: number;
  intercept: number;
  /** 95 % CI of the slope. */
  ci: [number, number];
  /** Points used (after the warm-up). */
  n: number;
  r2: number;
  /** Observed growth across the fitted window: last fitted y − first, bytes. */
  growthBytes: number;
  reason: string;
}

export const MIN_LEAK_BYTES_PER_REQUEST = 32;
export const MIN_POINTS = 5;
/** The first share of the requests is warm-up (JIT, pools, caches filling) and not fitted. */
export const WARMUP_SHARE = 0.3;

/** Least squares with a common slope and one intercept per segment; `intercept` is the first segment's. */
export function fitLine(points: readonly MemoryPoint[]): { slope: number; intercept: number; se: number; r2: number; df: number } {
  // Each point with its segment's running sums, which become the segment's means.
  const segments = new Map<number, { sumX: number; sumY: number; n: number; x: number; y: number }>();
  const rows = points.map((p) => {
    const key = p.segment ?? 0;
    let m = segments.get(key);
    if (!m) {
      m = { sumX: 0, sumY: 0, n: 0, x: 0, y: 0 };
      segments.set(key, m);
    }
    m.sumX += p.x;
    m.sumY += p.y;
    m.n++;
    return { p, m };
  });
  for (const m of segments.values()) {
    m.x = m.sumX / m.n;
    m.y = m.sumY / m.n;
  }
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const { p, m } of rows) {
    sxx += (p.x - m.x) ** 2;
    sxy += (p.x - m.x) * (p.y - m.y);
    syy += (p.y - m.y) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  let sse = 0;
  for (const { p, m } of rows) sse += (p.y - m.y - slope * (p.x - m.x)) ** 2;
  const df = points.length - segments.size - 1;
  const se = df > 0 && sxx > 0 ? Math.sqrt(sse / df / sxx) : Number.POSITIVE_INFINITY;
  const r2 = syy > 0 ? 1 - sse / syy : 0;
  const first = rows[0]?.m ?? { x: 0, y: 0 };
  return { slope, intercept: first.y - slope * first.x, se, r2, df };
}

/**
 * Fits the points after the warm-up (the first `warmupShare` of the x range is dropped) and
 * classifies. `minSlope` is the smallest growth per unit of x that counts as a leak.
 */
export function judgeLeak(points: readonly MemoryPoint[], options: { minSlope?: number; warmupShare?: number; confidence?: number } = {}): LeakFit {
  const minSlope = options.minSlope ?? MIN_LEAK_BYTES_PER_REQUEST;
  const sorted = [...points].filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
  const first = sorted[0]?.x ?? 0;
  const last = sorted.at(-1)?.x ?? 0;
  const from = first + (last - first) * (options.warmupShare ?? WARMUP_SHARE);
  const used = sorted.filter((p) => p.x >= from);
  const empty: LeakFit = { verdict: 'inconclusive', slope: 0, intercept: 0, ci: [0, 0], n: used.length, r2: 0, growthBytes: 0, reason: '' };
  // The x range the fit covers (none when nothing is left).
  const span = (used.at(-1)?.x ?? 0) - (used[0]?.x ?? 0);
  if (used.length < MIN_POINTS || span <= 0) {
    return { ...empty, reason: `only ${used.length} memory samples over distinct request counts after the warm-up (need ${MIN_POINTS}): run the load longer` };
  }
  const { slope, intercept, se, r2, df } = fitLine(used);
  if (df < 2) return { ...empty, reason: `too few memory samples between the snapshots (${used.length}): run the load longer` };
  const t = studentTQuantileUpper((1 - (options.confidence ?? 0.95)) / 2, df);
  const ci: [number, number] = [slope - t * se, slope + t * se];
  const growthBytes = slope * span;
  let verdict: LeakVerdict;
  let reason: string;
  if (ci[0] > minSlope) {
    verdict = 'leak';
    reason = `memory grows ${Math.round(slope)} B per request (95 % CI ${Math.round(ci[0])}–${Math.round(ci[1])}), above the ${minSlope} B minimum`;
  } else if (ci[1] < minSlope) {
    verdict = 'no-leak';
    reason = `memory growth is below ${minSlope} B per request with 95 % confidence (CI ${Math.round(ci[0])}–${Math.round(ci[1])})`;
  } else {
    verdict = 'inconclusive';
    reason = `the 95 % CI of the growth (${Math.round(ci[0])}–${Math.round(ci[1])} B per request) straddles the ${minSlope} B minimum: run longer or with more requests`;
  }
  return { verdict, slope, intercept, ci, n: used.length, r2, growthBytes, reason };
}

/** Requests served at time t, linearly interpolated between the load generator's ticks. */
export function requestsAt(ticks: ReadonlyArray<{ t: number; requests: number }>, t: number): number | undefined {
  const [first, ...rest] = ticks;
  if (!first || t < first.t) return undefined;
  let a = first;
  for (const b of rest) {
    if (t <= b.t) return b.t === a.t ? b.requests : a.requests + ((b.requests - a.requests) * (t - a.t)) / (b.t - a.t);
    a = b;
  }
  // After the last tick: its count, while it is recent.
  return t - a.t < 1500 ? a.requests : undefined;
}
