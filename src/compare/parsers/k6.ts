import type { Benchmark } from '../model.js';
import { isRecord, optionalNumber, requireRecord } from './errors.js';
import { keyScore, type JsonFormat } from './types.js';

/** Rate-like k6 metrics where more is better. */
const HIGHER_IS_BETTER = new Set(['http_reqs', 'iterations', 'data_received', 'data_sent', 'checks']);

/**
 * k6 end-of-test summaries: `--summary-export` (metrics.<name> = { avg, med, p(95), … }) and
 * the `handleSummary(data)` object (metrics.<name> = { type, contains, values: { … } }).
 * Both are aggregates only: trends become percentile rows compared by their values, with no
 * test (k6 keeps no samples). Trend values are milliseconds when `contains` is "time".
 */
export const k6Format: JsonFormat = {
  id: 'k6',
  label: 'k6 summary (--summary-export / handleSummary)',
  kind: 'json',
  detect(doc) {
    if (!isRecord(doc) || !isRecord(doc.metrics)) return 0;
    const metrics = doc.metrics;
    const known = keyScore(metrics, ['http_req_duration', 'iterations', 'http_reqs', 'iteration_duration', 'vus']);
    return 0.4 + 0.3 * Math.min(1, known * 2.5) + 0.3 * keyScore(doc, ['root_group', 'state', 'options']);
  },
  parse(doc) {
    const root = requireRecord(doc, []);
    const metrics = requireRecord(root.metrics, ['metrics']);
    const benchmarks: Benchmark[] = [];
    for (const [metric, raw] of Object.entries(metrics)) {
      if (!isRecord(raw)) continue;
      const values = isRecord(raw.values) ? raw.values : raw;
      const type =
        typeof raw.type === 'string'
          ? raw.type
          : 'avg' in values || 'med' in values
            ? 'trend'
            : 'rate' in values && 'count' in values
              ? 'counter'
              : 'rate' in values
                ? 'rate'
                : 'other';
      if (type === 'trend') {
        const unit = raw.contains === 'data' ? 'B' : raw.contains === 'default' ? 'value' : 'ms';
        const percentiles: Record<string, number> = {};
        for (const [key, value] of Object.entries(values)) {
          const m = /^p\((\d+(?:\.\d+)?)\)$/.exec(key);
          if (m && typeof value === 'number') percentiles[`p${m[1]}`] = value;
        }
        benchmarks.push({
          name: metric,
          unit,
          direction: 'lower-is-better',
          summary: {
            mean: optionalNumber(values.avg),
            median: optionalNumber(values.med),
            min: optionalNumber(values.min),
            max: optionalNumber(values.max),
            percentiles,
          },
        });
      } else if (type === 'counter') {
        const rate = optionalNumber(values.rate);
        if (rate !== undefined && HIGHER_IS_BETTER.has(metric))
          benchmarks.push({ name: `${metric} rate`, unit: '/s', direction: 'higher-is-better', summary: { mean: rate } });
      } else if (type === 'rate') {
        const rate = optionalNumber(values.rate) ?? optionalNumber(values.value);
        if (rate !== undefined)
          benchmarks.push({
            name: metric,
            unit: 'ratio',
            direction: HIGHER_IS_BETTER.has(metric) ? 'higher-is-better' : 'lower-is-better',
            summary: { mean: rate },
          });
      }
    }
    return {
      benchmarks,
      context: {},
      notes: [
        'k6 summaries hold aggregates only: differences are point estimates with no test (export raw samples with `k6 run --out json=…` for a real comparison)',
      ],
    };
  },
};
