import { z } from 'zod';

/**
 * `perfeng demo` contract: the whole measure → diagnose → fix → verify loop on the embedded
 * demo application. zod only (the CLI imports it before deciding to run anything).
 */
export const DEMO_FIXES = ['index', 'batch', 'hotloop', 'cache'] as const;
/** The demo app's endpoint names (app/endpoints.ts; a test keeps the two lists equal). */
export const DEMO_ENDPOINT_NAMES = ['recent-orders', 'order-search', 'sales-report', 'catalog'] as const;

export const demoInputSchema = z.object({
  quick: z.boolean().default(false).describe('short load phases (about 30 s in all) for tests and a first look; figures are noisier'),
  durationS: z.number().positive().max(120).optional().describe('seconds of measured load per endpoint and phase (default 5, quick 1.2)'),
  connections: z.number().int().positive().max(500).optional().describe('virtual users per endpoint load test (default 16, quick 8)'),
  fixes: z
    .array(z.enum(DEMO_FIXES))
    .default([...DEMO_FIXES])
    .describe('which fixes the "after" phase applies: index (orders.reference), batch (N+1 → JOIN), hotloop (regex/JSON), cache (memo + Cache-Control/ETag)'),
  endpoints: z.array(z.enum(DEMO_ENDPOINT_NAMES)).min(1).optional().describe('load-test and compare only these endpoints (default: all four)'),
  profile: z.boolean().default(true).describe('profile the app under load (profile_process) between the two load phases'),
});

export type DemoInput = z.output<typeof demoInputSchema>;

const phaseNumbers = z.object({
  p50Ms: z.number(),
  p95Ms: z.number(),
  p99Ms: z.number(),
  throughputRps: z.number(),
  requests: z.number(),
  failed: z.number(),
  runId: z.string(),
  report: z.string(),
});

const significance = z.object({
  metric: z.string().describe('the compared row, e.g. "latency p95"'),
  deltaPct: z.number().nullable(),
  pValue: z.number().nullable().describe('after multiple-comparison correction'),
  significant: z.boolean(),
  verdict: z.enum(['faster', 'slower', 'same', 'inconclusive']),
});

export const demoOutputSchema = z.object({
  verdict: z.string().describe('one line: what improved, significantly, and what did not'),
  improved: z.number().int().describe('endpoints whose p95 got significantly faster'),
  endpoints: z.array(
    z.object({
      name: z.string(),
      path: z.string(),
      problem: z.string(),
      fix: z.string(),
      fixApplied: z.boolean(),
      before: phaseNumbers.optional(),
      after: phaseNumbers.optional(),
      p95ChangePct: z.number().nullable(),
      throughputChangePct: z.number().nullable(),
      significance: z.array(significance).describe('from compare_benchmarks (baseline vs fixed run of this endpoint)'),
      compareRunId: z.string().optional(),
    }),
  ),
  profile: z
    .object({
      runId: z.string(),
      topFunctions: z.array(z.object({ name: z.string(), file: z.string(), line: z.number(), selfPct: z.number() })),
      flamegraph: z.string(),
    })
    .optional(),
  query: z
    .object({
      runId: z.string(),
      nPlusOne: z.array(
        z.object({
          fingerprint: z.string(),
          count: z.number(),
          loop: z.string().describe('"50 per request × 3 requests": the N of the loop first'),
          callSite: z.string().optional(),
        }),
      ),
      findings: z.array(z.object({ rule: z.string(), severity: z.string(), message: z.string() })),
      indexSuggestions: z.array(z.object({ sql: z.string(), verified: z.boolean(), improvementPct: z.number().nullable() })),
      report: z.string(),
    })
    .optional(),
  steps: z.array(
    z.object({
      step: z.string(),
      tool: z.string().optional(),
      status: z.enum(['ok', 'skipped', 'failed']),
      seconds: z.number(),
      detail: z.string(),
      runId: z.string().optional(),
      report: z.string().optional(),
    }),
  ),
  durationS: z.number(),
  warnings: z.array(z.string()),
  artifacts: z.object({
    dir: z.string(),
    index: z.string().describe('index.html linking every run report of this demo'),
    result: z.string(),
    database: z.string().describe('the demo SQLite database (reused by later demos)'),
    queryLog: z.string().describe('JSON lines {sql, durationMs, stack} the baseline app logged'),
  }),
});

export type DemoOutput = z.output<typeof demoOutputSchema>;
