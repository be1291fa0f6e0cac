import { z } from 'zod';

/**
 * Input and output contract of `measure_web_vitals` (MCP) and `perfeng vitals` (CLI).
 * Imported at server start: zod only, nothing heavy.
 */

const interactionSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('click'), selector: z.string().min(1).describe('Playwright selector (CSS, text=…, role=…)') }),
  z.object({ action: z.literal('type'), selector: z.string().min(1), text: z.string().min(1).max(200) }),
  z.object({ action: z.literal('press'), selector: z.string().min(1), key: z.string().min(1).describe('e.g. "Enter"') }),
  z.object({ action: z.literal('hover'), selector: z.string().min(1) }),
  z.object({ action: z.literal('wait'), ms: z.number().int().min(0).max(30_000) }),
]);

const customThrottlingSchema = z.object({
  cpuSlowdown: z.number().min(1).max(20).default(1),
  latencyMs: z.number().min(0).max(10_000).default(0),
  downloadKbps: z.number().min(0).default(0).describe('0 = unlimited'),
  uploadKbps: z.number().min(0).default(0),
});

// Descriptions are terse on purpose: tools/list is paid for in every conversation (issue 14).
export const vitalsInputSchema = z.object({
  url: z.string().min(1).describe('loopback http(s) or file:// page'),
  runs: z.number().int().min(1).max(20).default(5).describe('cold loads; medians reported'),
  device: z.enum(['desktop', 'mobile']).default('desktop'),
  throttling: z
    .union([z.enum(['none', 'mobile-slow-4g']), customThrottlingSchema])
    .default('none')
    .describe('"mobile-slow-4g" = Lighthouse mobile (CPU ×4, slow 4G), or custom'),
  interactions: z.array(interactionSchema).max(50).default([]).describe('steps after load; INP is measured from them (else TBT)'),
  thresholds: z.array(z.string()).optional().describe('e.g. ["lcp<2500", "cls<=0.1", "inp<200", "bytes<1MB"]; default: config targets'),
  quietMs: z.number().int().min(0).max(10_000).default(1000),
  timeoutMs: z.number().int().min(1000).max(120_000).default(30_000).describe('per page load'),
  trace: z.boolean().default(true).describe('Chrome trace + filmstrip'),
  limit: z.number().int().min(1).max(100).default(10).describe('long tasks / layout shifts returned'),
  lighthouse: z.boolean().default(false).describe('also run Lighthouse: score and opportunities (+30-60 s)'),
  coverage: z.boolean().default(true).describe('unused JS/CSS bytes per file (1 extra load)'),
});

const metricSchema = z.object({
  median: z.number().describe('median over the runs that reported the metric'),
  min: z.number(),
  max: z.number(),
  values: z.array(z.number().nullable()).describe('one per run, in run order (null = not reported in that run)'),
});

const elementSchema = z.object({
  selector: z.string().describe('short CSS path of the element'),
  tag: z.string(),
  url: z.string().optional().describe('image/video URL for media elements'),
  text: z.string().optional().describe('first characters of the text for text elements'),
  size: z.number().optional().describe('rendered area in CSS px²'),
});

const coverageTotalSchema = z.object({
  files: z.number().int(),
  bytes: z.number().int(),
  unusedBytes: z.number().int(),
  unusedPercent: z.number(),
});

export const vitalsOutputSchema = z.object({
  url: z.string(),
  runs: z.number().int().describe('runs completed'),
  device: z.enum(['desktop', 'mobile']),
  throttling: z.object({
    profile: z.string(),
    cpuSlowdown: z.number(),
    latencyMs: z.number(),
    downloadKbps: z.number(),
    uploadKbps: z.number(),
  }),
  browser: z.string().describe('Chromium version used'),
  metrics: z.object({
    lcpMs: metricSchema.optional().describe('Largest Contentful Paint'),
    cls: metricSchema.describe('Cumulative Layout Shift (largest session window)'),
    inpMs: metricSchema.optional().describe('Interaction to Next Paint, only with interactions'),
    tbtMs: metricSchema.describe('Total Blocking Time from FCP until the page went quiet'),
    fcpMs: metricSchema.optional().describe('First Contentful Paint'),
    ttfbMs: metricSchema.describe('Time To First Byte of the main document'),
    loadMs: metricSchema.optional().describe('load event end'),
  }),
  lcpElement: elementSchema.nullable().describe('LCP element of the representative run'),
  representativeRun: z.number().int().describe('1-based run closest to the medians; its trace, filmstrip and long tasks are shown'),
  longTasks: z
    .array(
      z.object({
        startMs: z.number(),
        durationMs: z.number(),
        blockingMs: z.number().describe('part beyond 50 ms after FCP (what TBT adds up)'),
        source: z.string().optional().describe('script that ran longest in the frame (Long Animation Frames attribution)'),
      }),
    )
    .describe('longest long tasks of the representative run'),
  layoutShifts: z
    .array(z.object({ startMs: z.number(), value: z.number(), sources: z.array(z.string()) }))
    .describe('largest layout shifts of the representative run'),
  interactions: z
    .array(
      z.object({
        step: z.number().int().describe('1-based index in the input interactions'),
        action: z.string(),
        target: z.string(),
        latencyMs: z.number().nullable().describe("median over runs of the step's worst interaction latency; null = under the 16 ms Event Timing floor"),
        inputDelayMs: z.number().nullable(),
        processingMs: z.number().nullable(),
        presentationDelayMs: z.number().nullable(),
      }),
    )
    .describe('per scripted step (empty without interactions)'),
  resources: z.object({
    count: z.number().int().describe('requests of the representative run (data: URLs excluded)'),
    bytes: z.number().int().describe('bytes transferred on the wire (headers + encoded bodies)'),
    byType: z.record(z.string(), z.object({ count: z.number().int(), bytes: z.number().int() })),
    blocked: z.array(z.string()).describe('URLs blocked by the host allow-list'),
  }),
  thresholds: z.array(
    z.object({
      metric: z.string(),
      expression: z.string(),
      actual: z.number().nullable(),
      ok: z.boolean(),
    }),
  ),
  coverage: z
    .object({
      js: coverageTotalSchema,
      css: coverageTotalSchema,
      files: z.array(
        z.object({
          url: z.string(),
          type: z.enum(['js', 'css']),
          bytes: z.number().int(),
          unusedBytes: z.number().int(),
          unusedPercent: z.number(),
        }),
      ),
    })
    .optional(),
  lighthouse: z
    .object({
      performanceScore: z.number().nullable(),
      opportunities: z.array(
        z.object({
          id: z.string(),
          title: z.string(),
          savingsMs: z.number().optional(),
          savingsBytes: z.number().optional(),
          items: z.array(z.string()).optional(),
        }),
      ),
      diagnostics: z.array(z.object({ id: z.string(), title: z.string(), value: z.string() })),
      metrics: z.object({
        fcpMs: z.number().optional(),
        lcpMs: z.number().optional(),
        tbtMs: z.number().optional(),
        cls: z.number().optional(),
        speedIndexMs: z.number().optional(),
      }),
      note: z.string(),
      report: z.string(),
      lhr: z.string(),
    })
    .optional(),
  passed: z.boolean(),
  warnings: z.array(z.string()),
  artifacts: z.object({
    dir: z.string(),
    report: z.string(),
    result: z.string(),
    trace: z.string().optional().describe('Chrome trace of the representative run (DevTools → Performance → Load profile)'),
    traces: z.array(z.string()).describe('one trace per run'),
  }),
});

export type VitalsInput = z.output<typeof vitalsInputSchema>;
export type VitalsOutput = z.output<typeof vitalsOutputSchema>;
export type Interaction = z.output<typeof interactionSchema>;
export type MetricSummary = z.output<typeof metricSchema>;
export type ElementInfo = z.output<typeof elementSchema>;
