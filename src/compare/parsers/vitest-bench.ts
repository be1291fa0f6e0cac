import type { Benchmark } from '../model.js';
import { isRecord, optionalNumber, requireArray, requireNumbers, requireRecord, requireString } from './errors.js';
import { keyScore, type JsonFormat } from './types.js';

function tinybenchStats(r: Record<string, unknown>, name: string, path: Array<string | number>): Benchmark {
  // tinybench ≥ 3 nests latency statistics under `latency`; v2 and vitest keep them flat.
  const stats = isRecord(r.latency) ? r.latency : r;
  const statsPath = isRecord(r.latency) ? [...path, 'latency'] : path;
  const samples = Array.isArray(stats.samples) ? requireNumbers(stats.samples, [...statsPath, 'samples']) : [];
  if (samples.length > 0) return { name, unit: 'ms', direction: 'lower-is-better', values: samples };
  const n = optionalNumber(stats.sampleCount) ?? optionalNumber(stats.samplesCount) ?? optionalNumber(r.sampleCount);
  const percentiles: Record<string, number> = {};
  for (const [key, label] of [
    ['p75', 'p75'],
    ['p99', 'p99'],
    ['p995', 'p99.5'],
    ['p999', 'p99.9'],
  ] as const) {
    const v = optionalNumber(stats[key]);
    if (v !== undefined) percentiles[label] = v;
  }
  return {
    name,
    unit: 'ms',
    direction: 'lower-is-better',
    summary: {
      n,
      mean: optionalNumber(stats.mean),
      sd: optionalNumber(stats.sd),
      median: optionalNumber(stats.median) ?? optionalNumber(stats.p50),
      min: optionalNumber(stats.min),
      max: optionalNumber(stats.max),
      percentiles,
    },
  };
}

/**
 * `vitest bench --outputJson`: files[].groups[].benchmarks[] with tinybench statistics in ms.
 * Vitest empties `samples` before writing, so this is usually a summary-only format.
 */
export const vitestBenchFormat: JsonFormat = {
  id: 'vitest-bench',
  label: 'vitest bench --outputJson',
  kind: 'json',
  detect(doc) {
    if (!isRecord(doc) || !Array.isArray(doc.files)) return 0;
    const file = doc.files[0];
    const group = isRecord(file) && Array.isArray(file.groups) ? file.groups[0] : undefined;
    const bench = isRecord(group) && Array.isArray(group.benchmarks) ? group.benchmarks[0] : undefined;
    return (
      0.2 +
      0.2 * keyScore(file, ['filepath', 'groups']) +
      0.2 * keyScore(group, ['fullName', 'benchmarks']) +
      0.4 * keyScore(bench, ['name', 'hz', 'mean', 'samples'])
    );
  },
  parse(doc) {
    const root = requireRecord(doc, []);
    const benchmarks: Benchmark[] = [];
    requireArray(root.files, ['files']).forEach((rawFile, f) => {
      const file = requireRecord(rawFile, ['files', f]);
      requireArray(file.groups, ['files', f, 'groups']).forEach((rawGroup, g) => {
        const group = requireRecord(rawGroup, ['files', f, 'groups', g]);
        const groupName = typeof group.fullName === 'string' ? group.fullName : '';
        requireArray(group.benchmarks, ['files', f, 'groups', g, 'benchmarks']).forEach((rawBench, b) => {
          const path = ['files', f, 'groups', g, 'benchmarks', b];
          const bench = requireRecord(rawBench, path);
          const name = requireString(bench.name, [...path, 'name']);
          benchmarks.push(tinybenchStats(bench, groupName ? `${groupName} > ${name}` : name, path));
        });
      });
    });
    const summaryOnly = benchmarks.filter((b) => !b.values).length;
    const notes = summaryOnly
      ? [
          `${summaryOnly} benchmark(s) have no samples (vitest --outputJson drops them): compared with Welch's t-test on mean/sd/sampleCount, no rank test possible`,
        ]
      : [];
    return { benchmarks, context: {}, notes };
  },
};

/**
 * tinybench results saved as JSON: an array of `{ name, result }` (JSON.stringify(bench.tasks)
 * or a hand-made export), or `{ tasks: [...] }`. v2 keeps `result.samples`; v3+ has
 * `result.latency.samples`.
 */
export const tinybenchFormat: JsonFormat = {
  id: 'tinybench',
  label: 'tinybench tasks JSON',
  kind: 'json',
  detect(doc) {
    const list = Array.isArray(doc) ? doc : isRecord(doc) && Array.isArray(doc.tasks) ? doc.tasks : undefined;
    if (!list) return 0;
    const first = list[0];
    const result = isRecord(first) ? first.result : undefined;
    return 0.3 * keyScore(first, ['name', 'result']) + 0.7 * Math.max(keyScore(result, ['samples', 'hz', 'mean']), keyScore(result, ['latency', 'throughput']));
  },
  parse(doc) {
    const list = Array.isArray(doc) ? doc : requireArray(requireRecord(doc, []).tasks, ['tasks']);
    const prefix = Array.isArray(doc) ? [] : ['tasks'];
    const benchmarks = list.map((raw, i) => {
      const task = requireRecord(raw, [...prefix, i]);
      const name = requireString(task.name, [...prefix, i, 'name']);
      return tinybenchStats(requireRecord(task.result, [...prefix, i, 'result']), name, [...prefix, i, 'result']);
    });
    const summaryOnly = benchmarks.filter((b) => !b.values).length;
    return { benchmarks, context: {}, notes: summaryOnly ? [`${summaryOnly} task(s) without samples: no rank test possible`] : [] };
  },
};
