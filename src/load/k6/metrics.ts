import { defined, UserError } from '../../common/errors.js';
import { parseDurationMs, round } from '../../common/units.js';
import { newHistogram, type Histogram } from '../histogram.js';
import { type Comparator as Operator, holds as compare, splitComparison } from '../../common/comparison.js';

/**
 * k6's metric model (https://grafana.com/docs/k6/latest/using-k6/metrics/): four types,
 * samples carrying tags, sub-metrics selected by tags (`http_req_duration{name:products}`),
 * thresholds over either. Time trends go into HDR histograms (µs, 3 significant digits) so a
 * long run does not keep every sample; other trends keep their values, as k6 does.
 */
export type MetricType = 'counter' | 'gauge' | 'rate' | 'trend';
export type Tags = Record<string, string>;

export class Sink {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  /** rate: non-zero samples. */
  passes = 0;
  /** gauge: last value. */
  last = 0;
  hist: Histogram | null = null;
  values: number[] | null = null;
  private sorted = true;
  /**
   * Time trends: a run of equal values (in µs) not yet in `hist`. Most request timings repeat
   * (blocked/connecting/tls_handshaking are 0 on a kept-alive connection): one counter
   * increment instead of an HDR record each — 4 of the ~11 records per request.
   */
  private runUs = 0;
  private runCount = 0;

  constructor(
    readonly type: MetricType,
    readonly isTime: boolean,
  ) {
    if (type === 'trend') {
      if (isTime) this.hist = newHistogram();
      else this.values = [];
    }
  }

  add(value: number): void {
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (this.type === 'rate' && value !== 0) this.passes++;
    if (this.type === 'gauge') this.last = value;
    if (this.hist) {
      const us = Math.max(1, Math.round(value * 1000));
      if (us === this.runUs) this.runCount++;
      else {
        if (this.runCount) this.hist.recordValueWithCount(this.runUs, this.runCount);
        this.runUs = us;
        this.runCount = 1;
      }
    } else if (this.values) {
      this.values.push(value);
      this.sorted = false;
    }
  }

  percentile(p: number): number {
    if (this.count === 0) return 0;
    if (this.hist) {
      if (this.runCount) {
        this.hist.recordValueWithCount(this.runUs, this.runCount);
        this.runCount = 0;
        this.runUs = 0;
      }
      return this.hist.getValueAtPercentile(p) / 1000;
    }
    // Only trends have percentiles: a time trend keeps `hist`, any other trend `values`.
    const v = defined(this.values, "a trend's values");
    if (!this.sorted) {
      v.sort((a, b) => a - b);
      this.sorted = true;
    }
    // k6's trend percentile: linear interpolation between closest ranks. p(N) over 100 (a
    // summaryTrendStats entry can say so) is the maximum, as the HDR histogram of a time trend has it.
    const rank = (Math.min(100, Math.max(0, p)) / 100) * (v.length - 1);
    const lo = defined(v[Math.floor(rank)], 'the trend value below the rank');
    const hi = defined(v[Math.ceil(rank)], 'the trend value above the rank');
    return lo + (hi - lo) * (rank - Math.floor(rank));
  }

  /** k6's value names: trend avg/min/med/max/p(N); counter count/rate; rate rate/passes/fails; gauge value/min/max. */
  values_(durationS: number, trendStats: string[]): Record<string, number> {
    const r = (n: number) => round(n, 6);
    switch (this.type) {
      case 'counter':
        return { count: this.sum, rate: r(durationS > 0 ? this.sum / durationS : 0) };
      case 'gauge':
        return { value: this.last, min: this.count ? this.min : 0, max: this.count ? this.max : 0 };
      case 'rate':
        return { rate: r(this.count ? this.passes / this.count : 0), passes: this.passes, fails: this.count - this.passes };
      case 'trend': {
        const out: Record<string, number> = {};
        for (const stat of trendStats) {
          const v = this.stat(stat);
          if (v !== null) out[stat] = r(v);
        }
        return out;
      }
    }
  }

  stat(stat: string): number | null {
    if (this.count === 0) return stat === 'count' ? 0 : this.type === 'trend' ? 0 : null;
    switch (stat) {
      case 'avg':
        return this.sum / this.count;
      case 'min':
        return this.min;
      case 'max':
        return this.max;
      case 'med':
        return this.percentile(50);
      case 'count':
        return this.count;
    }
    const p = /^p\((\d+(?:\.\d+)?)\)$/.exec(stat);
    return p ? this.percentile(Number(p[1])) : null;
  }
}

export interface Submetric {
  /** As written, e.g. `http_req_duration{name:products}`. */
  name: string;
  tags: Tags;
  sink: Sink;
}

export class Metric {
  readonly sink: Sink;
  readonly submetrics: Submetric[] = [];
  constructor(
    readonly name: string,
    readonly type: MetricType,
    readonly isTime: boolean,
  ) {
    this.sink = new Sink(type, isTime);
  }

  get contains(): string {
    return this.isTime ? 'time' : this.name === 'data_sent' || this.name === 'data_received' ? 'data' : 'default';
  }
}

/** k6's built-in metrics, each under its own name (the collector records into them directly). */
function builtinMetrics() {
  const counter = (name: string) => new Metric(name, 'counter', false);
  const rate = (name: string) => new Metric(name, 'rate', false);
  const time = (name: string) => new Metric(name, 'trend', true);
  const gauge = (name: string) => new Metric(name, 'gauge', false);
  return {
    http_reqs: counter('http_reqs'),
    http_req_failed: rate('http_req_failed'),
    http_req_duration: time('http_req_duration'),
    http_req_blocked: time('http_req_blocked'),
    http_req_connecting: time('http_req_connecting'),
    http_req_tls_handshaking: time('http_req_tls_handshaking'),
    http_req_sending: time('http_req_sending'),
    http_req_waiting: time('http_req_waiting'),
    http_req_receiving: time('http_req_receiving'),
    iterations: counter('iterations'),
    iteration_duration: time('iteration_duration'),
    dropped_iterations: counter('dropped_iterations'),
    data_sent: counter('data_sent'),
    data_received: counter('data_received'),
    checks: rate('checks'),
    group_duration: time('group_duration'),
    vus: gauge('vus'),
    vus_max: gauge('vus_max'),
  };
}

export type BuiltinMetrics = ReturnType<typeof builtinMetrics>;

const METRIC_NAME = /^[a-zA-Z_][a-zA-Z0-9_.-]{0,127}$/;

/** `name{k:v,k2:v2}` → name and tags. `{group:::browse}` is the tag `group` = `::browse`. */
export function parseMetricSelector(text: string): { name: string; tags: Tags } {
  const m = /^\s*([^{\s]+)\s*(?:\{(.*)\})?\s*$/.exec(text);
  if (!m) throw new UserError(`invalid threshold metric "${text}"`, 'use e.g. "http_req_duration" or "http_req_duration{name:products}"');
  const tags: Tags = {};
  if (m[2] !== undefined) {
    for (const part of m[2].split(',')) {
      const colon = part.indexOf(':');
      if (colon <= 0) throw new UserError(`invalid tag "${part}" in threshold metric "${text}"`, 'use {tag:value}, e.g. {name:products} or {group:::browse}');
      const key = part.slice(0, colon).trim();
      const value = part
        .slice(colon + 1)
        .trim()
        .replace(/^(['"])(.*)\1$/, '$2');
      tags[key] = value;
    }
  }
  return { name: defined(m[1], 'the name group of the metric selector'), tags };
}

export class MetricRegistry {
  readonly builtin: BuiltinMetrics = builtinMetrics();
  readonly metrics = new Map<string, Metric>(Object.values(this.builtin).map((metric) => [metric.name, metric]));

  /** `new Trend(name, isTime)` etc. in the init context; the same name twice must agree. */
  define(name: string, type: MetricType, isTime: boolean): Metric {
    if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name "${name}"`);
    const existing = this.metrics.get(name);
    if (existing) {
      if (existing.type !== type) throw new Error(`metric "${name}" already exists as a ${existing.type}`);
      return existing;
    }
    const metric = new Metric(name, type, isTime);
    this.metrics.set(name, metric);
    return metric;
  }

  get(name: string): Metric | undefined {
    return this.metrics.get(name);
  }

  submetric(selector: string): { metric: Metric; sub: Submetric | null } | null {
    const { name, tags } = parseMetricSelector(selector);
    const metric = this.metrics.get(name);
    if (!metric) return null;
    if (!Object.keys(tags).length) return { metric, sub: null };
    let sub = metric.submetrics.find((s) => s.name === selector);
    if (!sub) {
      sub = { name: selector, tags, sink: new Sink(metric.type, metric.isTime) };
      metric.submetrics.push(sub);
    }
    return { metric, sub };
  }

  /** One sample: into the metric and every sub-metric whose tags it carries. */
  add(metric: Metric, value: number, tags: Tags): void {
    metric.sink.add(value);
    for (const sub of metric.submetrics) {
      let match = true;
      for (const key in sub.tags) {
        if (tags[key] !== sub.tags[key]) {
          match = false;
          break;
        }
      }
      if (match) sub.sink.add(value);
    }
  }
}

// ---- thresholds -----------------------------------------------------------------------------

export interface K6Threshold {
  /** The metric key exactly as written in the script. */
  metric: string;
  expression: string;
  stat: string;
  op: Operator;
  value: number;
  abortOnFail: boolean;
  delayAbortEvalMs: number;
  sink: Sink;
  type: MetricType;
}

const STAT = /^(avg|min|max|med|count|rate|value|p\(\s*\d+(?:\.\d+)?\s*\))$/i;
const NUMBER = /^-?\d+(?:\.\d+)?(?:e[+-]?\d+)?$/i;
const OPERATORS: readonly Operator[] = ['<', '<=', '>', '>=', '==', '===', '!='];

const STATS: Record<MetricType, RegExp> = {
  trend: /^(avg|min|max|med|p\(.*\))$/,
  rate: /^rate$/,
  counter: /^(count|rate)$/,
  gauge: /^(value|min|max)$/,
};

type ThresholdEntry = string | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string | number };

/**
 * k6 threshold syntax (https://grafana.com/docs/k6/latest/using-k6/thresholds/): a metric
 * (optionally with tag filters) → expressions `<stat> <op> <number>`, plain or as
 * `{threshold, abortOnFail, delayAbortEval}`. Called after the init context ran, so custom
 * metrics exist. A threshold on a metric nothing defines fails the run before it starts,
 * as k6 does.
 */
export function parseK6Thresholds(raw: unknown, registry: MetricRegistry): K6Threshold[] {
  if (raw === undefined || raw === null) return [];
  if (typeof raw !== 'object') throw new UserError('options.thresholds must be an object', 'e.g. { http_req_duration: ["p(95)<500"] }');
  const out: K6Threshold[] = [];
  for (const [key, entries] of Object.entries(raw as Record<string, unknown>)) {
    const found = registry.submetric(key);
    if (!found)
      throw new UserError(`threshold on unknown metric "${key}"`, 'define it (new Trend/Counter/Rate/Gauge) in the init context or use a built-in metric');
    const list = (Array.isArray(entries) ? entries : [entries]) as ThresholdEntry[];
    for (const entry of list) {
      const expression = typeof entry === 'string' ? entry : entry?.threshold;
      if (typeof expression !== 'string') throw new UserError(`invalid threshold for "${key}"`, 'use a string like "p(95)<500" or {threshold, abortOnFail}');
      const comparison = splitComparison(expression, OPERATORS);
      if (!comparison || !STAT.test(comparison.left) || !NUMBER.test(comparison.right))
        throw new UserError(
          `invalid threshold expression "${expression}" for ${key}`,
          'use "<stat> <op> <number>", e.g. "p(95)<500", "rate<0.01", "count>100"',
        );
      const stat = comparison.left.replace(/\s+/g, '').toLowerCase();
      const type = found.metric.type;
      if (!STATS[type].test(stat))
        throw new UserError(`"${stat}" does not apply to ${found.metric.name} (a ${type}) in "${expression}"`, `a ${type} takes ${STATS[type].source}`);
      out.push({
        metric: key,
        expression: expression.trim(),
        stat,
        op: comparison.op,
        value: Number(comparison.right),
        abortOnFail: typeof entry === 'object' && entry.abortOnFail === true,
        delayAbortEvalMs: typeof entry === 'object' && entry.delayAbortEval !== undefined ? parseDurationMs(entry.delayAbortEval, 'delayAbortEval') : 0,
        sink: found.sub ? found.sub.sink : found.metric.sink,
        type,
      });
    }
  }
  return out;
}

export function thresholdActual(t: K6Threshold, durationS: number): number | null {
  const s = t.sink;
  switch (t.type) {
    case 'counter':
      return t.stat === 'count' ? s.sum : durationS > 0 ? s.sum / durationS : 0;
    case 'rate':
      return s.count ? s.passes / s.count : 0;
    case 'gauge':
      return t.stat === 'value' ? s.last : t.stat === 'min' ? (s.count ? s.min : 0) : s.count ? s.max : 0;
    case 'trend':
      return s.stat(t.stat);
  }
}

export interface K6ThresholdVerdict {
  metric: string;
  expression: string;
  actual: number | null;
  ok: boolean;
  abortOnFail?: boolean;
}

/** As k6: a metric with no samples evaluates on zero values (counter 0, rate 0, trend 0). */
export function evaluateK6Threshold(t: K6Threshold, durationS: number): K6ThresholdVerdict {
  const actual = thresholdActual(t, durationS);
  const ok = actual === null ? true : compare(actual, t.op, t.value);
  return { metric: t.metric, expression: t.expression, actual: actual === null ? null : round(actual, 4), ok, ...(t.abortOnFail ? { abortOnFail: true } : {}) };
}
