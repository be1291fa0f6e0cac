import type { Benchmark } from '../model.js';
import { isRecord, requireArray, requireNumbers, requireRecord } from './errors.js';
import { keyScore, type JsonFormat } from './types.js';

const PYPERF_UNITS: Record<string, string> = { second: 's', byte: 'B', integer: 'count' };

/**
 * pyperf JSON (`pyperf ... -o result.json`, pyperformance): benchmarks[].runs[].values are
 * per-loop values; warmups are excluded, as pyperf itself does. The name and unit live in
 * the benchmark's metadata, or in the file's common metadata for a single-benchmark file.
 */
export const pyperfFormat: JsonFormat = {
  id: 'pyperf',
  label: 'pyperf JSON',
  kind: 'json',
  detect(doc) {
    if (!isRecord(doc)) return 0;
    const first = Array.isArray(doc.benchmarks) ? doc.benchmarks[0] : undefined;
    const run = isRecord(first) && Array.isArray(first.runs) ? first.runs[0] : undefined;
    return 0.3 * keyScore(doc, ['version', 'metadata', 'benchmarks']) + 0.3 * keyScore(first, ['runs']) + 0.4 * keyScore(run, ['values', 'metadata']);
  },
  parse(doc) {
    const root = requireRecord(doc, []);
    const common = isRecord(root.metadata) ? root.metadata : {};
    const list = requireArray(root.benchmarks, ['benchmarks']);
    const notes: string[] = [];
    const benchmarks: Array<Benchmark & { values: number[] }> = list.map((raw, i) => {
      const b = requireRecord(raw, ['benchmarks', i]);
      const meta = { ...common, ...(isRecord(b.metadata) ? b.metadata : {}) };
      const name = typeof meta.name === 'string' ? meta.name : `benchmark ${i + 1}`;
      const unit = PYPERF_UNITS[String(meta.unit ?? 'second')] ?? String(meta.unit);
      const values: number[] = [];
      requireArray(b.runs, ['benchmarks', i, 'runs']).forEach((rawRun, r) => {
        const run = requireRecord(rawRun, ['benchmarks', i, 'runs', r]);
        if (run.values !== undefined) values.push(...requireNumbers(run.values, ['benchmarks', i, 'runs', r, 'values']));
      });
      if (!values.length) notes.push(`${name}: no values (only calibration runs?)`);
      return { name, unit, direction: 'lower-is-better', values };
    });
    const context: Record<string, string> = {};
    for (const key of ['hostname', 'cpu_model_name', 'platform', 'python_version', 'cpu_count']) {
      if (typeof common[key] === 'string' || typeof common[key] === 'number') context[key] = String(common[key]);
    }
    return { benchmarks: benchmarks.filter((b) => b.values.length > 0), context, notes };
  },
};
