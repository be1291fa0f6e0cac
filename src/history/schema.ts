import { z } from 'zod';

/**
 * History contract (CLI `perfeng history`; the MCP tool `performance_history` is to be defined
 * from these in src/history/tool.ts once the tool registry of #14 is on main). zod only.
 */
export const historyInputSchema = z.strictObject({
  kind: z.string().min(1).describe('run kind: load, profile, query, compare, vitals, bench (imports)'),
  metric: z.string().min(1).describe('STAT or STAT@SUBJECT, e.g. p95, p95@GET /api, median@BenchmarkX, self@fn, lcp'),
  title: z.string().optional().describe('page title'),
  target: z.string().optional().describe('only runs whose target (load URL or script, profiled command, page) or title contains this'),
  alpha: z.number().gt(0).lt(0.5).default(0.01).describe('significance of a change point'),
  limit: z.number().int().min(1).max(1000).default(30).describe('latest points returned (all are in history.html)'),
});

const pointSchema = z.object({
  commit: z.string().nullable(),
  runId: z.string(),
  at: z.string(),
  value: z.number(),
  flags: z.array(z.string()).describe('dirty, other-machine, loaded'),
});

const changePointSchema = z.object({
  commit: z.string().nullable(),
  runId: z.string(),
  at: z.string(),
  beforeValue: z.number(),
  afterValue: z.number(),
  deltaPct: z.number(),
  pValue: z.number(),
  verdict: z.enum(['regression', 'improvement']),
});

export const historyOutputSchema = z.object({
  summary: z.string(),
  kind: z.string(),
  metric: z.string(),
  unit: z.string(),
  direction: z.enum(['lower-is-better', 'higher-is-better']),
  series: z.array(pointSchema).describe('oldest first, the latest `limit` points'),
  seriesTotal: z.number().int(),
  changePoints: z.array(changePointSchema),
  flagged: z.number().int(),
  targets: z
    .array(z.object({ target: z.string(), runs: z.number().int() }))
    .optional()
    .describe('when the series mixes runs of several targets: each, with its run count (pass `target` to follow one)'),
  warnings: z.array(z.string()).optional(),
  next: z.array(z.string()).optional(),
  artifacts: z.object({ dir: z.string(), report: z.string(), result: z.string() }),
});

export type HistoryInput = z.output<typeof historyInputSchema>;
export type HistoryPoint = z.output<typeof pointSchema>;
export type ChangePoint = z.output<typeof changePointSchema>;
export type HistoryOutput = z.output<typeof historyOutputSchema>;
