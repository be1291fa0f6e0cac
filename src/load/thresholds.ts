import { defined, UserError } from '../common/errors.js';
import { type Comparator, holds, splitComparison } from '../common/comparison.js';
import { parseDurationMs } from '../common/units.js';
import type { PerfTargets } from '../store/config.js';

/**
 * k6 thresholds (https://grafana.com/docs/k6/latest/using-k6/thresholds/): a metric name,
 * optionally tagged (`http_req_duration{name:login}`), and expressions `<aggregation> <op> <value>`.
 * Trend metrics take avg/min/max/med/p(N); rate metrics take rate; counters take count/rate.
 */
export type MetricKind = 'trend' | 'rate' | 'counter';

export const METRICS: Record<string, MetricKind> = {
  http_req_duration: 'trend',
  http_req_failed: 'rate',
  http_reqs: 'counter',
  checks: 'rate',
  dropped_iterations: 'counter',
  iterations: 'counter',
};

const AGGREGATIONS: Record<MetricKind, string[]> = {
  trend: ['avg', 'min', 'max', 'med', 'p'],
  rate: ['rate'],
  counter: ['count', 'rate'],
};

export type Operator = Comparator;
const OPERATORS: readonly Operator[] = ['<', '<=', '>', '>=', '==', '===', '!='];

/** Where a threshold came from: the call's `thresholds`, a target in .perf/config.json, or a built-in default. */
export type ThresholdSource = 'user' | 'config' | 'default';

/** `{name:login}` or `{url:http://…}`: selects one request of the plan. */
export interface ThresholdTag {
  key: string;
  value: string;
}

const NAMED_AGGREGATIONS = ['avg', 'min', 'max', 'med', 'rate', 'count'] as const;

/** `p(N)` carries its N; the other aggregations have none. */
export type ThresholdAggregation = { aggregation: 'p'; percentile: number } | { aggregation: (typeof NAMED_AGGREGATIONS)[number]; percentile?: undefined };

export type ThresholdSpec = ThresholdAggregation & {
  source: ThresholdSource;
  /** As written, e.g. `http_req_duration{name:login}`. */
  metric: string;
  name: string;
  /** The metric's kind (from METRICS, checked when parsed). */
  kind: MetricKind;
  tag?: ThresholdTag;
  expression: string;
  op: Operator;
  value: number;
  abortOnFail: boolean;
  delayAbortEvalMs: number;
};

const AGGREGATION = /^(avg|min|max|med|count|rate|p\(\s*(\d+(?:\.\d+)?)\s*\))$/;
const NUMBER = /^-?\d+(?:\.\d+)?$/;
const METRIC = /^([a-z_][a-z0-9_]*)(?:\{\s*([a-z_]+)\s*:\s*([^}]*?)\s*\})?$/;

/** An aggregation AGGREGATION matched other than p(N). */
function namedAggregation(text: string): (typeof NAMED_AGGREGATIONS)[number] {
  return defined(
    NAMED_AGGREGATIONS.find((a) => a === text),
    `aggregation "${text}" in NAMED_AGGREGATIONS`,
  );
}

type Entry = string | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string | number };

export function parseThresholds(
  raw: Record<string, Entry[]>,
  requests: Array<{ name: string; url: string }>,
  source: ThresholdSource = 'user',
): ThresholdSpec[] {
  const specs: ThresholdSpec[] = [];
  for (const [metric, entries] of Object.entries(raw)) {
    const m = METRIC.exec(metric.trim());
    if (!m) throw new UserError(`invalid threshold metric "${metric}"`, 'use e.g. "http_req_duration" or "http_req_duration{name:login}"');
    const name = defined(m[1], 'the metric name group of METRIC');
    const kind = METRICS[name];
    if (!kind) {
      throw new UserError(`unknown threshold metric "${name}"`, `supported: ${Object.keys(METRICS).join(', ')}`);
    }
    let tag: ThresholdSpec['tag'];
    if (m[2]) {
      if (m[2] !== 'name' && m[2] !== 'url') {
        throw new UserError(`unsupported tag "${m[2]}" in threshold metric "${metric}"`, 'filter by {name:<request name>} or {url:<url>}');
      }
      if (name === 'dropped_iterations' || name === 'iterations') {
        throw new UserError(`threshold metric "${metric}" cannot be tagged`, 'drop the {…} part');
      }
      const value = defined(m[3], 'the tag value group of METRIC');
      const known = requests.some((r) => (m[2] === 'name' ? r.name === value : r.url === value));
      if (!known) {
        throw new UserError(
          `threshold metric "${metric}" names no request`,
          `known ${m[2]}s: ${requests.map((r) => (m[2] === 'name' ? r.name : r.url)).join(', ')}`,
        );
      }
      tag = { key: m[2], value };
    }
    for (const entry of entries) {
      const expression = typeof entry === 'string' ? entry : entry.threshold;
      const comparison = splitComparison(expression, OPERATORS);
      const e = comparison && AGGREGATION.exec(comparison.left);
      if (!comparison || !e || !NUMBER.test(comparison.right)) {
        throw new UserError(
          `invalid threshold expression "${expression}" for ${metric}`,
          'use "<aggregation> <op> <number>", e.g. "p(95)<500", "avg<200", "rate<0.01", "count>100"',
        );
      }
      const written = defined(e[1], 'the aggregation group of AGGREGATION');
      // Group 2 is the N of p(N); the other alternatives of AGGREGATION are the aggregation names.
      const stat: ThresholdAggregation =
        e[2] !== undefined ? { aggregation: 'p', percentile: Number(e[2]) } : { aggregation: namedAggregation(written), percentile: undefined };
      if (!AGGREGATIONS[kind].includes(stat.aggregation)) {
        throw new UserError(
          `"${written}" does not apply to ${name} (a ${kind} metric) in "${expression}"`,
          `use one of: ${AGGREGATIONS[kind].map((a) => (a === 'p' ? 'p(N)' : a)).join(', ')}`,
        );
      }
      if (stat.percentile !== undefined && (stat.percentile < 0 || stat.percentile > 100)) {
        throw new UserError(`percentile ${stat.percentile} out of range in "${expression}"`, 'use p(0)…p(100)');
      }
      const delay =
        typeof entry === 'string' || entry.delayAbortEval === undefined ? 0 : parseDurationMs(entry.delayAbortEval, `delayAbortEval of "${expression}"`);
      specs.push({
        source,
        metric,
        name,
        kind,
        tag,
        expression: expression.trim(),
        ...stat,
        op: comparison.op,
        value: Number(comparison.right),
        abortOnFail: typeof entry !== 'string' && entry.abortOnFail === true,
        delayAbortEvalMs: delay,
      });
    }
  }
  return specs;
}

/**
 * The project's targets (.perf/config.json → targets) as thresholds, each marked "config"
 * when the project set it and "default" otherwise. Latency and error-rate targets always
 * apply; throughput only when the project set it, and only in the closed model (with `rate`
 * the caller chose the throughput): a built-in "> 1000 req/s" would fail every small smoke
 * run for a number nobody asked for.
 */
export function defaultThresholds(targets: PerfTargets, model: 'open' | 'closed', configured: ReadonlySet<keyof PerfTargets>): ThresholdSpec[] {
  const from = (key: keyof PerfTargets): ThresholdSource => (configured.has(key) ? 'config' : 'default');
  const one = (metric: string, expression: string, key: keyof PerfTargets) => parseThresholds({ [metric]: [expression] }, [], from(key));
  return [
    ...one('http_req_duration', `p(50)<${targets.p50Ms}`, 'p50Ms'),
    ...one('http_req_duration', `p(95)<${targets.p95Ms}`, 'p95Ms'),
    ...one('http_req_duration', `p(99)<${targets.p99Ms}`, 'p99Ms'),
    ...one('http_req_failed', `rate<${targets.errorRate}`, 'errorRate'),
    ...(model === 'closed' && targets.throughputRps > 0 && configured.has('throughputRps')
      ? one('http_reqs', `rate>${targets.throughputRps}`, 'throughputRps')
      : []),
  ];
}

/** What a threshold needs to read; the aggregate implements it over the whole run so far. */
export interface MetricSource {
  /** Latency in ms: avg/min/max/med/p(N), or null when nothing was recorded. */
  trend(aggregation: 'avg' | 'min' | 'max' | 'med' | 'p', percentile: number | undefined, tag?: ThresholdTag): number | null;
  /** Failed share, check pass share. */
  rate(metric: 'http_req_failed' | 'checks', tag?: ThresholdTag): number | null;
  count(metric: 'http_reqs' | 'dropped_iterations' | 'iterations', tag?: ThresholdTag): number;
  elapsedS(): number;
}

export function thresholdActual(spec: ThresholdSpec, source: MetricSource): number | null {
  const kind = spec.kind;
  if (kind === 'trend') return source.trend(spec.aggregation as 'avg', spec.percentile, spec.tag);
  if (kind === 'rate') return source.rate(spec.name as 'checks', spec.tag);
  const count = source.count(spec.name as 'http_reqs', spec.tag);
  if (spec.aggregation === 'count') return count;
  const elapsed = source.elapsedS();
  return elapsed > 0 ? count / elapsed : null;
}

export interface ThresholdVerdict {
  source: ThresholdSource;
  metric: string;
  expression: string;
  actual: number | null;
  ok: boolean;
  abortOnFail?: boolean;
}

/**
 * A threshold with no data (no checks defined, no request of that name finished) passes,
 * as in k6, except a trend that has no samples at all: nothing was measured, so it cannot
 * be said to be fast.
 */
export function evaluateThreshold(spec: ThresholdSpec, source: MetricSource): ThresholdVerdict {
  const actual = thresholdActual(spec, source);
  const ok = actual === null ? spec.kind !== 'trend' : holds(actual, spec.op, spec.value);
  return { source: spec.source, metric: spec.metric, expression: spec.expression, actual, ok, ...(spec.abortOnFail ? { abortOnFail: true } : {}) };
}
