import { z } from 'zod';

/**
 * analyze_query contract. Imported at server start: zod only, nothing heavy.
 * Defaults serve the common case: EXPLAIN ANALYZE for reads (inside a read-only
 * transaction), plain EXPLAIN for writes, verified index suggestions, a 10 s timeout.
 */
const bindValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const loggedQuery = z.object({
  sql: z.string().min(1),
  durationMs: z.number().nonnegative().optional(),
  stack: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .describe('call site ("file:line" frames)'),
  requestId: z.string().optional().describe('N+1 counts repeats within one request'),
});

// Descriptions are terse on purpose: tools/list is paid for in every conversation (issue 14).
export const queryInputSchema = z.object({
  sql: z.string().min(1).optional().describe('ONE statement; placeholders $1 (PostgreSQL) or ? with `params`'),
  params: z.array(bindValue).optional(),
  database: z.string().optional().describe('SQLite file, postgres:// or mysql:// URL (default: config query.database)'),
  queryLog: z.string().optional().describe('query log file for N+1 detection'),
  queries: z.array(loggedQuery).optional().describe('the same as queryLog, inline'),
  analyze: z.boolean().optional().describe('EXPLAIN ANALYZE (default: reads yes, in a read-only transaction; writes only rolled back)'),
  suggestIndexes: z.boolean().default(true).describe('propose indexes, each verified by re-planning'),
  useHypopg: z.boolean().default(true),
  minImprovementPct: z.number().min(0).max(100).optional().describe('keep index suggestions cutting cost by this % (default 50)'),
  timeoutMs: z.number().int().positive().max(600_000).optional().describe('statement timeout (default 10000)'),
  fromStatStatements: z.number().int().positive().max(50).optional().describe('PostgreSQL: top N statements from pg_stat_statements'),
  nPlusOneMinCount: z.number().int().min(2).default(3),
  limit: z.number().int().positive().max(100).default(10).describe('findings, suggestions and N+1 groups returned'),
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
  count: z.number().int().describe('statements in all: perRequest × requests'),
  perRequest: z.number().int().describe("the loop's N: repeats in one request (median; per run when the log has no request ids)"),
  requests: z.number().int().optional().describe('requests that ran the loop (logs with request ids)'),
  runs: z.number().int().describe('how many separate runs of ≥ nPlusOneMinCount were seen (with request ids: how many requests had one)'),
  totalMs: z.number().optional(),
  example: z.string(),
  callSite: z.string().optional().describe('first application frame of the stack, source-mapped to the original line'),
  parent: z.string().optional().describe('the statement that produced the keys (the "1" of N+1), fingerprinted'),
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
