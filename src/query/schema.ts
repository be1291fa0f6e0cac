import { z } from 'zod';

/**
 * analyze_query contract. Imported at server start: zod only, nothing heavy.
 * Defaults serve the common case: EXPLAIN ANALYZE for reads (inside a read-only
 * transaction), plain EXPLAIN for writes, verified index suggestions, a 10 s timeout.
 */
const bindValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const loggedQuery = z.object({
  sql: z.string().min(1).describe('the statement as the application ran it'),
  durationMs: z.number().nonnegative().optional().describe('how long it took, if known'),
  stack: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .describe('call site or stack (frames as "file:line"); N+1 runs are grouped per call site'),
  requestId: z
    .string()
    .optional()
    .describe(
      'the request/trace/transaction the query ran in; when given, an N+1 run must repeat within one request (back-to-back lookups from different requests are load, not N+1)',
    ),
});

export const queryInputSchema = z.object({
  sql: z
    .string()
    .min(1)
    .optional()
    .describe('ONE SQL statement to explain and check. A second statement is refused. Use $1.. (PostgreSQL) or ? (SQLite/MySQL) with `params`.'),
  params: z.array(bindValue).optional().describe('bind values for the placeholders in `sql`'),
  database: z
    .string()
    .optional()
    .describe(
      'SQLite file path, postgres://user@host:port/db or mysql://user@host:port/db. Default: .perf/config.json → query.database. Non-loopback hosts must be in load.allowHosts.',
    ),
  queryLog: z
    .string()
    .optional()
    .describe(
      'path to a query log for N+1 detection: one statement per line, a PostgreSQL server log with "duration:" lines, or JSON lines {sql, durationMs?, stack?}',
    ),
  queries: z.array(loggedQuery).optional().describe('the same as queryLog, inline'),
  analyze: z
    .boolean()
    .optional()
    .describe(
      'run EXPLAIN ANALYZE. Default: true for read-only statements (run in a read-only transaction), false for INSERT/UPDATE/DELETE/MERGE (true runs them in a transaction that is always rolled back)',
    ),
  suggestIndexes: z.boolean().default(true).describe('propose indexes from WHERE/JOIN/ORDER BY/GROUP BY and verify each by re-planning with it in place'),
  useHypopg: z
    .boolean()
    .default(true)
    .describe('PostgreSQL: use HypoPG hypothetical indexes when the extension is installed; false uses CREATE INDEX inside a rolled-back transaction'),
  minImprovementPct: z
    .number()
    .min(0)
    .max(100)
    .optional()
    .describe("keep index suggestions that cut the estimated cost by at least this share (default query.minImprovementPct, 50 — Dexter's bar)"),
  timeoutMs: z.number().int().positive().max(600_000).optional().describe('statement timeout for every statement we run (default query.timeoutMs, 10 000)'),
  fromStatStatements: z
    .number()
    .int()
    .positive()
    .max(50)
    .optional()
    .describe('PostgreSQL: list the top N statements by total time from pg_stat_statements (and lint them)'),
  nPlusOneMinCount: z.number().int().min(2).default(3).describe('a run of the same query shape at least this long is reported as N+1'),
  limit: z
    .number()
    .int()
    .positive()
    .max(100)
    .default(10)
    .describe('at most this many findings, suggestions and N+1 groups in the result (all are in the artefacts)'),
});

export type QueryInput = z.output<typeof queryInputSchema>;

const severity = z.enum(['high', 'medium', 'low']);

const planNode = z.object({
  id: z.number().int(),
  parentId: z.number().int().nullable(),
  depth: z.number().int(),
  kind: z.string().describe('normalised node kind: seq-scan, index-scan, index-only-scan, bitmap-heap-scan, sort, hash-join, nested-loop, …'),
  label: z.string().describe('the node as the database names it, e.g. "Seq Scan on orders"'),
  relation: z.string().optional(),
  index: z.string().optional(),
  estimatedRows: z.number().optional(),
  totalCost: z.number().optional(),
  actualRows: z.number().optional(),
  loops: z.number().optional(),
  exclusiveMs: z.number().optional().describe('time spent in this node alone, all loops'),
  exclusivePct: z.number().optional(),
});

const findingSchema = z.object({
  rule: z.string(),
  severity,
  node: z.string().optional().describe('the plan node, e.g. "#2 Seq Scan on orders"'),
  message: z.string(),
  evidence: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
  fix: z.string().optional(),
});

const costPoint = z.object({
  cost: z.number().nullable().describe('planner cost (SQLite: estimated rows visited, MySQL: rows examined); null when not verified'),
  ms: z.number().optional(),
});

const indexSuggestion = z.object({
  sql: z.string(),
  table: z.string(),
  columns: z.array(z.string()),
  method: z
    .enum(['hypopg', 'rollback', 'expert', 'scratch-copy', 'none'])
    .describe(
      'hypopg: hypothetical index; rollback: built in a rolled-back transaction; expert: SQLite, built in a rolled-back transaction with sampled statistics; scratch-copy: MySQL, built on a session-private temporary copy (query.allowScratchCopy); none: not verified (MySQL default)',
    ),
  before: costPoint,
  after: costPoint,
  improvementPct: z.number().nullable(),
  verified: z.boolean(),
  usedByPlan: z.boolean().optional().describe('the re-planned query uses the new index'),
  note: z.string().optional(),
});

const lintItem = z.object({
  rule: z.string(),
  severity,
  message: z.string(),
  fix: z.string().optional(),
});

const nPlusOneItem = z.object({
  fingerprint: z.string().describe('the statement with literals replaced by ?'),
  pgFingerprint: z.string().optional().describe('libpg_query fingerprint (PostgreSQL)'),
  count: z.number().int(),
  runs: z.number().int().describe('how many separate runs of ≥ nPlusOneMinCount were seen (with request ids: how many requests had one)'),
  totalMs: z.number().optional(),
  example: z.string(),
  callSite: z.string().optional(),
  suggestion: z.string(),
});

const topQuery = z.object({
  query: z.string(),
  calls: z.number(),
  totalMs: z.number(),
  meanMs: z.number(),
  rows: z.number(),
  sharedBlksHit: z.number().optional(),
  sharedBlksRead: z.number().optional(),
  lint: z.array(z.string()),
  findings: z
    .array(z.object({ rule: z.string(), severity, message: z.string() }))
    .describe('plan findings from a plain EXPLAIN (generic plan for $n placeholders on PostgreSQL 16+)'),
  planNote: z.string().optional().describe('why the statement was not planned, when it was not'),
});

export const queryOutputSchema = z.object({
  dialect: z.enum(['postgres', 'mysql', 'sqlite', 'none']),
  statementKind: z.enum(['select', 'insert', 'update', 'delete', 'merge', 'none']),
  analyzed: z.boolean().describe('the statement was executed (EXPLAIN ANALYZE); otherwise figures are estimates'),
  executionMs: z.number().optional(),
  planningMs: z.number().optional(),
  totalCost: z.number().optional(),
  plan: z.object({
    summary: z.array(planNode).describe('plan nodes in depth-first order (parentId links them into a tree)'),
    compact: z.string().describe('the plan as an indented text tree'),
  }),
  findings: z.array(findingSchema),
  indexSuggestions: z.array(indexSuggestion),
  lint: z.array(lintItem),
  nPlusOne: z.array(nPlusOneItem),
  topQueries: z.array(topQuery).optional(),
  protection: z
    .object({ statement: z.string(), transaction: z.string(), role: z.string(), catalog: z.string() })
    .optional()
    .describe('which protections applied: how one statement is enforced, the transaction, the role, what the catalog check found'),
  warnings: z.array(z.string()),
  artifacts: z.object({ dir: z.string(), plan: z.string().optional(), report: z.string() }),
});

export type QueryOutput = z.output<typeof queryOutputSchema>;
export type Finding = z.output<typeof findingSchema>;
export type IndexSuggestion = z.output<typeof indexSuggestion>;
export type LintItem = z.output<typeof lintItem>;
export type NPlusOneItem = z.output<typeof nPlusOneItem>;
export type TopQuery = z.output<typeof topQuery>;
export type LoggedQuery = z.output<typeof loggedQuery>;
