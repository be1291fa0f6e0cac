import { createHash } from 'node:crypto';
import type { K6Collector } from './collector.js';
import { evaluateK6Threshold, type K6Threshold, type Metric, type Sink } from './metrics.js';

/**
 * The data k6 passes to `handleSummary(data)` (and writes with --summary-export):
 * https://grafana.com/docs/k6/latest/results-output/end-of-test/custom-summary/
 */
export const DEFAULT_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'];

interface GroupNode {
  name: string;
  path: string;
  id: string;
  groups: GroupNode[];
  checks: Array<{ name: string; path: string; id: string; passes: number; fails: number }>;
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

function groupTree(collector: K6Collector): GroupNode {
  const root: GroupNode = { name: '', path: '', id: md5(''), groups: [], checks: [] };
  const nodes = new Map<string, GroupNode>([['', root]]);
  const node = (path: string): GroupNode => {
    const existing = nodes.get(path);
    if (existing) return existing;
    const cut = path.lastIndexOf('::');
    const parent = node(path.slice(0, cut));
    const created: GroupNode = { name: path.slice(cut + 2), path, id: md5(path), groups: [], checks: [] };
    parent.groups.push(created);
    nodes.set(path, created);
    return created;
  };
  for (const path of collector.groups.keys()) node(path);
  for (const c of collector.checks.values()) node(c.group).checks.push({ name: c.name, path: c.path, id: md5(c.path), passes: c.passes, fails: c.fails });
  return root;
}

function metricEntry(metric: Pick<Metric, 'type' | 'contains'>, sink: Sink, durationS: number, trendStats: string[]) {
  return { type: metric.type, contains: metric.contains, values: sink.values_(durationS, trendStats) };
}

export function buildK6SummaryData(
  collector: K6Collector,
  thresholds: K6Threshold[],
  options: Record<string, unknown>,
  durationS: number,
): Record<string, unknown> {
  const trendStats = Array.isArray(options.summaryTrendStats) ? (options.summaryTrendStats as string[]) : DEFAULT_TREND_STATS;
  const metrics: Record<string, { type: string; contains: string; values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> }> = {};
  for (const metric of collector.registry.metrics.values()) {
    const hasThreshold = thresholds.some((t) => t.metric === metric.name);
    if (metric.sink.count > 0 || hasThreshold) metrics[metric.name] = metricEntry(metric, metric.sink, durationS, trendStats);
    for (const sub of metric.submetrics) metrics[sub.name] = metricEntry(metric, sub.sink, durationS, trendStats);
  }
  for (const t of thresholds) {
    const entry = metrics[t.metric];
    if (!entry) continue;
    if (t.type === 'trend' && !(t.stat in entry.values)) {
      const v = t.sink.stat(t.stat);
      if (v !== null) entry.values[t.stat] = v;
    }
    (entry.thresholds ??= {})[t.expression] = { ok: evaluateK6Threshold(t, durationS).ok };
  }
  return {
    root_group: groupTree(collector),
    options: { summaryTrendStats: trendStats, summaryTimeUnit: typeof options.summaryTimeUnit === 'string' ? options.summaryTimeUnit : '', noColor: false },
    state: { isStdOutTTY: false, isStdErrTTY: false, testRunDurationMs: durationS * 1000 },
    metrics,
  };
}
