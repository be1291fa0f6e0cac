import { TIME_UNITS_S as COMMON_TIME_UNITS_S } from '../common/units.js';
import type { RunEnvironment } from '../store/environment.js';

/**
 * The Samples model every parser produces and every later stage consumes (like benchstat's
 * benchfmt records): plain, JSON-serialisable data.
 */
export type Direction = 'lower-is-better' | 'higher-is-better';

/** Summary statistics, for formats that do not keep the raw samples. */
export interface SummaryOnly {
  n?: number;
  mean?: number;
  sd?: number;
  median?: number;
  min?: number;
  max?: number;
  /** Percentiles by name, e.g. { p90: 12.1, p95: 14, p99: 20 }. */
  percentiles?: Record<string, number>;
}

export interface Benchmark {
  /** Benchmark name as the tool printed it (with sub-benchmark / parameters). */
  name: string;
  /** Unit of the values: "ns/op", "s", "ms", "req/s", "B/op", … */
  unit: string;
  direction: Direction;
  /** Raw samples (one per run / repetition / round / second). */
  values?: number[];
  /** A whole distribution as (value, count) pairs, e.g. a decoded HDR latency histogram. */
  histogram?: Array<[number, number]>;
  /** When neither values nor a histogram exist. */
  summary?: SummaryOnly;
  /** For rows that stand for one percentile of a distribution (load runs): 0.95 for p95. */
  percentileOf?: number;
  /**
   * Configuration in effect where the samples were read (Go format `key: value` lines such as
   * goos, pkg, note): rows match across inputs only when it is equal, as benchstat's `.config`.
   */
  config?: Record<string, string>;
  /** benchfmt unit metadata (`Unit x assume=exact`): exact values are compared without a test. */
  assume?: 'exact' | 'normal' | 'nothing';
}

export type FormatId =
  | 'perfeng-load'
  | 'k6'
  | 'autocannon'
  | 'hyperfine'
  | 'go-bench'
  | 'google-benchmark'
  | 'pytest-benchmark'
  | 'pyperf'
  | 'vitest-bench'
  | 'tinybench'
  | 'csv'
  | 'inline'
  | 'runner';

export interface SampleSet {
  /** File path, run id or "inline". */
  source: string;
  format: FormatId;
  benchmarks: Benchmark[];
  /** What the file says about where it was measured: host, CPU, OS, tool version… */
  context: Record<string, string>;
  /** Where a perfeng run measured it (meta.json / result.json `environment`). */
  environment?: RunEnvironment;
  /** Things the parser noticed that the user should know (e.g. "no raw samples in this file"). */
  notes: string[];
}

/** Time units we can convert between, in seconds. */
/** Time units of benchmark results, per operation or not (`ns` and `ns/op` alike), in seconds. */
export const TIME_UNITS_S: Readonly<Record<string, number>> = Object.fromEntries(
  ['ns', 'us', 'µs', 'ms', 's']
    .flatMap((unit) => [
      [unit, COMMON_TIME_UNITS_S[unit] as number],
      [`${unit}/op`, COMMON_TIME_UNITS_S[unit] as number],
    ])
    .concat([['sec/op', 1]]),
);

/** Direction from the unit: throughput-like units are higher-is-better, everything else lower. */
export function directionForUnit(unit: string): Direction {
  const u = unit.toLowerCase();
  if (/(^|\/)s$|\/sec$|ops|req\/s|rps|mb\/s|b\/s|hz|per.?sec|iterations\/s|throughput/.test(u) && !(u in TIME_UNITS_S)) return 'higher-is-better';
  return 'lower-is-better';
}

/** The conversion factor from `from` to `to` when both are time units, else undefined. */
export function unitFactor(from: string, to: string): number | undefined {
  if (from === to) return 1;
  const a = TIME_UNITS_S[from];
  const b = TIME_UNITS_S[to];
  if (a === undefined || b === undefined) return undefined;
  // ns/op and ns are the same quantity only if both are per-op or both are not.
  if (from.endsWith('/op') !== to.endsWith('/op')) return undefined;
  return a / b;
}
