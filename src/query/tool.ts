import { defineTool } from '../common/tool.js';
import { queryInputSchema, queryOutputSchema } from './schema.js';
import { verdictOf } from './verdict.js';

export const analyzeQueryTool = defineTool({
  name: 'analyze_query',
  title: 'Analyse a SQL query plan',
  description:
    'Use when a SQL statement is slow or a code path runs many queries: explains ONE statement on SQLite, PostgreSQL or MySQL, names plan problems with their numbers, and suggests indexes verified by re-planning. ' +
    '`queryLog`/`queries` finds N+1 patterns; `fromStatStatements` lists the top statements. Never changes data (read-only or rolled-back transactions). ' +
    'Next: apply the index, then run_load_test again and compare_benchmarks.',
  input: queryInputSchema,
  output: queryOutputSchema,
  annotations: {
    // Data is never changed, but statements do execute (a rolled-back DML with analyze=true can
    // still advance sequences) and artefacts are written to .perf/runs/: not "read-only".
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: true,
  },
  budget: 6000,
  async run(input, context) {
    const { analyzeQuery } = await import('./index.js');
    return analyzeQuery(input, context);
  },
  verdict: (result) => {
    // The target only colours the headline; slowness itself is the `slow-query` finding.
    const v = verdictOf(result, Number.POSITIVE_INFINITY);
    return { verdict: v.word, failed: v.failed };
  },
});
