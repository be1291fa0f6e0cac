import { z } from 'zod';

/**
 * Input and output contract of `run_load_test` (MCP) and `perfeng load` (CLI).
 * Imported at server start: zod only, nothing heavy. Field names are relied on by
 * `profile_process` (load while profiling), `perfeng demo` and `compare_benchmarks`.
 */

const durationText = z.union([z.string(), z.number().nonnegative()]).describe('k6-style duration: "500ms", "10s", "2m", "1m30s" (a bare number is seconds)');

const headersSchema = z.record(z.string(), z.string()).describe('request headers, e.g. {"authorization": "Bearer …"}');

export const expectSchema = z
  .object({
    status: z
      .union([z.number().int(), z.array(z.number().int())])
      .optional()
      .describe('expected status code(s); anything else counts as a failed request. Default: 200–399 pass (k6 http_req_failed)'),
    bodyIncludes: z.string().optional().describe('a check: the response body must contain this text'),
    maxLatencyMs: z.number().positive().optional().describe('a check: each response must arrive within this many ms'),
  })
  .describe('per-request checks (reported under `checks`; a status outside `status` also counts as failed)');

export const requestSpecSchema = z.object({
  name: z.string().optional().describe('label used in the per-endpoint table and thresholds (default "METHOD /path")'),
  method: z.string().optional().describe('HTTP method (default GET)'),
  url: z.string().describe('full URL, e.g. http://127.0.0.1:3000/api/items'),
  headers: headersSchema.optional(),
  body: z.string().optional().describe('request body sent as-is (set content-type in headers)'),
  weight: z.number().positive().optional().describe('relative share in the mix (default 1); ignored with sequence'),
  expect: expectSchema.optional(),
});

export const stageSchema = z.object({
  duration: durationText,
  target: z.number().nonnegative().describe('connections (closed model) or requests/s (open model) reached at the end of this stage'),
});

export const thresholdEntrySchema = z.union([
  z.string(),
  z.object({
    threshold: z.string().describe('e.g. "p(95)<500"'),
    abortOnFail: z.boolean().optional().describe('stop the run as soon as this threshold fails'),
    delayAbortEval: durationText.optional().describe('do not abort before this much of the run has passed'),
  }),
]);

export const loadTestInputSchema = z.object({
  script: z.string().optional().describe('a k6 script to run instead of url/requests (path relative to the project)'),
  env: z.record(z.string(), z.string()).optional().describe('with `script`: the script\'s __ENV, e.g. {"BASE_URL": "http://127.0.0.1:3000"}'),
  vus: z.number().int().positive().optional().describe('with `script`: k6 --vus'),
  iterations: z.number().int().positive().optional().describe('with `script`: k6 --iterations'),
  url: z.string().optional().describe('shorthand for a single request: the URL to load (use `requests` for a mix)'),
  method: z.string().default('GET').describe('HTTP method for `url`'),
  headers: headersSchema.optional().describe('headers for `url`'),
  body: z.string().optional().describe('body for `url`'),
  expect: expectSchema.optional().describe('checks for `url`'),
  requests: z
    .array(requestSpecSchema)
    .min(1)
    .optional()
    .describe('several requests: a weighted random mix, or with `sequence: true` a journey each virtual user runs in order'),
  sequence: z.boolean().default(false).describe('run `requests` in order per virtual user instead of a weighted mix'),
  connections: z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      'closed model: virtual users, each with one request in flight (default 10). With `rate`: the cap on requests in flight (default: rate × timeout, at most 1000); arrivals beyond it are counted as dropped',
    ),
  rate: z
    .number()
    .positive()
    .optional()
    .describe('open model: arrival rate in requests/s. Latency is measured from the scheduled send time (no coordinated omission). Omit for the closed model'),
  duration: durationText.optional().describe('how long to send load (default 10s; ignored with `stages`; with `script`: k6 --duration)'),
  stages: z
    .array(stageSchema)
    .min(1)
    .optional()
    .describe('k6-style linear ramps; target = connections (closed) or rate (open, starts at 0). Overrides `duration`'),
  thresholds: z
    .record(z.string(), z.array(thresholdEntrySchema))
    .optional()
    .describe(
      'k6 thresholds: {"http_req_duration": ["p(95)<500", "avg<200"], "http_req_failed": ["rate<0.01"], "http_reqs": ["rate>1000"], "checks": ["rate>0.99"]}; a metric may be tagged: "http_req_duration{name:login}". Default: the targets in .perf/config.json',
    ),
  timeoutMs: z.number().int().positive().default(10_000).describe('per-request timeout'),
  warmup: durationText.optional().describe('send load for this long first without recording it (JIT, caches, pools)'),
  pipelining: z.number().int().min(1).max(256).default(1).describe('HTTP/1.1 requests in flight per connection'),
  http2: z.boolean().default(false).describe('use HTTP/2 (h2 over TLS, or h2c prior knowledge on http://)'),
  workers: z.number().int().min(1).max(64).optional().describe('generator threads (default: one per core when the load needs it, else 1)'),
  engine: z
    .enum(['auto', 'fast', 'undici'])
    .default('auto')
    .describe('auto: raw-socket HTTP/1.1 fast path for plain http://, undici for TLS/HTTP/2; "undici" forces undici'),
  insecureTls: z.boolean().default(false).describe('accept self-signed TLS certificates (local https servers)'),
  title: z.string().optional().describe('a name for the run folder and report'),
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
    z.object({ metric: z.string(), expression: z.string(), actual: z.number().nullable(), ok: z.boolean(), abortOnFail: z.boolean().optional() }),
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
