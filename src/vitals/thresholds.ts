import { UserError } from '../common/errors.js';
import type { PerfConfig } from '../store/config.js';
import { holds, ORDERING, splitComparison } from '../common/comparison.js';
import { maximum, median, minimum, nearestRank } from '../common/sample-stats.js';
import { unitFactor } from '../common/units.js';

/**
 * Threshold expressions: `<metric>[.<stat>] <op> <number>[unit]`, e.g. `lcp<2500`,
 * `cls<=0.1`, `fcp<1.8s`, `bytes<1MB`, `lcp.max<3000`, `tbt.p75<=200`. The default statistic
 * is the median of the runs (lab runs are judged by their median, as Lighthouse CI's
 * `aggregationMethod: median-run`); p75 is what the field (CrUX) uses.
 */
export const THRESHOLD_METRICS = {
  lcp: { unit: 'ms', label: 'LCP' },
  fcp: { unit: 'ms', label: 'FCP' },
  ttfb: { unit: 'ms', label: 'TTFB' },
  tbt: { unit: 'ms', label: 'TBT' },
  inp: { unit: 'ms', label: 'INP' },
  load: { unit: 'ms', label: 'load' },
  cls: { unit: '', label: 'CLS' },
  bytes: { unit: 'B', label: 'bytes' },
  requests: { unit: '', label: 'requests' },
} as const;
export type ThresholdMetric = keyof typeof THRESHOLD_METRICS;

type Stat = 'median' | 'min' | 'max' | 'p75' | 'p90';
type Op = '<' | '<=' | '>' | '>=';

export interface ParsedThreshold {
  expression: string;
  metric: ThresholdMetric;
  stat: Stat;
  op: Op;
  limit: number;
}

const LEFT = /^([a-z]+)(?:\.(median|min|max|p75|p90))?$/i;
const RIGHT = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;

export function parseThreshold(expression: string): ParsedThreshold {
  const hint = 'write e.g. "lcp<2500", "cls<=0.1", "fcp<1.8s", "bytes<1MB", "lcp.max<3000"; metrics: ' + Object.keys(THRESHOLD_METRICS).join(', ');
  const comparison = splitComparison(expression, ORDERING);
  const left = comparison && LEFT.exec(comparison.left);
  const right = comparison && RIGHT.exec(comparison.right);
  if (!comparison || !left || !right) throw new UserError(`invalid threshold "${expression}"`, hint);
  const metric = (left[1] as string).toLowerCase();
  if (!(metric in THRESHOLD_METRICS)) throw new UserError(`unknown metric "${metric}" in threshold "${expression}"`, hint);
  const kind = THRESHOLD_METRICS[metric as ThresholdMetric].unit;
  const unit = right[2] as string;
  let factor: number | undefined = 1;
  if (unit) {
    factor = kind === 'ms' ? unitFactor('time-ms', unit.toLowerCase()) : kind === 'B' ? unitFactor('size-b', unit) : undefined;
    if (factor === undefined) throw new UserError(`unit "${unit}" does not fit ${metric} in threshold "${expression}"`, hint);
  }
  return {
    expression: expression.trim(),
    metric: metric as ThresholdMetric,
    stat: (left[2]?.toLowerCase() as Stat | undefined) ?? 'median',
    op: comparison.op,
    limit: Number(right[1]) * factor,
  };
}

/** Config targets as expressions; "good" in web.dev's wording is "at or below". */
export function defaultThresholds(targets: PerfConfig['targets'], tbtMs: number, hasInteractions: boolean): string[] {
  return [`lcp<=${targets.lcpMs}`, `cls<=${targets.cls}`, hasInteractions ? `inp<=${targets.inpMs}` : `tbt<=${tbtMs}`];
}

function statistic(values: number[], stat: Stat): number {
  switch (stat) {
    case 'median':
      return median(values);
    case 'min':
      return minimum(values);
    case 'max':
      return maximum(values);
    case 'p75':
      return nearestRank(values, 0.75);
    case 'p90':
      return nearestRank(values, 0.9);
  }
}

export interface ThresholdResult {
  metric: string;
  expression: string;
  actual: number | null;
  ok: boolean;
}

/** Per-run values for each metric (undefined/null = not reported in that run). */
export type RunValues = Record<ThresholdMetric, Array<number | null | undefined>>;

export function evaluateThresholds(parsed: readonly ParsedThreshold[], values: RunValues): ThresholdResult[] {
  return parsed.map((t) => {
    const present = values[t.metric].filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    // A metric the page never reported cannot pass: no LCP usually means nothing was painted.
    if (present.length === 0) return { metric: t.metric, expression: t.expression, actual: null, ok: false };
    const actual = statistic(present, t.stat);
    return { metric: t.metric, expression: t.expression, actual: Math.round(actual * 1e4) / 1e4, ok: holds(actual, t.op, t.limit) };
  });
}
