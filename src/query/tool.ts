import { defineTool } from '../common/tool.js';
import { queryInputSchema, queryOutputSchema } from './schema.js';
import { verdictOf } from './verdict.js';

export const analyzeQueryTool = defineTool({
  name: 'analyze_query',
  title: 'Analyse a SQL query plan',
  description:
    'Explains ONE SQL statement against SQLite (file path), PostgreSQL (postgres://) or MySQL/MariaDB (mysql://) and reports plan findings with the node and numbers that triggered them ' +
    '(exclusive time share, row-estimate misses, rows removed by filter, seq scans feeding selective filters, sort/hash spills with the work_mem needed, lossy bitmaps, heap fetches, nested loops, SQLite temp B-trees/automatic indexes, MySQL full scans/filesort/temporary tables). ' +
    'Index suggestions are verified by re-planning with the index in place (HypoPG, or CREATE INDEX inside a rolled-back transaction; SQLite in a rolled-back transaction) and show cost before → after; MySQL ones are marked unverified. ' +
    'Also lints the SQL, finds N+1 patterns in a query log (`queryLog`/`queries`) and lists top statements from pg_stat_statements. ' +
    'Never changes data: reads run EXPLAIN ANALYZE in a read-only transaction, INSERT/UPDATE/DELETE are only planned unless analyze=true (then rolled back), DDL/COPY/SET/multiple statements are refused, a statement timeout always applies. Writes result.json, plan.json and report.html to .perf/runs/.',
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
