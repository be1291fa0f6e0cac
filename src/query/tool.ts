import { defineTool, suggestCall } from '../common/tool.js';
import { type QueryInput, type QueryOutput, queryInputSchema, queryOutputSchema } from './schema.js';
import { verdictOf } from './verdict.js';
import { nPlusOneCount } from './render.js';

/** The verdict headline (time, findings, the verified index, N+1), then the worst finding and the N+1 call site. */
function queryBrief(r: QueryOutput): string {
  const parts = [verdictOf(r, Number.POSITIVE_INFINITY).headline];
  const worst = [...r.findings].sort((a, b) => rank(a.severity) - rank(b.severity))[0];
  if (worst) parts.push(`worst: ${worst.rule}${worst.node ? ` at ${worst.node}` : ''}`);
  const best = r.indexSuggestions.find((s) => s.verified);
  if (best) parts.push(best.sql.replace(/;\s*$/, ''));
  const n1 = r.nPlusOne[0];
  if (n1) parts.push(`N+1: ${nPlusOneCount(n1)} ${n1.fingerprint.slice(0, 80)}${n1.callSite ? ` from ${n1.callSite}` : ''}`);
  return parts.join('; ');
}

function rank(severity: string): number {
  return severity === 'high' ? 0 : severity === 'medium' ? 1 : 2;
}

function queryNext(r: QueryOutput, input: QueryInput): string[] {
  const next: string[] = [];
  const best = r.indexSuggestions.find((s) => s.verified);
  const again = { ...(input.sql && input.sql.length <= 300 ? { sql: input.sql } : {}), ...(input.database ? { database: input.database } : {}) };
  if (best)
    next.push(
      `${suggestCall('analyze_query', again)} after ${best.sql.length <= 160 ? best.sql.replace(/;\s*$/, '') : 'creating the suggested index'}, to confirm the plan uses it`,
    );
  if (r.nPlusOne.length || best)
    next.push(`${suggestCall('run_load_test', { url: '<the endpoint that runs this query>' })} before and after the fix, then compare_benchmarks`);
  return next;
}

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
  brief: (result) => queryBrief(result),
  next: queryNext,
});
