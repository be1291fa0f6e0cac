import type { Benchmark, SummaryOnly } from '../model.js';
import { isRecord, optionalNumber, requireNumber, requireRecord } from './errors.js';
import { keyScore, type JsonFormat } from './types.js';

function percentilesOf(stats: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(stats)) {
    const m = /^p(\d+)(?:_(\d+))?$/.exec(key);
    if (m && typeof value === 'number') out[`p${m[1]}${m[2] ? `.${m[2]}` : ''}`] = value;
  }
  return out;
}

/**
 * `autocannon --json`. Latency statistics are over all requests (ms, integer resolution);
 * requests/s statistics are over the per-second samples (`samples` seconds). Raw samples are
 * not in the file, so latency is compared by its summary and req/s by Welch's t-test over
 * the per-second mean and stddev.
 */
export const autocannonFormat: JsonFormat = {
  id: 'autocannon',
  label: 'autocannon --json',
  kind: 'json',
  detect(doc) {
    if (!isRecord(doc)) return 0;
    return 0.5 * keyScore(doc, ['latency', 'requests', 'throughput']) + 0.5 * keyScore(doc, ['connections', 'pipelining', 'duration', 'non2xx']);
  },
  parse(doc) {
    const root = requireRecord(doc, []);
    const latency = requireRecord(root.latency, ['latency']);
    const requests = requireRecord(root.requests, ['requests']);
    const seconds = optionalNumber(root.samples);
    const latencySummary: SummaryOnly = {
      n: optionalNumber(latency.totalCount),
      mean: requireNumber(latency.mean ?? latency.average, ['latency', 'mean']),
      sd: optionalNumber(latency.stddev),
      median: optionalNumber(latency.p50),
      min: optionalNumber(latency.min),
      max: optionalNumber(latency.max),
      percentiles: percentilesOf(latency),
    };
    // The URL (with its ephemeral port) is not a stable name across runs; a --title is.
    const name = typeof root.title === 'string' && root.title ? `${root.title} ` : '';
    const benchmarks: Benchmark[] = [
      { name: `${name}latency`, unit: 'ms', direction: 'lower-is-better', summary: latencySummary },
      {
        name: `${name}throughput`,
        unit: 'req/s',
        direction: 'higher-is-better',
        summary: {
          n: seconds,
          mean: requireNumber(requests.mean ?? requests.average, ['requests', 'mean']),
          sd: optionalNumber(requests.stddev),
          min: optionalNumber(requests.min),
          max: optionalNumber(requests.max),
          median: optionalNumber(requests.p50),
        },
      },
    ];
    const context: Record<string, string> = {};
    for (const key of ['connections', 'pipelining', 'workers'] as const) if (root[key] !== undefined) context[key] = String(root[key]);
    const errors = (optionalNumber(root.errors) ?? 0) + (optionalNumber(root.timeouts) ?? 0) + (optionalNumber(root.non2xx) ?? 0);
    const notes = [
      'autocannon --json keeps no raw samples: latency is compared by its percentiles and mean/stddev (Welch), throughput by per-second mean/stddev (Welch); no rank test possible',
    ];
    if (errors) notes.push(`${name || 'run'}: ${errors} errors/timeouts/non-2xx responses in this run`);
    return { benchmarks, context, notes };
  },
};
