import { defineTool } from '../common/tool.js';
import { compareInputSchema, compareOutputSchema } from './schema.js';

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
        ? 'REGRESSION'
        : counts.faster
          ? 'IMPROVED'
          : counts.inconclusive === rows
            ? 'INCONCLUSIVE'
            : 'NO SIGNIFICANT CHANGE';
    return { verdict, failed: gate.failed };
  },
});
