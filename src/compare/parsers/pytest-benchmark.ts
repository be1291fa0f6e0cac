import type { Benchmark } from '../model.js';
import { isRecord, optionalNumber, requireArray, requireNumbers, requireRecord, requireString } from './errors.js';
import { keyScore, type JsonFormat } from './types.js';

/**
 * pytest-benchmark JSON (`--benchmark-json`, or a saved run under .benchmarks/). Times are
 * seconds per call. `stats.data` holds every round when the run kept it
 * (`--benchmark-save-data`); otherwise only min/max/mean/stddev/median/rounds exist.
 */
export const pytestBenchmarkFormat: JsonFormat = {
  id: 'pytest-benchmark',
  label: 'pytest-benchmark JSON',
  kind: 'json',
  detect(doc) {
    if (!isRecord(doc)) return 0;
    const top = keyScore(doc, ['machine_info', 'commit_info', 'benchmarks', 'datetime']) * 0.5;
    const first = Array.isArray(doc.benchmarks) ? doc.benchmarks[0] : undefined;
    const stats = isRecord(first) ? first.stats : undefined;
    return top + 0.25 * keyScore(first, ['fullname', 'stats']) + 0.25 * keyScore(stats, ['rounds', 'mean', 'stddev', 'median']);
  },
  parse(doc) {
    const root = requireRecord(doc, []);
    const list = requireArray(root.benchmarks, ['benchmarks']);
    const notes: string[] = [];
    let summaryOnly = 0;
    const benchmarks: Benchmark[] = list.map((raw, i) => {
      const b = requireRecord(raw, ['benchmarks', i]);
      const name = typeof b.fullname === 'string' ? b.fullname : requireString(b.name, ['benchmarks', i, 'name']);
      const stats = requireRecord(b.stats, ['benchmarks', i, 'stats']);
      if (stats.data !== undefined)
        return { name, unit: 's', direction: 'lower-is-better', values: requireNumbers(stats.data, ['benchmarks', i, 'stats', 'data']) };
      summaryOnly++;
      return {
        name,
        unit: 's',
        direction: 'lower-is-better',
        summary: {
          n: optionalNumber(stats.rounds),
          mean: optionalNumber(stats.mean),
          sd: optionalNumber(stats.stddev),
          median: optionalNumber(stats.median),
          min: optionalNumber(stats.min),
          max: optionalNumber(stats.max),
        },
      };
    });
    if (summaryOnly)
      notes.push(
        `${summaryOnly} benchmark(s) have no raw rounds (run pytest with --benchmark-save-data to keep them); compared with Welch's t-test on mean/stddev, no rank test`,
      );
    const machine = isRecord(root.machine_info) ? root.machine_info : {};
    const cpu = isRecord(machine.cpu) ? machine.cpu : {};
    const context: Record<string, string> = {};
    if (typeof machine.node === 'string') context.host = machine.node;
    if (typeof machine.processor === 'string' && machine.processor) context.cpu = machine.processor;
    if (typeof cpu.brand_raw === 'string') context.cpu = cpu.brand_raw;
    if (typeof machine.python_version === 'string') context.python = machine.python_version;
    if (typeof machine.system === 'string') context.os = machine.system;
    return { benchmarks, context, notes };
  },
};
