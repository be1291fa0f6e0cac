import { z } from 'zod';

/**
 * compare_benchmarks contract. Imported at server start: zod only, nothing heavy.
 * Format ids are listed here literally (the parsers are loaded lazily).
 */
export const COMPARE_FORMATS = [
  'auto',
  'perfeng-load',
  'k6',
  'autocannon',
  'hyperfine',
  'go-bench',
  'google-benchmark',
  'pytest-benchmark',
  'pyperf',
  'vitest-bench',
  'tinybench',
  'csv',
] as const;

const inlineBenchmarkSchema = z.object({
  name: z.string().min(1),
  unit: z.string().min(1).optional().describe('"ms", "ns/op", "req/s"…'),
  samples: z.array(z.number().finite()).min(1),
});

const sourceSchema = z.union([
  z.string().min(1).describe('file, glob, run id, "latest:load" or "baseline:NAME"'),
  z.array(inlineBenchmarkSchema).min(1).describe('inline samples'),
]);

// Descriptions are terse on purpose: tools/list is paid for in every conversation (issue 14).
export const compareInputSchema = z.object({
  baseline: sourceSchema.optional().describe('the old side'),
  candidate: sourceSchema.optional().describe('the new side'),
  inputs: z.array(sourceSchema).min(1).max(20).optional().describe('or: several, each against the first; "label=path" names one'),
  format: z.enum(COMPARE_FORMATS).default('auto'),
  alpha: z.number().gt(0).lt(1).optional().describe('default 0.05'),
  confidence: z.number().gt(0).lt(1).default(0.95),
  correction: z.enum(['none', 'holm', 'bh']).default('holm'),
  noiseFloorPct: z.number().min(0).max(100).optional().describe('smaller significant changes count as "same" (default 1)'),
  equivalencePct: z.number().gt(0).max(100).default(5),
  failOn: z.string().optional().describe('CI gate, e.g. "regression>5%", "any-regression", "p95>500ms", "rps<1000"'),
  filter: z.string().optional().describe('name text, /regex/ or a benchstat -filter query'),
  row: z.string().optional().describe('benchstat -row'),
  col: z.string().optional().describe('benchstat -col'),
  table: z.string().optional().describe('benchstat -table'),
  ignore: z.string().optional().describe('benchstat -ignore'),
  limit: z.number().int().min(1).max(1000).default(5).describe('rows returned, regressions first'),
  run: z
    .object({
      baseline: z.string().min(1).describe('command'),
      candidate: z.string().min(1).describe('command'),
      runs: z.number().int().min(2).max(1000).default(10),
      warmup: z.number().int().min(0).max(100).default(1),
      timeoutS: z.number().positive().max(3600).default(120),
      cwd: z.string().optional(),
    })
    .optional()
    .describe('time two commands here, interleaved, and compare them'),
});

const sideSchema = z.object({
  median: z.number().nullable().describe('median (or mean when the format gives only a mean) in the row unit; null on the side a one-sided row lacks'),
  ciLow: z.number().nullable().describe('confidence interval of the median; null when there are too few samples'),
  ciHigh: z.number().nullable(),
  n: z.number().int().describe('number of samples (requests for load-test latency)'),
  center: z.enum(['median', 'mean', 'percentile']),
});

export const compareRowSchema = z.object({
  name: z.string(),
  unit: z.string(),
  direction: z.enum(['lower-is-better', 'higher-is-better']),
  against: z.string().describe('the candidate input this row compares with the baseline'),
  baseline: sideSchema,
  candidate: sideSchema,
  deltaPct: z.number().nullable().describe('(candidate − baseline) / baseline in %, from the medians'),
  pValue: z.number().nullable().describe('two-sided p-value before correction; null when no test was possible'),
  pAdjusted: z.number().nullable(),
  test: z.enum(['mann-whitney-exact', 'mann-whitney-exact-ties', 'mann-whitney-normal', 'exact', 'welch', 'quantile-ci', 'none']),
  effectSize: z.object({
    cliffsDelta: z.number().nullable().describe('P(candidate > baseline) − P(candidate < baseline)'),
    magnitude: z.enum(['negligible', 'small', 'medium', 'large']).nullable(),
    shift: z.number().nullable().describe('Hodges-Lehmann shift (candidate − baseline), or difference of means (Welch)'),
    shiftLow: z.number().nullable(),
    shiftHigh: z.number().nullable(),
  }),
  significant: z.boolean(),
  verdict: z.enum(['faster', 'slower', 'same', 'inconclusive']),
  onlyIn: z.enum(['baseline', 'candidate']).optional().describe('the benchmark exists on this side only; nothing compared'),
  table: z.string().optional().describe('configuration lines the row was measured under (Go `key: value`), when the input has them'),
});

export const geomeanSchema = z.object({
  unit: z.string(),
  against: z.string(),
  deltaPct: z.number().nullable().describe('geomean of candidate/baseline ratios − 1, in % (benchstat; not oriented)'),
  worsePct: z.number().nullable().describe('the same, oriented so that positive = worse'),
  rows: z.number().int(),
  table: z.string().optional(),
});

export const compareOutputSchema = z.object({
  verdict: z.string().describe('one line: the overall result'),
  rows: z.array(compareRowSchema),
  rowsTotal: z.number().int(),
  counts: z.object({ faster: z.number().int(), slower: z.number().int(), same: z.number().int(), inconclusive: z.number().int() }),
  geomeans: z.array(geomeanSchema).describe('one geomean per unit and candidate (benchstat)'),
  geomeanDeltaPct: z.number().nullable().describe('when all rows share one unit: geomean change oriented so that positive = worse; else null (see geomeans)'),
  method: z.string().describe('the tests used and where they differ from benchstat'),
  alpha: z.number(),
  correction: z.enum(['none', 'holm', 'bh']),
  inputs: z.array(z.object({ source: z.string(), format: z.string(), benchmarks: z.number().int() })),
  gate: z.object({ failOn: z.string().nullable(), failed: z.boolean(), reasons: z.array(z.string()) }),
  warnings: z.array(z.string()),
  artifacts: z.object({ dir: z.string(), report: z.string(), result: z.string(), markdown: z.string(), table: z.string(), csv: z.string() }),
});

export type CompareInput = z.output<typeof compareInputSchema>;
export type CompareRow = z.output<typeof compareRowSchema>;
export type CompareOutput = z.output<typeof compareOutputSchema>;
