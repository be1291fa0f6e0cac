import type { Benchmark } from '../model.js';
import { flatContext, isRecord, optionalNumber, requireArray, requireNumber, requireRecord, requireString } from './errors.js';
import { keyScore, type JsonFormat } from './types.js';

/**
 * Google Benchmark `--benchmark_format=json` / `--benchmark_out`. With
 * `--benchmark_repetitions=N` each repetition is one `run_type: "iteration"` entry: those are
 * the samples. Aggregates (mean/median/stddev/cv) are used only when the file has nothing else
 * (`--benchmark_report_aggregates_only`). Real (wall) time is the primary row; CPU time is a
 * second row, as `compare.py` shows both.
 */
export const googleBenchmarkFormat: JsonFormat = {
  id: 'google-benchmark',
  label: 'Google Benchmark JSON',
  kind: 'json',
  detect(doc) {
    if (!isRecord(doc)) return 0;
    const score = keyScore(doc, ['context', 'benchmarks']) * 0.4;
    const first = Array.isArray(doc.benchmarks) ? doc.benchmarks[0] : undefined;
    return score + 0.6 * keyScore(first, ['run_name', 'real_time', 'cpu_time', 'time_unit']);
  },
  parse(doc) {
    const root = requireRecord(doc, []);
    const entries = requireArray(root.benchmarks, ['benchmarks']);
    const context = flatContext(isRecord(root.context) ? root.context : undefined, [
      'host_name',
      'num_cpus',
      'mhz_per_cpu',
      'cpu_scaling_enabled',
      'library_build_type',
    ]);
    const notes: string[] = [];
    const iterations = new Map<string, { unit: string; real: number[]; cpu: number[]; counters: Map<string, number[]> }>();
    const aggregates = new Map<string, { unit: string; mean?: number; median?: number; sd?: number; n?: number; cpuMean?: number; cpuSd?: number }>();
    entries.forEach((raw, i) => {
      const e = requireRecord(raw, ['benchmarks', i]);
      const runName = typeof e.run_name === 'string' ? e.run_name : requireString(e.name, ['benchmarks', i, 'name']);
      if (typeof e.error_occurred === 'boolean' && e.error_occurred) {
        notes.push(`${runName}: the benchmark reported an error (${String(e.error_message ?? '')}); skipped`);
        return;
      }
      const unit = typeof e.time_unit === 'string' ? e.time_unit : 'ns';
      if (e.run_type === 'aggregate') {
        const a = aggregates.get(runName) ?? { unit };
        const kind = String(e.aggregate_name ?? '');
        const real = requireNumber(e.real_time, ['benchmarks', i, 'real_time']);
        if (kind === 'mean') {
          a.mean = real;
          a.cpuMean = optionalNumber(e.cpu_time);
        } else if (kind === 'median') a.median = real;
        else if (kind === 'stddev') {
          a.sd = real;
          a.cpuSd = optionalNumber(e.cpu_time);
        }
        a.n = optionalNumber(e.repetitions) ?? a.n;
        aggregates.set(runName, a);
        return;
      }
      const it = iterations.get(runName) ?? { unit, real: [] as number[], cpu: [] as number[], counters: new Map<string, number[]>() };
      it.real.push(requireNumber(e.real_time, ['benchmarks', i, 'real_time']));
      const cpu = optionalNumber(e.cpu_time);
      if (cpu !== undefined) it.cpu.push(cpu);
      for (const counter of ['bytes_per_second', 'items_per_second'] as const) {
        const v = optionalNumber(e[counter]);
        if (v !== undefined) it.counters.set(counter, [...(it.counters.get(counter) ?? []), v]);
      }
      iterations.set(runName, it);
    });
    const benchmarks: Benchmark[] = [];
    for (const [name, it] of iterations) {
      benchmarks.push({ name, unit: it.unit, direction: 'lower-is-better', values: it.real });
      if (it.cpu.length === it.real.length) benchmarks.push({ name: `${name} (cpu)`, unit: it.unit, direction: 'lower-is-better', values: it.cpu });
      for (const [counter, values] of it.counters) {
        benchmarks.push({ name: `${name} (${counter})`, unit: counter === 'bytes_per_second' ? 'B/s' : 'items/s', direction: 'higher-is-better', values });
      }
    }
    for (const [name, a] of aggregates) {
      if (iterations.has(name)) continue;
      notes.push(`${name}: only aggregates in the file (--benchmark_report_aggregates_only); no rank test possible`);
      benchmarks.push({ name, unit: a.unit, direction: 'lower-is-better', summary: { mean: a.mean, median: a.median, sd: a.sd, n: a.n } });
      if (a.cpuMean !== undefined)
        benchmarks.push({ name: `${name} (cpu)`, unit: a.unit, direction: 'lower-is-better', summary: { mean: a.cpuMean, sd: a.cpuSd, n: a.n } });
    }
    return { benchmarks, context, notes };
  },
};
