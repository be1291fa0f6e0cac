import { z } from 'zod';

/**
 * Input and output contract of `run_load_test` (MCP) and `perfeng load` (CLI).
 * Imported at server start: zod only, nothing heavy. Field names are relied on by
 * `profile_process` (load while profiling), `perfeng demo` and `compare_benchmarks`.
 */

const durationText = z.union([z.string(), z.number().nonnegative()]).describe('"10s", "1m30s" or seconds');

const headersSchema = z.record(z.string(), z.string());

export const expectSchema = z
  .object({
    status: z
      .union([z.number().int(), z.array(z.number().int())])
      .optional()
      .describe('default 200–399'),
    bodyIncludes: z.string().optional(),
    maxLatencyMs: z.number().positive().optional(),
  })
  .describe('checks');

export const requestSpecSchema = z.object({
  name: z.string().optional().describe('label (default "METHOD /path")'),
  method: z.string().optional().describe('default GET'),
  url: z.string(),
  headers: headersSchema.optional(),
  body: z.string().optional(),
  weight: z.number().positive().optional().describe('share of the mix (default 1)'),
  expect: expectSchema.optional(),
});

export const stageSchema = z.object({
  duration: durationText,
  target: z.number().nonnegative().describe('users or req/s'),
});

export const thresholdEntrySchema = z.union([
  z.string(),
  z.object({
    threshold: z.string(),
    abortOnFail: z.boolean().optional(),
    delayAbortEval: durationText.optional(),
  }),
]);

// Descriptions are terse on purpose: tools/list is paid for in every conversation (issue 14).
export const loadTestInputSchema = z.object({
  script: z.string().optional().describe('k6 script path, run as it is (instead of url/requests)'),
  env: z.record(z.string(), z.string()).optional().describe('with script: __ENV'),
  vus: z.number().int().positive().optional().describe('with script: k6 --vus'),
  iterations: z.number().int().positive().optional().describe('with script: k6 --iterations'),
  url: z.string().optional().describe('one URL to load (or `requests`)'),
  method: z.string().default('GET'),
  headers: headersSchema.optional(),
  body: z.string().optional(),
  expect: expectSchema.optional(),
  requests: z.array(requestSpecSchema).min(1).optional().describe('weighted mix; a journey with sequence: true'),
  sequence: z.boolean().default(false),
  connections: z.number().int().positive().optional().describe('concurrent users (default 10); with rate: max in flight'),
  rate: z.number().positive().optional().describe('open model: arrivals/s'),
  duration: durationText.optional().describe('default 10s'),
  stages: z.array(stageSchema).min(1).optional().describe('k6 ramps instead of duration'),
  thresholds: z
    .record(z.string(), z.array(thresholdEntrySchema))
    .optional()
    .describe('k6 syntax, e.g. {"http_req_duration": ["p(95)<500"]}; default: latency and error-rate targets from config (throughput only if config sets it)'),
  timeoutMs: z.number().int().positive().default(10_000).describe('per request'),
  warmup: durationText.optional().describe('unrecorded load first'),
  pipelining: z.number().int().min(1).max(256).default(1),
  http2: z.boolean().default(false),
  workers: z.number().int().min(1).max(64).optional(),
  engine: z.enum(['auto', 'fast', 'undici']).default('auto'),
  insecureTls: z.boolean().default(false).describe('accept self-signed certificates'),
  title: z.string().optional().describe('run name'),
});

export type LoadTestInput = z.output<typeof loadTestInputSchema>;
export type LoadTestRawInput = z.input<typeof loadTestInputSchema>;

export const latencySchema = z.object({
  min: z.number(),
  mean: z.number(),
  p50: z.number(),
  p90: z.number(),
  p95: z.number(),
  p99: z.number(),
  p999: z.number(),
  max: z.number(),
});

const cacheSchema = z.object({
  responses: z.number().describe('responses whose headers were inspected'),
  withCacheControl: z.number().describe('share (0–1) carrying Cache-Control'),
  cacheable: z.number().describe('share with Cache-Control allowing a shared cache (public/max-age/s-maxage, not no-store/private/no-cache)'),
  withEtag: z.number(),
  withLastModified: z.number(),
  hitRatio: z.number().nullable().describe('hits / (hits + misses) from X-Cache, CF-Cache-Status, X-Cache-Status or Age; null when no such header'),
});

export const loadTestOutputSchema = z.object({
  passed: z.boolean().describe('every threshold held and the run was not aborted'),
  aborted: z.boolean().describe('stopped early (cancellation or abortOnFail); numbers cover the part that ran'),
  abortReason: z.string().optional(),
  model: z.enum(['open', 'closed']),
  engine: z.string().describe('which client sent the requests'),
  durationS: z.number(),
  requests: z.object({
    total: z.number(),
    succeeded: z.number(),
    failed: z.number(),
    dropped: z.number().describe('open model: arrivals not started because every in-flight slot was busy (k6 dropped_iterations)'),
  }),
  throughputRps: z.number(),
  latencyMs: latencySchema.describe('open model: from the scheduled send time; closed model: from the actual send time'),
  errors: z.array(z.object({ kind: z.string(), status: z.number().optional(), count: z.number(), example: z.string().optional() })),
  checks: z.array(z.object({ name: z.string(), passes: z.number(), fails: z.number() })),
  thresholds: z.array(
    z.object({
      metric: z.string(),
      expression: z.string(),
      actual: z.number().nullable(),
      ok: z.boolean(),
      abortOnFail: z.boolean().optional(),
      source: z
        .enum(['user', 'config', 'default'])
        .optional()
        .describe('where it came from: the call (or k6 script), .perf/config.json targets, or a built-in default'),
    }),
  ),
  endpoints: z.array(
    z.object({
      name: z.string(),
      method: z.string(),
      url: z.string(),
      requests: z.number(),
      failed: z.number(),
      throughputRps: z.number(),
      latencyMs: latencySchema,
      errorRate: z.number(),
      cache: cacheSchema,
    }),
  ),
  timeline: z.array(
    z.object({
      t: z.number().describe('second since start'),
      rps: z.number(),
      p50: z.number(),
      p99: z.number(),
      errors: z.number(),
      active: z.number().describe('closed: virtual users; open: requests in flight'),
      target: z.number().optional().describe('scheduled connections or rate at that second'),
      dropped: z.number().optional(),
    }),
  ),
  generator: z.object({
    workers: z.number(),
    eventLoopLagP99Ms: z.number().describe('worst generator thread'),
    eventLoopUtilization: z.number().describe('busiest generator thread, 0–1'),
    cpuPct: z.number().describe('process CPU, 100 = one core'),
    peakRssMb: z.number(),
  }),
  closedModel: z
    .object({
      state: z
        .enum(['saturated', 'stalled', 'not saturated'])
        .describe('saturated: users queue behind each other (throughput at its ceiling); stalled: requests stopped completing for whole seconds'),
      users: z.number().describe('virtual users (time average with stages)'),
      throughputRps: z.number(),
      usersOverThroughputMs: z.number().describe("Little's law: users ÷ throughput, the mean latency a closed model without pauses must show"),
      meanLatencyMs: z.number().describe('the mean latency measured; agrees with usersOverThroughputMs unless the client added time'),
      littleAgrees: z.boolean(),
      fastestMs: z.number().describe('the fastest request: an upper bound on the work of one request without queueing'),
      stalledSeconds: z.number().optional(),
      suggestedRate: z.number().describe('an arrival rate (req/s) for an open-model re-run'),
      advice: z.string().describe('how to turn users into an arrival rate with think time'),
    })
    .optional()
    .describe("closed model: whether the latency measured the users' own queue (Little's law) or the server"),
  warnings: z.array(z.string()),
  // k6 scripts (`script`): iterations, VUs, groups and the script's own metrics.
  iterations: z.object({ total: z.number(), dropped: z.number() }).optional().describe('k6 script: completed iterations; dropped_iterations'),
  vusMax: z.number().optional().describe('k6 script: most VUs initialised'),
  groups: z
    .array(
      z.object({
        name: z.string(),
        path: z.string().describe('k6 group path, e.g. "::checkout::pay" (the `group` tag); "" = outside any group'),
        requests: z.number(),
        latencyMs: latencySchema,
        checks: z.object({ passes: z.number(), fails: z.number() }),
      }),
    )
    .optional()
    .describe('k6 script: per group()'),
  metrics: z
    .record(z.string(), z.object({ type: z.string(), values: z.record(z.string(), z.number()) }))
    .optional()
    .describe("k6 script: the script's custom metrics (Counter/Gauge/Rate/Trend)"),
  artifacts: z.object({
    dir: z.string(),
    result: z.string(),
    report: z.string(),
    k6Summary: z.string(),
    k6Script: z.string(),
    handleSummary: z.array(z.string()).optional().describe("k6 script: files written from handleSummary()'s return"),
  }),
});

export type LoadTestOutput = z.output<typeof loadTestOutputSchema>;
export type LatencySummary = z.output<typeof latencySchema>;
