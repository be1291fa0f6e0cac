import { defineTool, suggestCall } from '../common/tool.js';
import { type CompareInput, type CompareOutput, compareInputSchema, compareOutputSchema } from './schema.js';

function compareNext(r: CompareOutput, input: CompareInput): string[] {
  const next: string[] = [];
  const slower = r.rows.find((row) => row.verdict === 'slower');
  const fromLoad = [input.baseline, input.candidate, ...(input.inputs ?? [])].some((s) => typeof s === 'string' && /load/.test(s));
  if (slower) {
    next.push(
      fromLoad
        ? suggestCall('performance_history', { kind: 'load', metric: 'p95' })
        : suggestCall('performance_history', { kind: 'compare', metric: `median@${slower.name}` }),
    );
    next.push(
      `${suggestCall('profile_process', { command: '<the slower benchmark or server>', baseline: '<a profile of the old version>' })}: where the time went`,
    );
  }
  if (!slower && r.counts.inconclusive && input.run)
    next.push(`${suggestCall('compare_benchmarks', { run: { ...input.run, runs: input.run.runs * 3 } })}: more runs to decide`);
  return next;
}

export const compareBenchmarksTool = defineTool({
  name: 'compare_benchmarks',
  title: 'Compare benchmark results (benchstat statistics + CI gate)',
  description:
    'Use to decide whether a change made things faster or slower: baseline vs candidate (run ids like "latest:load", files from hyperfine, Go bench, pytest-benchmark, k6, autocannon, CSV… or inline samples), per benchmark faster/slower/same/inconclusive with benchstat statistics. ' +
    '`failOn` ("regression>5%") makes it a CI gate; `run` times two commands itself. ' +
    'Next: profile_process on a regression; performance_history to see when it began.',
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
        ? 'REGRESSED'
        : counts.faster
          ? 'IMPROVED'
          : counts.inconclusive === rows
            ? 'INCONCLUSIVE'
            : 'NO SIGNIFICANT CHANGE';
    return { verdict, failed: gate.failed };
  },
  next: compareNext,
});
