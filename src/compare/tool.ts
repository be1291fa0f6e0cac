import { defineTool } from '../common/tool.js';
import { compareInputSchema, compareOutputSchema } from './schema.js';

export const compareBenchmarksTool = defineTool({
  name: 'compare_benchmarks',
  title: 'Compare benchmark results (benchstat statistics + CI gate)',
  description:
    'Compares a baseline with a candidate (or several `inputs`, each against the first) and says per benchmark whether it got faster, slower, stayed the same or is inconclusive — with statistics, not eyeballing. ' +
    'Reads files, globs, .perf/runs ids / "latest:load" (run_load_test results: whole latency histograms, p50…p99.9 and per-second throughput), or inline samples; formats are auto-detected: hyperfine --export-json, Go -bench text, Google Benchmark JSON, pytest-benchmark, pyperf, vitest bench --outputJson / tinybench, k6 summary, autocannon --json, CSV name,value[,unit]. ' +
    'Per row: medians with order-statistic confidence intervals, Mann-Whitney U exact with ties as benchstat (p ≤ α; its -filter/-col/-row, label=path, CSV; correction "none" = its numbers), Holm by default, Hodges-Lehmann shift and Cliff\'s delta; summary-only formats get Welch\'s t-test or an explicit "no test". Warns on too few samples, noise (CV > 5 %), outliers, bimodality and different machines. ' +
    '`failOn` ("regression>5%", "p95>500ms", …) makes it a CI gate: gate.failed. `run` measures two shell commands itself, interleaved A B A B. Writes result.json, summary.md and report.html to .perf/runs/.',
  input: compareInputSchema,
  output: compareOutputSchema,
  annotations: {
    // Comparing files only reads them, but `run` executes the commands it is given.
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: false,
    openWorldHint: false,
  },
  budget: 6000,
  async run(input, context) {
    const { compareBenchmarks } = await import('./index.js');
    return compareBenchmarks(input, context);
  },
  verdict: (result) => {
    const { counts, gate } = result;
    const rows = counts.faster + counts.slower + counts.same + counts.inconclusive;
    const verdict = gate.failed
      ? 'GATE FAILED'
      : counts.slower
        ? 'REGRESSION'
        : counts.faster
          ? 'IMPROVED'
          : counts.inconclusive === rows
            ? 'INCONCLUSIVE'
            : 'NO SIGNIFICANT CHANGE';
    return { verdict, failed: gate.failed };
  },
});
