import { defineTool } from '../common/tool.js';
import { historyInputSchema, historyOutputSchema } from './schema.js';

export const performanceHistoryTool = defineTool({
  name: 'performance_history',
  title: 'A metric across runs, with change points',
  description:
    'Use after several runs (one per commit) to see whether a metric moved and at which commit: the series, change points, a trend page. ' +
    'Metrics: p95, p95@ENDPOINT, throughput (load); median@ROW (compare); self@FUNCTION (profile); executionMs@FINGERPRINT (query); lcp, cls, inp, tbt (vitals). ' +
    'Next: compare_benchmarks on the runs either side of a change point.',
  input: historyInputSchema,
  output: historyOutputSchema,
  annotations: {
    // It only reads stored runs; it writes its own run folder (history.html, result.json).
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  budget: 6000,
  async run(input, context) {
    const { runHistory } = await import('./index.js');
    const outcome = await runHistory(input, context);
    // The core puts its verdict-first line and follow-ups in the result; the registry wants them beside it.
    const { summary, next, ...fields } = outcome.structured;
    return { structured: { summary, ...fields }, summary: outcome.summary, brief: summary, ...(next ? { next } : {}) };
  },
  // Reporting a change point is information, not a failure: `perfeng baseline check` is the CI gate.
  verdict: (result) => ({
    verdict: result.changePoints.some((c) => c.verdict === 'regression') ? 'REGRESSED' : result.changePoints.length ? 'IMPROVED' : 'STABLE',
    failed: false,
  }),
});
