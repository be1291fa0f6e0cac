import { UserError } from '../common/errors.js';
import type { PerfConfig } from '../store/config.js';
import { median } from './metrics.js';

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

const UNIT_FACTORS: Record<string, number> = {
  ms: 1,
  s: 1000,
  b: 1,
  kb: 1000,
  mb: 1_000_000,
  kib: 1024,
  mib: 1024 * 1024,
};

const EXPRESSION = /^\s*([a-z]+)(?:\.(median|min|max|p75|p90))?\s*(<=|>=|<|>)\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i;

export function parseThreshold(expression: string): ParsedThreshold {
  const match = EXPRESSION.exec(expression);
  const hint = 'write e.g. "lcp<2500", "cls<=0.1", "fcp<1.8s", "bytes<1MB", "lcp.max<3000"; metrics: ' + Object.keys(THRESHOLD_METRICS).join(', ');
  if (!match) throw new UserError(`invalid threshold "${expression}"`, hint);
  const metric = match[1]!.toLowerCase();
  if (!(metric in THRESHOLD_METRICS)) throw new UserError(`unknown metric "${metric}" in threshold "${expression}"`, hint);
  const kind = THRESHOLD_METRICS[metric as ThresholdMetric].unit;
  const unit = match[5]!.toLowerCase();
  let factor = 1;
  if (unit) {
    const allowed = kind === 'ms' ? ['ms', 's'] : kind === 'B' ? ['b', 'kb', 'mb', 'kib', 'mib'] : [];
    if (!allowed.includes(unit)) throw new UserError(`unit "${match[5]}" does not fit ${metric} in threshold "${expression}"`, hint);
    factor = UNIT_FACTORS[unit]!;
  }
  return {
    expression: expression.trim(),
    metric: metric as ThresholdMetric,
    stat: (match[2]?.toLowerCase() as Stat | undefined) ?? 'median',
    op: match[3] as Op,
    limit: Number(match[4]) * factor,
  };
}

/** Config targets as expressions; "good" in web.dev's wording is "at or below". */
export function defaultThresholds(targets: PerfConfig['targets'], tbtMs: number, hasInteractions: boolean): string[] {
  return [`lcp<=${targets.lcpMs}`, `cls<=${targets.cls}`, hasInteractions ? `inp<=${targets.inpMs}` : `tbt<=${tbtMs}`];
}

function statistic(values: number[], stat: Stat): number {
  const sorted = [...values].sort((a, b) => a - b);
  switch (stat) {
    case 'median':
      return median(sorted);
    case 'min':
      return sorted[0]!;
    case 'max':
      return sorted.at(-1)!;
    case 'p75':
    case 'p90': {
      // Nearest rank: the smallest value with at least p % of the runs at or below it.
      const p = stat === 'p75' ? 0.75 : 0.9;
      return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
    }
  }
}

function compare(actual: number, op: Op, limit: number): boolean {
  switch (op) {
    case '<':
      return actual < limit;
    case '<=':
      return actual <= limit;
    case '>':
      return actual > limit;
    case '>=':
      return actual >= limit;
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
    return { metric: t.metric, expression: t.expression, actual: Math.round(actual * 1e4) / 1e4, ok: compare(actual, t.op, t.limit) };
  });
}
