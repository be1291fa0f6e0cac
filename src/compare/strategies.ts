import { defined } from '../common/errors.js';
import { distributionFromCounts, distributionFromSamples, mean, orderStatistic, quantile, standardDeviation, type Distribution } from './stats/distribution.js';
import { cliffsDelta, describeCliffsDelta, hodgesLehmann } from './stats/effect-size.js';
import { mannWhitneyU, rankStatistics, samplesNeededForAlpha } from './stats/mann-whitney.js';
import { medianCI, quantileOrderInterval, samplesNeededForMedianCI } from './stats/median-ci.js';
import { BIMODALITY_THRESHOLD, bimodalityCoefficient, coefficientOfVariation, countMadOutliers } from './stats/noise.js';
import { welchTTest } from './stats/welch.js';
import { unitFactor, type Benchmark, type SummaryOnly } from './model.js';
import type { AnalysedRow, AnalyseOptions, Footnotes3 } from './analyse.js';

/**
 * How one matched pair of benchmarks (baseline row, candidate row) is compared: a table of
 * small rules, like the query plan rules and hooks/tool-advice.ts. The first rule that applies
 * computes the row's statistics (`compare`); once analyse.ts has corrected the p-values across
 * all rows, the same rule decides the row's significance and verdict (`decide`).
 *
 *   rule          applies when                                   row.test
 *   quantile-ci   both sides have samples, a percentile row      quantile-ci
 *   exact         both sides have samples, `assume=exact` unit   exact
 *   rank          both sides have samples                        mann-whitney-*
 *   summary       otherwise (one side has a summary only)        welch, or none
 */
interface RowPair {
  base: Benchmark;
  cand: Benchmark;
  /** Baseline samples (values or histogram), in the baseline's unit. */
  b?: Distribution;
  /** Candidate samples converted to the baseline's unit. */
  c?: Distribution;
  /** Candidate unit → baseline unit. */
  factor: number;
  against: string;
  options: AnalyseOptions;
  warnings: string[];
  notes: FootnoteSink;
}

/** Both sides have samples. */
interface SampledPair extends RowPair {
  b: Distribution;
  c: Distribution;
}

/** benchstat's footnotes, collected once per message with the rows they apply to (analyse.ts). */
interface FootnoteSink {
  add(message: string, row: string): void;
}

/** What a rule's compare() computes for one row. */
interface Comparison {
  row: AnalysedRow;
  /** Relative CI of the shift, in %, for the same/inconclusive decision. */
  shiftPct?: [number, number];
  /** The U test's p was above α only because the samples are too few (benchstat's "need >= 4 samples"). */
  tooFewForTest?: boolean;
  quantileSeparated?: boolean;
}

/** A compared row waiting for its verdict, with the rule that compared it. */
export interface RowDraft extends Comparison {
  rule: RowRule<RowPair>;
}

interface RowRule<P extends RowPair> {
  applies(pair: RowPair): pair is P;
  /** undefined: nothing comparable (analyse.ts warns). */
  compare(pair: P): Comparison | undefined;
  /** Significance and verdict, once the corrected p-values are known. */
  decide(draft: Comparison, options: AnalyseOptions, notes: FootnoteSink): void;
}

/** benchstat rejects the null hypothesis when p ≤ α (benchmath Comparison.FormatDelta prints "~" only for p > α). */
function testedSignificance(row: AnalysedRow, options: AnalyseOptions): void {
  if (row.pAdjusted !== null) row.significant = row.pAdjusted <= options.alpha;
}

/** A real change: "same" inside the noise floor, else slower or faster by the row's direction. */
function changeVerdict(row: AnalysedRow, options: AnalyseOptions): AnalysedRow['verdict'] {
  const beyondNoise = row.deltaPct !== null && Math.abs(row.deltaPct) >= options.noiseFloorPct;
  if (!beyondNoise || row.deltaPct === null) return 'same';
  const worse = row.direction === 'lower-is-better' ? row.deltaPct > 0 : row.deltaPct < 0;
  return worse ? 'slower' : 'faster';
}

/** Significant: the change decides; not: "same" when the shift's CI lies within ±equivalencePct, else inconclusive. */
function verdictByTest(draft: Comparison, options: AnalyseOptions): void {
  const { row, shiftPct } = draft;
  if (row.significant) row.verdict = changeVerdict(row, options);
  else row.verdict = shiftPct !== undefined && shiftPct[0] >= -options.equivalencePct && shiftPct[1] <= options.equivalencePct ? 'same' : 'inconclusive';
}

const sampled = (pair: RowPair): pair is SampledPair => pair.b !== undefined && pair.c !== undefined;

export const finiteOrNull = (x: number | undefined): number | null => (x === undefined || !Number.isFinite(x) ? null : x);

export function distributionOf(b: Benchmark, factor: number): Distribution | undefined {
  if (b.values?.length) return distributionFromSamples(factor === 1 ? b.values : b.values.map((v) => v * factor));
  if (b.histogram?.length) return distributionFromCounts(factor === 1 ? b.histogram : b.histogram.map(([v, c]) => [v * factor, c] as [number, number]));
  return undefined;
}

const noEffect = { cliffsDelta: null, magnitude: null, shift: null, shiftLow: null, shiftHigh: null };

function rowBase({ base, against }: RowPair) {
  return { name: base.name, unit: base.unit, direction: base.direction, against };
}

/**
 * Order-statistic CI for quantile q (the median CI generalised): Bin(n, q) bounds the count
 * below the population quantile; normal approximation for large n, exact central interval
 * otherwise. A percentile row counts as significant when the two intervals do not overlap —
 * a conservative test (for equal widths about α = 0.006 at 95 %: Schenker & Gentleman 2001,
 * "On judging the significance of differences by examining the overlap between confidence
 * intervals"); these rows carry no p-value and are outside the Holm family.
 */
function quantileCI(d: Distribution, q: number, confidence: number): { value: number; low: number; high: number } {
  const n = d.n;
  const value = orderStatistic(d, Math.max(1, Math.ceil(q * n)));
  const { lowOrder, highOrder } = quantileOrderInterval(n, q, confidence);
  return {
    value,
    low: lowOrder < 1 ? -Infinity : orderStatistic(d, lowOrder),
    high: highOrder > n ? Infinity : orderStatistic(d, highOrder),
  };
}

/** A percentile row (p95 of a load run) with samples on both sides: do the two CIs overlap? */
const quantileRule: RowRule<SampledPair & { base: { percentileOf: number } }> = {
  applies: (pair): pair is SampledPair & { base: { percentileOf: number } } => sampled(pair) && pair.base.percentileOf !== undefined,
  compare(pair) {
    const { b, c, options } = pair;
    const q = pair.base.percentileOf;
    const bq = quantileCI(b, q, options.confidence);
    const cq = quantileCI(c, q, options.confidence);
    const deltaPct = bq.value !== 0 ? ((cq.value - bq.value) / bq.value) * 100 : null;
    const separated = cq.low > bq.high || cq.high < bq.low;
    return {
      row: {
        ...rowBase(pair),
        baseline: { median: bq.value, ciLow: finiteOrNull(bq.low), ciHigh: finiteOrNull(bq.high), n: b.n, center: 'percentile' },
        candidate: { median: cq.value, ciLow: finiteOrNull(cq.low), ciHigh: finiteOrNull(cq.high), n: c.n, center: 'percentile' },
        deltaPct,
        pValue: null,
        pAdjusted: null,
        test: 'quantile-ci',
        effectSize: { ...noEffect, shift: cq.value - bq.value, shiftLow: finiteOrNull(cq.low - bq.high), shiftHigh: finiteOrNull(cq.high - bq.low) },
        significant: separated,
        verdict: 'inconclusive',
        primary: false,
        candidateDistribution: c,
        untested: false,
      },
      shiftPct: bq.value !== 0 ? [((cq.low - bq.high) / bq.value) * 100, ((cq.high - bq.low) / bq.value) * 100] : undefined,
      quantileSeparated: separated,
    };
  },
  decide(draft, options) {
    draft.row.significant = draft.quantileSeparated === true;
    verdictByTest(draft, options);
  },
};

/** benchmath AssumeExact.Summary: the mode, with the range as its "interval"; warns when values differ. */
function exactSummary(d: Distribution, label: string, side: string, notes: FootnoteSink, cell: string[]): { center: number; low: number; high: number } {
  let mode = 0;
  let modeCount = 0;
  d.counts.forEach((count, i) => {
    if (i === 0 || count > modeCount) [mode, modeCount] = [i, count];
  });
  const low = defined(d.values[0], 'smallest exact value');
  const high = defined(d.values.at(-1), 'largest exact value');
  if (low !== high) {
    notes.add(`exact distribution expected, but values range from ${low} to ${high} (${side})`, label);
    cell.push(`exact distribution expected, but values range from ${low} to ${high}`);
  }
  return { center: defined(d.values[mode], 'most frequent exact value'), low, high };
}

/**
 * benchfmt `Unit … assume=exact`: the value is exact (a binary size), no test needed;
 * benchstat reports any difference as real and warns when the samples vary.
 */
const exactRule: RowRule<SampledPair> = {
  applies: (pair): pair is SampledPair => sampled(pair) && (pair.base.assume === 'exact' || pair.cand.assume === 'exact'),
  compare(pair) {
    const { b, c, notes } = pair;
    const label = pair.base.name;
    const footnotes: Footnotes3 = { baseline: [], candidate: [], comparison: [] };
    const bs = exactSummary(b, label, 'baseline', notes, footnotes.baseline);
    const cs = exactSummary(c, label, 'candidate', notes, footnotes.candidate);
    const deltaPct = bs.center === cs.center ? 0 : bs.center !== 0 ? ((cs.center - bs.center) / Math.abs(bs.center)) * 100 : null;
    return {
      row: {
        ...rowBase(pair),
        baseline: { median: bs.center, ciLow: bs.low, ciHigh: bs.high, n: b.n, center: 'median' },
        candidate: { median: cs.center, ciLow: cs.low, ciHigh: cs.high, n: c.n, center: 'median' },
        deltaPct,
        pValue: null,
        pAdjusted: null,
        test: 'exact',
        effectSize: noEffect,
        // benchmath AssumeExact.Compare: p = 0, every difference (or its absence) is certain.
        significant: true,
        verdict: 'inconclusive',
        primary: pair.base.percentileOf === undefined,
        candidateDistribution: c,
        untested: false,
        footnotes,
      },
    };
  },
  decide({ row }, options) {
    testedSignificance(row, options);
    row.verdict = row.deltaPct === 0 ? 'same' : changeVerdict(row, options);
  },
};

function noiseWarnings(label: string, b: Distribution, c: Distribution, warnings: string[]): void {
  for (const [side, d] of [
    ['baseline', b],
    ['candidate', c],
  ] as const) {
    const problems: string[] = [];
    const cv = coefficientOfVariation(d);
    if (cv > 0.05) problems.push(`noisy: coefficient of variation ${(cv * 100).toFixed(1)}% (> 5%)`);
    const outliers = countMadOutliers(d);
    if (outliers > 0) problems.push(`${outliers} of ${d.n} samples are outliers (MAD modified z-score > 3.5)`);
    const bc = bimodalityCoefficient(d);
    if (bc > BIMODALITY_THRESHOLD)
      problems.push(`looks bimodal (bimodality coefficient ${bc.toFixed(2)} > 0.555: two behaviours mixed, e.g. CPU frequency or GC)`);
    if (problems.length) warnings.push(`${label} (${side}): ${problems.join('; ')}`);
  }
}

/** Samples on both sides: medians with CIs and the Mann-Whitney U test, as benchstat. */
const rankRule: RowRule<SampledPair> = {
  applies: sampled,
  compare(pair) {
    const { base, cand, b, c, options, notes } = pair;
    const label = base.name;
    const bci = medianCI(b, options.confidence);
    const cci = medianCI(c, options.confidence);
    const needed = samplesNeededForMedianCI(options.confidence);
    const footnotes: Footnotes3 = { baseline: [], candidate: [], comparison: [] };
    const ciNote = `need ${needed.atLeast ? '>=' : '>'} ${needed.n} samples for confidence interval at level ${options.confidence}`;
    if (!Number.isFinite(bci.low) || !Number.isFinite(bci.high)) footnotes.baseline.push(ciNote);
    if (!Number.isFinite(cci.low) || !Number.isFinite(cci.high)) footnotes.candidate.push(ciNote);
    if (footnotes.baseline.length || footnotes.candidate.length) notes.add(ciNote, label);
    const mw = mannWhitneyU(b, c);
    if (mw.allEqual) {
      notes.add('all samples are equal', label);
      footnotes.comparison.push('all samples are equal');
    }
    const { tieSum } = rankStatistics(b, c);
    const hl = hodgesLehmann(b, c, options.confidence, tieSum);
    const delta = cliffsDelta(b, c);
    // benchstat: equal centres are a 0 % change, whatever their sign.
    const deltaPct = bci.median === cci.median ? 0 : bci.median !== 0 ? ((cci.median - bci.median) / Math.abs(bci.median)) * 100 : null;
    if (base.values && cand.values) noiseWarnings(label, b, c, pair.warnings);
    const need = samplesNeededForAlpha(options.alpha);
    return {
      row: {
        ...rowBase(pair),
        baseline: { median: bci.median, ciLow: finiteOrNull(bci.low), ciHigh: finiteOrNull(bci.high), n: b.n, center: 'median' },
        candidate: { median: cci.median, ciLow: finiteOrNull(cci.low), ciHigh: finiteOrNull(cci.high), n: c.n, center: 'median' },
        deltaPct,
        pValue: mw.pValue,
        pAdjusted: mw.pValue,
        test: mw.method === 'exact' ? 'mann-whitney-exact' : mw.method === 'exact-ties' ? 'mann-whitney-exact-ties' : 'mann-whitney-normal',
        effectSize: {
          cliffsDelta: delta,
          magnitude: describeCliffsDelta(delta),
          shift: hl ? hl.shift : null,
          shiftLow: hl ? finiteOrNull(hl.low) : null,
          shiftHigh: hl ? finiteOrNull(hl.high) : null,
        },
        significant: false,
        verdict: 'inconclusive',
        primary: base.percentileOf === undefined,
        candidateDistribution: c,
        untested: false,
        footnotes,
      },
      shiftPct: hl && bci.median !== 0 ? [(hl.low / Math.abs(bci.median)) * 100, (hl.high / Math.abs(bci.median)) * 100] : undefined,
      // benchstat warns only when both sides are below the n that could ever reach α.
      tooFewForTest: b.n < need.n && c.n < need.n,
    };
  },
  decide(draft, options, notes) {
    const { row } = draft;
    testedSignificance(row, options);
    verdictByTest(draft, options);
    if (!row.significant && draft.tooFewForTest && row.pValue !== null && row.pValue > options.alpha) {
      const need = samplesNeededForAlpha(options.alpha);
      const note = `need ${need.atLeast ? '>=' : '>'} ${need.n} samples to detect a difference at alpha level ${options.alpha}`;
      notes.add(note, row.name);
      row.footnotes?.comparison.push(note);
    }
  },
};

function scaleSummary(s: SummaryOnly | undefined, factor: number): SummaryOnly | undefined {
  if (!s || factor === 1) return s;
  const scale = (x: number | undefined) => (x === undefined ? undefined : x * factor);
  return {
    n: s.n,
    mean: scale(s.mean),
    sd: scale(s.sd),
    median: scale(s.median),
    min: scale(s.min),
    max: scale(s.max),
    percentiles: s.percentiles && Object.fromEntries(Object.entries(s.percentiles).map(([k, v]) => [k, v * factor])),
  };
}

function summaryFromDistribution(d: Distribution): SummaryOnly {
  return { n: d.n, mean: mean(d), sd: standardDeviation(d), median: quantile(d, 0.5) };
}

/** What Welch's t-test needs of one side: mean, standard deviation and at least 2 samples. */
function welchSide(s: SummaryOnly): { mean: number; sd: number; n: number } | undefined {
  return s.mean !== undefined && s.sd !== undefined && s.n !== undefined && s.n >= 2 ? { mean: s.mean, sd: s.sd, n: s.n } : undefined;
}

function emptySide(n: number) {
  return { median: Number.NaN, ciLow: null, ciHigh: null, n, center: 'median' as const };
}

/**
 * At least one side is summary-only (k6, autocannon, vitest): compare the medians (else the
 * means) that exist; Welch's t-test when both sides give mean, sd and n ≥ 2, else untested.
 */
const summaryRule: RowRule<RowPair> = {
  applies: (pair): pair is RowPair => true,
  compare(pair) {
    const { base, cand, b, c, options } = pair;
    const bs = base.summary ?? (b ? summaryFromDistribution(b) : undefined);
    const cs = scaleSummary(cand.summary, pair.factor) ?? (c ? summaryFromDistribution(c) : undefined);
    if (!bs || !cs) return undefined;
    const useMedian = bs.median !== undefined && cs.median !== undefined;
    const bCenter = useMedian ? bs.median : bs.mean;
    const cCenter = useMedian ? cs.median : cs.mean;
    if (bCenter === undefined || cCenter === undefined) return undefined;
    const deltaPct = bCenter !== 0 ? ((cCenter - bCenter) / Math.abs(bCenter)) * 100 : null;
    const bw = welchSide(bs);
    const cw = welchSide(cs);
    const welch = bw && cw ? welchTTest(bw, cw, options.confidence) : undefined;
    const center = base.percentileOf !== undefined ? ('percentile' as const) : useMedian ? ('median' as const) : ('mean' as const);
    const row: AnalysedRow = {
      ...rowBase(pair),
      baseline: { ...emptySide(bs.n ?? 0), median: bCenter, center },
      candidate: { ...emptySide(cs.n ?? 0), median: cCenter, center },
      deltaPct,
      pValue: welch ? welch.pValue : null,
      pAdjusted: welch ? welch.pValue : null,
      test: welch ? 'welch' : 'none',
      effectSize: welch && bw && cw ? { ...noEffect, shift: cw.mean - bw.mean, shiftLow: welch.low, shiftHigh: welch.high } : noEffect,
      significant: false,
      verdict: 'inconclusive',
      primary: base.percentileOf === undefined,
      candidateDistribution: c,
      candidateSummary: cs,
      untested: !welch,
    };
    const baseMean = bs.mean ?? bCenter;
    return { row, shiftPct: welch && baseMean !== 0 ? [(welch.low / Math.abs(baseMean)) * 100, (welch.high / Math.abs(baseMean)) * 100] : undefined };
  },
  decide(draft, options) {
    testedSignificance(draft.row, options);
    // No test (test "none"): nothing can be decided.
    if (draft.row.test === 'none') draft.row.verdict = 'inconclusive';
    else verdictByTest(draft, options);
  },
};

// A rule's compare() takes the narrowed pair its applies() admits: method parameters are
// checked bivariantly, so the narrower rules fit this list, and compareRow only calls compare()
// on a pair that applies() accepted.
const ROW_RULES: readonly RowRule<RowPair>[] = [quantileRule, exactRule, rankRule, summaryRule];

/** Compares one matched pair with the first rule that applies; undefined when nothing is comparable. */
export function compareRow(
  base: Benchmark,
  cand: Benchmark,
  against: string,
  options: AnalyseOptions,
  warnings: string[],
  notes: FootnoteSink,
): RowDraft | undefined {
  const factor = unitFactor(cand.unit, base.unit) ?? 1;
  const pair: RowPair = { base, cand, b: distributionOf(base, 1), c: distributionOf(cand, factor), factor, against, options, warnings, notes };
  const rule = defined(
    ROW_RULES.find((candidate) => candidate.applies(pair)),
    'a row rule (summary applies to every pair)',
  );
  const comparison = rule.compare(pair);
  return comparison && { ...comparison, rule };
}
