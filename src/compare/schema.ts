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
  name: z.string().min(1).describe('benchmark name; rows are matched across inputs by name (and unit)'),
  unit: z.string().min(1).optional().describe('unit of the samples, e.g. "ms", "ns/op", "req/s" (default "value"); throughput units are higher-is-better'),
  samples: z.array(z.number().finite()).min(1).describe('one value per run/repetition'),
});

const sourceSchema = z.union([
  z
    .string()
    .min(1)
    .describe('a file path or glob (relative to the project), a .perf/runs id, "latest", "latest:<kind>" (e.g. "latest:load") or "baseline:<name>"'),
  z.array(inlineBenchmarkSchema).min(1).describe('inline samples'),
]);

export const compareInputSchema = z.object({
  baseline: sourceSchema.optional().describe('what the candidate is compared against (the "old" side)'),
  candidate: sourceSchema.optional().describe('the new measurements'),
  inputs: z
    .array(sourceSchema)
    .min(1)
    .max(20)
    .optional()
    .describe('instead of baseline/candidate: inputs, each compared against the first; "label=path" names one'),
  format: z.enum(COMPARE_FORMATS).default('auto').describe('input format; "auto" detects it per file'),
  alpha: z.number().gt(0).lt(1).optional().describe('significance level after correction (default 0.05, or .perf/config.json compare.alpha)'),
  confidence: z.number().gt(0).lt(1).default(0.95).describe('confidence level of the median and shift intervals'),
  correction: z
    .enum(['none', 'holm', 'bh'])
    .default('holm')
    .describe('multiple-comparison correction across rows: Holm (family-wise, default), Benjamini-Hochberg (false discovery rate) or none'),
  noiseFloorPct: z
    .number()
    .min(0)
    .max(100)
    .optional()
    .describe('a significant change smaller than this |%| is reported as "same" (default 1, or config compare.noiseFloorPct)'),
  equivalencePct: z
    .number()
    .gt(0)
    .max(100)
    .default(5)
    .describe('a non-significant row is "same" when its shift confidence interval lies within ±this % of the baseline, else "inconclusive"'),
  failOn: z
    .string()
    .optional()
    .describe(
      'CI gate, comma-separated clauses: "regression>5%", "any-regression", "geomean>2%", "p95>500ms", "p99>1s", "mean>20ms", "rps<1000" (default: config compare.failOn; none = never fails)',
    ),
  filter: z.string().optional().describe('name contains text or matches /regex/; or a benchstat -filter query (goos:linux -/size:1k .unit:B/op)'),
  row: z.string().optional().describe('benchstat -row keys'),
  col: z.string().optional().describe('benchstat -col keys, e.g. "/format" or "note" to compare within one file'),
  table: z.string().optional().describe('benchstat -table keys'),
  ignore: z.string().optional().describe('benchstat -ignore keys, e.g. "note"'),
  limit: z.number().int().min(1).max(1000).default(5).describe('rows returned (regressions first); the artefact holds all of them'),
  run: z
    .object({
      baseline: z
        .string()
        .min(1)
        .describe('command for the baseline: plain commands run directly (like hyperfine -N), anything with shell syntax under /bin/sh -c'),
      candidate: z.string().min(1).describe('shell command for the candidate'),
      runs: z.number().int().min(2).max(1000).default(10).describe('measured runs per side'),
      warmup: z.number().int().min(0).max(100).default(1).describe('unmeasured runs per side first'),
      timeoutS: z.number().positive().max(3600).default(120).describe('per-run time limit'),
      cwd: z.string().optional().describe('working directory (default: the project)'),
    })
    .optional()
    .describe('measure two commands here, interleaved A B A B, and compare their wall times'),
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
