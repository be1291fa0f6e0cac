import type { ToolName } from '../tool-names.js';

/**
 * Which of the agent's tools fits a changed performance-sensitive file. Pure: project-relative
 * path + (optionally) the first few KB of the file → a tool and a short factual reason.
 * Recognition follows each tool's documented entry points: k6 scripts import `k6/http`,
 * autocannon is required by name, Artillery YAML has `config:` + `scenarios:`, Locust files
 * import `locust`, wrk scripts use the `wrk` Lua table; Go benchmarks are `func BenchmarkX`
 * in `_test.go`, vitest/tinybench/mitata files are `*.bench.*` or import those packages,
 * pytest-benchmark uses the `benchmark` fixture, Google Benchmark includes `benchmark/benchmark.h`,
 * Rust benches use criterion.
 */
export type AgentTool = ToolName;

export interface ToolAdvice {
  tool: AgentTool;
  /** What the file looks like, e.g. "a k6 load-test script". */
  looksLike: string;
  /** Why that tool fits, one sentence without imperatives. */
  why: string;
  /** The exact call when the file itself is the tool's input (a k6 script). */
  call?: string;
}

interface Rule {
  looksLike: string;
  tool: AgentTool;
  test: (path: string, head: string) => boolean;
}

const LOAD_WHY =
  'run_load_test drives HTTP load (closed or open model, k6-style stages and thresholds) against a local target and reports p50–p99.9 without coordinated omission';
const BENCH_WHY = 'compare_benchmarks compares the new results with the last baseline (median with confidence interval, Mann-Whitney U, as benchstat does)';

const K6_WHY = 'run_load_test runs k6 scripts directly (executors, checks, thresholds as k6 does) against a local target and reports p50–p99.9';
const K6_RULE: Rule = {
  looksLike: 'a k6 load-test script',
  tool: 'run_load_test',
  test: (_p, h) => /(from\s+['"]k6(\/[\w-]+)?['"]|require\(\s*['"]k6)/.test(h),
};

const RULES: Rule[] = [
  K6_RULE,
  { looksLike: 'an autocannon load-test script', tool: 'run_load_test', test: (_p, h) => /(['"]autocannon['"])/.test(h) },
  { looksLike: 'a Locust load-test file', tool: 'run_load_test', test: (p, h) => p.endsWith('.py') && /^\s*(from|import)\s+locust\b/m.test(h) },
  { looksLike: 'an Artillery scenario', tool: 'run_load_test', test: (p, h) => /\.ya?ml$/.test(p) && /^config:/m.test(h) && /^scenarios:/m.test(h) },
  {
    looksLike: 'a wrk Lua script',
    tool: 'run_load_test',
    test: (p, h) => p.endsWith('.lua') && /\bwrk\.(method|body|headers|format)|function\s+(request|response|done)\s*\(/.test(h),
  },
  { looksLike: 'a JMeter or Gatling plan', tool: 'run_load_test', test: (p, h) => p.endsWith('.jmx') || /io\.gatling/.test(h) },
  { looksLike: 'a Go benchmark', tool: 'compare_benchmarks', test: (p, h) => p.endsWith('_test.go') && /func\s+Benchmark\w*\s*\(/.test(h) },
  {
    looksLike: 'a JavaScript/TypeScript benchmark',
    tool: 'compare_benchmarks',
    test: (p, h) => /\.bench\.[cm]?[jt]sx?$/.test(p) || /from\s+['"](tinybench|mitata|benchmark|benny)['"]|\bbench\s*\(/.test(h),
  },
  {
    looksLike: 'a pytest-benchmark or pyperf benchmark',
    tool: 'compare_benchmarks',
    test: (p, h) => p.endsWith('.py') && /\bbenchmark\s*\(|pytest\.mark\.benchmark|import\s+pyperf/.test(h),
  },
  { looksLike: 'a Google Benchmark file', tool: 'compare_benchmarks', test: (_p, h) => /benchmark\/benchmark\.h/.test(h) },
  { looksLike: 'a Rust criterion benchmark', tool: 'compare_benchmarks', test: (p, h) => p.endsWith('.rs') && /criterion/.test(h) },
  { looksLike: 'a benchmark result file', tool: 'compare_benchmarks', test: (p) => /\.(json|csv|txt|out)$/.test(p) },
  { looksLike: 'SQL', tool: 'analyze_query', test: (p) => p.endsWith('.sql') },
  { looksLike: 'a profile', tool: 'profile_process', test: (p) => /\.(cpuprofile|heapprofile|heapsnapshot|pprof|prof|folded|speedscope\.json)$/.test(p) },
  { looksLike: 'a Lighthouse configuration or web page', tool: 'measure_web_vitals', test: (p) => /lighthouserc|\.html?$/.test(p) },
];

const WHY: Record<AgentTool, string> = {
  run_load_test: LOAD_WHY,
  compare_benchmarks: BENCH_WHY,
  profile_process: 'profile_process records CPU and heap profiles and reports hot functions with file:line and a flame graph',
  analyze_query: 'analyze_query runs EXPLAIN (ANALYZE where safe) and reports plan problems with verified index suggestions',
  measure_web_vitals: 'measure_web_vitals measures LCP, CLS and INP in a real Chromium',
  performance_history: 'performance_history shows a metric across the stored runs and the commit where it changed',
};

const LOAD_DIRS = /^(load-?tests?|loadtests?)$/i;
const BENCH_DIRS = /^benchmarks?$/i;

export function adviseTool(relPath: string, head: string, matchedDirName: string): ToolAdvice {
  const lowerPath = relPath.toLowerCase();
  // Benchmark *results* next to benchmark code are common; source files are classified by
  // content first so a results.json under load-test/ is not taken for a script.
  for (const rule of RULES) {
    if (!rule.test(lowerPath, head)) continue;
    if (rule === K6_RULE) {
      // run_load_test runs k6 scripts as they are (src/load/k6/): name the call with this path.
      return { tool: rule.tool, looksLike: rule.looksLike, why: K6_WHY, call: `run_load_test ${JSON.stringify({ script: relPath })}` };
    }
    return { tool: rule.tool, looksLike: rule.looksLike, why: WHY[rule.tool] };
  }
  const dirName = matchedDirName.split('/').pop() ?? matchedDirName;
  if (LOAD_DIRS.test(dirName)) return { tool: 'run_load_test', looksLike: 'a load-test file', why: LOAD_WHY };
  if (BENCH_DIRS.test(dirName)) return { tool: 'compare_benchmarks', looksLike: 'a benchmark file', why: BENCH_WHY };
  return {
    tool: 'profile_process',
    looksLike: 'a performance-related file',
    why: `${WHY.profile_process}; ${BENCH_WHY}`,
  };
}
