import { adjustPValues, type Correction } from './stats/correction.js';
import { distributionFromCounts, distributionFromSamples, mean, orderStatistic, quantile, standardDeviation, type Distribution } from './stats/distribution.js';
import { cliffsDelta, describeCliffsDelta, hodgesLehmann } from './stats/effect-size.js';
import { mannWhitneyU, rankStatistics, samplesNeededForAlpha } from './stats/mann-whitney.js';
import { medianCI, quantileOrderInterval, samplesNeededForMedianCI } from './stats/median-ci.js';
import { BIMODALITY_THRESHOLD, bimodalityCoefficient, coefficientOfVariation, countMadOutliers } from './stats/noise.js';
import { geometricMean } from './stats/geomean.js';
import { welchTTest } from './stats/welch.js';
import { unitFactor, type Benchmark, type SampleSet } from './model.js';
import type { CompareRow } from './schema.js';

export interface AnalyseOptions {
  alpha: number;
  confidence: number;
  correction: Correction;
  noiseFloorPct: number;
  equivalencePct: number;
}

/** A row plus what later stages need (the candidate distribution for absolute gates). */
export interface Footnotes3 {
  baseline: string[];
  candidate: string[];
  comparison: string[];
}

export interface AnalysedRow extends CompareRow {
  /** benchstat's footnotes for the row's cells (the text table prints them as ¹ ² …). */
  footnotes?: Footnotes3;
  /** Configuration table key (Go `key: value` lines) the row belongs to. */
  table?: string;
  /** Percentile rows and extra per-endpoint rows are not part of the geomean. */
  primary: boolean;
  candidateDistribution?: Distribution;
  candidateSummary?: Benchmark['summary'];
  untested: boolean;
}

/** One geometric mean per unit (and configuration table) and candidate, as benchstat prints them. */
export interface Geomean {
  unit: string;
  against: string;
  /** geomean(candidate/baseline centre ratios) − 1, in % (not oriented: +10 % sec/op is slower, +10 % B/s faster). */
  deltaPct: number | null;
  /** Same change oriented so that positive = worse, for the gate. */
  worsePct: number | null;
  /** Rows that entered the ratio. */
  rows: number;
  /** Configuration table when the input had several (Go `key: value` lines), e.g. "note=before". */
  table?: string;
}

export interface Analysis {
  rows: AnalysedRow[];
  warnings: string[];
  geomeans: Geomean[];
  /** The oriented geomean (positive = worse) when all compared rows share one unit, else null. */
  geomeanDeltaPct: number | null;
}

const finiteOrNull = (x: number | undefined): number | null => (x === undefined || !Number.isFinite(x) ? null : x);

function distributionOf(b: Benchmark, factor: number): Distribution | undefined {
  if (b.values?.length) return distributionFromSamples(factor === 1 ? b.values : b.values.map((v) => v * factor));
  if (b.histogram?.length) return distributionFromCounts(factor === 1 ? b.histogram : b.histogram.map(([v, c]) => [v * factor, c] as [number, number]));
  return undefined;
}

function scaleSummary(s: Benchmark['summary'], factor: number): Benchmark['summary'] {
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

/** Unit family used to match rows across inputs: convertible time units share one key. */
function unitKey(unit: string): string {
  if (unitFactor(unit, 's') !== undefined) return 'time';
  if (unitFactor(unit, 's/op') !== undefined) return 'time/op';
  return unit;
}

/** The configuration a row belongs to (benchstat's `.config` table key); '' for formats without one. */
export function configKey(b: Benchmark): string {
  return b.config
    ? Object.entries(b.config)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')
    : '';
}

function rowKey(b: Benchmark): string {
  return `${b.name}\u0000${unitKey(b.unit)}\u0000${b.percentileOf ?? ''}\u0000${configKey(b)}`;
}

/**
 * benchstat's footnotes, collected once per message with the rows they apply to, so 40 rows
 * with 5 samples give one warning, not 40.
 */
class Footnotes {
  private readonly byMessage = new Map<string, string[]>();
  add(message: string, row: string): void {
    const rows = this.byMessage.get(message) ?? [];
    if (!rows.includes(row)) rows.push(row);
    this.byMessage.set(message, rows);
  }
  list(): string[] {
    return [...this.byMessage].map(([message, rows]) => `${message}: ${rows.slice(0, 6).join(', ')}${rows.length > 6 ? ` and ${rows.length - 6} more` : ''}`);
  }
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

interface RowDraft {
  row: AnalysedRow;
  /** Relative CI of the shift, in %, for the same/inconclusive decision. */
  shiftPct?: [number, number];
  /** The U test's p was above α only because the samples are too few (benchstat's "need >= 4 samples"). */
  tooFewForTest?: boolean;
  quantileSeparated?: boolean;
}

function emptySide(n: number) {
  return { median: Number.NaN, ciLow: null, ciHigh: null, n, center: 'median' as const };
}

function analyseRow(base: Benchmark, cand: Benchmark, against: string, options: AnalyseOptions, warnings: string[], notes: Footnotes): RowDraft | undefined {
  const factor = unitFactor(cand.unit, base.unit) ?? 1;
  const label = base.name;
  const b = distributionOf(base, 1);
  const c = distributionOf(cand, factor);
  const primary = base.percentileOf === undefined;
  const rowBase = {
    name: base.name,
    unit: base.unit,
    direction: base.direction,
    against,
  };
  const noEffect = { cliffsDelta: null, magnitude: null, shift: null, shiftLow: null, shiftHigh: null };

  if (b && c && base.percentileOf !== undefined) {
    const q = base.percentileOf;
    const bq = quantileCI(b, q, options.confidence);
    const cq = quantileCI(c, q, options.confidence);
    const deltaPct = bq.value !== 0 ? ((cq.value - bq.value) / bq.value) * 100 : null;
    const separated = cq.low > bq.high || cq.high < bq.low;
    return {
      row: {
        ...rowBase,
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
  }

  if (b && c && (base.assume === 'exact' || cand.assume === 'exact')) {
    // benchfmt `Unit … assume=exact`: the value is exact (a binary size), no test needed;
    // benchstat reports any difference as real and warns when the samples vary.
    const footnotes: Footnotes3 = { baseline: [], candidate: [], comparison: [] };
    const bs = exactSummary(b, label, 'baseline', notes, footnotes.baseline);
    const cs = exactSummary(c, label, 'candidate', notes, footnotes.candidate);
    const deltaPct = bs.center === cs.center ? 0 : bs.center !== 0 ? ((cs.center - bs.center) / Math.abs(bs.center)) * 100 : null;
    return {
      row: {
        ...rowBase,
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
        primary,
        candidateDistribution: c,
        untested: false,
        footnotes,
      },
    };
  }

  if (b && c) {
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
    if (base.values && cand.values) noiseWarnings(label, b, c, warnings);
    const need = samplesNeededForAlpha(options.alpha);
    return {
      row: {
        ...rowBase,
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
        primary,
        candidateDistribution: c,
        untested: false,
        footnotes,
      },
      shiftPct: hl && bci.median !== 0 ? [(hl.low / Math.abs(bci.median)) * 100, (hl.high / Math.abs(bci.median)) * 100] : undefined,
      // benchstat warns only when both sides are below the n that could ever reach α.
      tooFewForTest: b.n < need.n && c.n < need.n,
    };
  }

  // At least one side is summary-only: compare what exists.
  const bs = base.summary ?? (b ? summaryFromDistribution(b) : undefined);
  const cs = scaleSummary(cand.summary, factor) ?? (c ? summaryFromDistribution(c) : undefined);
  if (!bs || !cs) return undefined;
  const useMedian = bs.median !== undefined && cs.median !== undefined;
  const bCenter = useMedian ? bs.median! : bs.mean;
  const cCenter = useMedian ? cs.median! : cs.mean;
  if (bCenter === undefined || cCenter === undefined) return undefined;
  const deltaPct = bCenter !== 0 ? ((cCenter - bCenter) / Math.abs(bCenter)) * 100 : null;
  const canWelch = bs.mean !== undefined && cs.mean !== undefined && bs.sd !== undefined && cs.sd !== undefined && (bs.n ?? 0) >= 2 && (cs.n ?? 0) >= 2;
  const welch = canWelch ? welchTTest({ mean: bs.mean!, sd: bs.sd!, n: bs.n! }, { mean: cs.mean!, sd: cs.sd!, n: cs.n! }, options.confidence) : undefined;
  const center = base.percentileOf !== undefined ? ('percentile' as const) : useMedian ? ('median' as const) : ('mean' as const);
  const row: AnalysedRow = {
    ...rowBase,
    baseline: { ...emptySide(bs.n ?? 0), median: bCenter, center },
    candidate: { ...emptySide(cs.n ?? 0), median: cCenter, center },
    deltaPct,
    pValue: welch ? welch.pValue : null,
    pAdjusted: welch ? welch.pValue : null,
    test: welch ? 'welch' : 'none',
    effectSize: welch ? { ...noEffect, shift: cs.mean! - bs.mean!, shiftLow: welch.low, shiftHigh: welch.high } : noEffect,
    significant: false,
    verdict: 'inconclusive',
    primary,
    candidateDistribution: c,
    candidateSummary: cs,
    untested: !welch,
  };
  const baseMean = bs.mean ?? bCenter;
  return { row, shiftPct: welch && baseMean !== 0 ? [(welch.low / Math.abs(baseMean)) * 100, (welch.high / Math.abs(baseMean)) * 100] : undefined };
}

/** benchmath AssumeExact.Summary: the mode, with the range as its "interval"; warns when values differ. */
function exactSummary(d: Distribution, label: string, side: string, notes: Footnotes, cell: string[]): { center: number; low: number; high: number } {
  let mode = 0;
  for (let i = 1; i < d.values.length; i++) if (d.counts[i]! > d.counts[mode]!) mode = i;
  const low = d.values[0]!;
  const high = d.values[d.values.length - 1]!;
  if (low !== high) {
    notes.add(`exact distribution expected, but values range from ${low} to ${high} (${side})`, label);
    cell.push(`exact distribution expected, but values range from ${low} to ${high}`);
  }
  return { center: d.values[mode]!, low, high };
}

function summaryFromDistribution(d: Distribution): Benchmark['summary'] {
  return { n: d.n, mean: mean(d), sd: standardDeviation(d), median: quantile(d, 0.5) };
}

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

/** Decides each row's verdict once the corrected p-values are known. */
function decide(draft: RowDraft, options: AnalyseOptions, notes: Footnotes): void {
  const row = draft.row;
  const worse = (d: number) => (row.direction === 'lower-is-better' ? d > 0 : d < 0);
  const beyondNoise = row.deltaPct !== null && Math.abs(row.deltaPct) >= options.noiseFloorPct;
  const tight = draft.shiftPct !== undefined && draft.shiftPct[0] >= -options.equivalencePct && draft.shiftPct[1] <= options.equivalencePct;
  if (row.test === 'quantile-ci') {
    row.significant = draft.quantileSeparated === true;
  } else if (row.pAdjusted !== null) {
    // benchstat rejects the null hypothesis when p ≤ α (benchmath Comparison.FormatDelta prints "~" only for p > α).
    row.significant = row.pAdjusted <= options.alpha;
  }
  if (row.test === 'none') {
    row.verdict = 'inconclusive';
    return;
  }
  if (row.test === 'exact') {
    row.verdict = row.deltaPct === 0 || !beyondNoise || row.deltaPct === null ? 'same' : worse(row.deltaPct) ? 'slower' : 'faster';
    return;
  }
  if (row.significant) {
    row.verdict = !beyondNoise || row.deltaPct === null ? 'same' : worse(row.deltaPct) ? 'slower' : 'faster';
    return;
  }
  row.verdict = tight ? 'same' : 'inconclusive';
  if (draft.tooFewForTest && row.pValue !== null && row.pValue > options.alpha && row.test.startsWith('mann-whitney')) {
    const need = samplesNeededForAlpha(options.alpha);
    const note = `need ${need.atLeast ? '>=' : '>'} ${need.n} samples to detect a difference at alpha level ${options.alpha}`;
    notes.add(note, row.name);
    row.footnotes?.comparison.push(note);
  }
}

/** A row for a benchmark only one side has (benchstat prints it with the other cell empty). */
function oneSidedRow(b: Benchmark, against: string, onlyIn: 'baseline' | 'candidate', options: AnalyseOptions, notes: Footnotes): AnalysedRow {
  const d = distributionOf(b, 1);
  const ci = d ? medianCI(d, options.confidence) : undefined;
  const center = ci?.median ?? b.summary?.median ?? b.summary?.mean ?? null;
  if (ci && (!Number.isFinite(ci.low) || !Number.isFinite(ci.high))) {
    const needed = samplesNeededForMedianCI(options.confidence);
    notes.add(`need ${needed.atLeast ? '>=' : '>'} ${needed.n} samples for confidence interval at level ${options.confidence}`, b.name);
  }
  const cellNotes =
    ci && (!Number.isFinite(ci.low) || !Number.isFinite(ci.high))
      ? [
          `need ${samplesNeededForMedianCI(options.confidence).atLeast ? '>=' : '>'} ${samplesNeededForMedianCI(options.confidence).n} samples for confidence interval at level ${options.confidence}`,
        ]
      : [];
  const side = {
    median: center,
    ciLow: ci ? finiteOrNull(ci.low) : null,
    ciHigh: ci ? finiteOrNull(ci.high) : null,
    n: d?.n ?? b.summary?.n ?? 0,
    center: 'median' as const,
  };
  const missing = { median: null, ciLow: null, ciHigh: null, n: 0, center: 'median' as const };
  return {
    name: b.name,
    unit: b.unit,
    direction: b.direction,
    against,
    baseline: onlyIn === 'baseline' ? side : missing,
    candidate: onlyIn === 'candidate' ? side : missing,
    deltaPct: null,
    pValue: null,
    pAdjusted: null,
    test: 'none',
    effectSize: { cliffsDelta: null, magnitude: null, shift: null, shiftLow: null, shiftHigh: null },
    significant: false,
    verdict: 'inconclusive',
    onlyIn,
    footnotes: { baseline: onlyIn === 'baseline' ? cellNotes : [], candidate: onlyIn === 'candidate' ? cellNotes : [], comparison: [] },
    primary: b.percentileOf === undefined,
    untested: true,
    ...(b.config ? { table: configKey(b) } : {}),
  };
}

/**
 * Matches benchmarks of the baseline with each candidate set by name, unit family and
 * configuration, runs the statistics per row, applies the multiple-comparison correction across
 * all tested rows, then decides verdicts. Benchmarks on one side only become `onlyIn` rows.
 */
export function analyse(baselineSet: SampleSet, candidateSets: SampleSet[], options: AnalyseOptions, filter?: (name: string) => boolean): Analysis {
  const warnings: string[] = [];
  const notes = new Footnotes();
  const baseline = withSummaryPercentiles(baselineSet);
  const candidates = candidateSets.map(withSummaryPercentiles);
  const drafts: RowDraft[] = [];
  const oneSided: AnalysedRow[] = [];
  const baseRows = new Map(baseline.benchmarks.filter((b) => !filter || filter(b.name)).map((b) => [rowKey(b), b]));
  for (const candidate of candidates) {
    const candRows = new Map(candidate.benchmarks.filter((b) => !filter || filter(b.name)).map((b) => [rowKey(b), b]));
    for (const [key, base] of baseRows) {
      const cand = candRows.get(key);
      if (!cand) {
        oneSided.push(oneSidedRow(base, candidate.source, 'baseline', options, notes));
        continue;
      }
      if (base.unit !== cand.unit) {
        const factor = unitFactor(cand.unit, base.unit);
        if (factor === undefined) {
          warnings.push(`${base.name}: baseline is in ${base.unit}, ${candidate.source} in ${cand.unit} — not comparable, skipped`);
          continue;
        }
        warnings.push(`${base.name}: baseline in ${base.unit}, candidate in ${cand.unit}; converted to ${base.unit}`);
      }
      const draft = analyseRow(base, cand, candidate.source, options, warnings, notes);
      if (draft) {
        if (base.config) draft.row.table = configKey(base);
        drafts.push(draft);
      } else warnings.push(`${base.name}: nothing comparable (no samples and no mean/median on one side)`);
    }
    for (const [key, cand] of candRows) if (!baseRows.has(key)) oneSided.push(oneSidedRow(cand, candidate.source, 'candidate', options, notes));
    const onlyBase = oneSided.filter((r) => r.against === candidate.source && r.onlyIn === 'baseline').map((r) => r.name);
    const onlyCand = oneSided.filter((r) => r.against === candidate.source && r.onlyIn === 'candidate').map((r) => r.name);
    const list = (names: string[]) => `${[...new Set(names)].slice(0, 10).join(', ')}${names.length > 10 ? ` and ${names.length - 10} more` : ''}`;
    if (onlyBase.length) warnings.push(`only in the baseline (rows marked onlyIn): ${list(onlyBase)}`);
    if (onlyCand.length) warnings.push(`only in ${candidate.source} (rows marked onlyIn): ${list(onlyCand)}`);
    if ((onlyBase.length || onlyCand.length) && [...baseRows.values(), ...candRows.values()].some((b) => b.config)) {
      const tables = new Set([...baseRows.values(), ...candRows.values()].map(configKey));
      if (tables.size > 1)
        warnings.push(
          `rows are matched within equal configuration lines (${[...tables]
            .slice(0, 3)
            .map((t) => `"${t}"`)
            .join(' vs ')}); use ignore (e.g. "note") to compare across them`,
        );
    }
    contextWarnings(baseline, candidate, warnings);
  }

  const adjusted = adjustPValues(
    drafts.map((d) => d.row.pValue),
    options.correction,
  );
  drafts.forEach((d, i) => (d.row.pAdjusted = adjusted[i] ?? null));
  const tested = drafts.filter((d) => d.row.pValue !== null).length;
  if (options.correction === 'none' && tested > 1) {
    warnings.push(
      `${tested} rows tested at α ${options.alpha} without correction: expect about ${(tested * options.alpha).toFixed(1)} false positives if nothing changed (use correction "holm")`,
    );
  }
  for (const d of drafts) decide(d, options, notes);

  const rows = [...drafts.map((d) => d.row), ...oneSided];
  const { geomeans, warnings: geomeanWarnings } = computeGeomeans(rows);
  // The single oriented number the gate and the headline have used: only meaningful for one unit.
  const units = new Set(geomeans.filter((g) => g.worsePct !== null).map((g) => g.unit));
  let geomeanDeltaPct: number | null = null;
  if (units.size === 1 && candidates.length === 1) {
    const logs: number[] = [];
    for (const row of rows) {
      if (!row.primary || row.onlyIn || (row.test === 'none' && row.unit === 'ratio')) continue;
      const b = row.baseline.median;
      const c = row.candidate.median;
      if (b === null || c === null || !(b > 0 && c > 0)) continue;
      logs.push(row.direction === 'lower-is-better' ? Math.log(c / b) : Math.log(b / c));
    }
    geomeanDeltaPct = logs.length ? (Math.exp(logs.reduce((s, x) => s + x, 0) / logs.length) - 1) * 100 : null;
  }
  return { rows, warnings: [...new Set([...notes.list(), ...geomeanWarnings, ...warnings])], geomeans, geomeanDeltaPct };
}

/**
 * benchstat's geomean row (benchtab summarizeCol): per table (configuration + unit) and
 * candidate column, the geometric mean of the candidate/baseline centre ratios of the rows
 * both have; equal centres count as ratio 1. A zero baseline makes the ratio unknown.
 */
function computeGeomeans(rows: AnalysedRow[]): { geomeans: Geomean[]; warnings: string[] } {
  const groups = new Map<string, AnalysedRow[]>();
  for (const row of rows) {
    if (!row.primary || (row.test === 'none' && row.unit === 'ratio' && !row.onlyIn)) continue;
    const key = `${row.table ?? ''}\u0000${row.unit}\u0000${row.against}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const geomeans: Geomean[] = [];
  const warnings: string[] = [];
  for (const group of groups.values()) {
    const first = group[0]!;
    const baseRows = group.filter((r) => r.baseline.median !== null).length;
    const ratios: number[] = [];
    let bad = false;
    for (const row of group) {
      const b = row.baseline.median;
      const c = row.candidate.median;
      if (b === null || c === null) continue;
      if (b === c) {
        ratios.push(1);
        continue;
      }
      if (b === 0 || !(c / b > 0)) {
        bad = true;
        continue;
      }
      ratios.push(c / b);
    }
    const count = ratios.length;
    const label = `${first.unit}${first.table ? ` (${first.table})` : ''} vs ${first.against}`;
    if (count !== baseRows || group.some((r) => r.onlyIn === 'candidate'))
      warnings.push(`geomean ${label}: benchmark set differs from baseline; geomeans may not be comparable`);
    if (bad) warnings.push(`geomean ${label}: ratios must be >0 to compute geomean`);
    const ratio = !bad && count ? geometricMean(ratios) : null;
    const deltaPct = ratio === null ? null : (ratio - 1) * 100;
    const worsePct = ratio === null ? null : ((first.direction === 'lower-is-better' ? ratio : 1 / ratio) - 1) * 100;
    geomeans.push({ unit: first.unit, against: first.against, deltaPct, worsePct, rows: count, ...(first.table ? { table: first.table } : {}) });
  }
  return { geomeans, warnings };
}

const PERCENTILE_NAME = /^p(\d+(?:\.\d+)?)$/;

/**
 * Summary-only formats (k6, autocannon, vitest) carry percentiles; people compare p95 and p99
 * of those, so each becomes its own (untestable) row next to the centre row.
 */
function withSummaryPercentiles(set: SampleSet): SampleSet {
  const extra: Benchmark[] = [];
  for (const b of set.benchmarks) {
    if (b.values || b.histogram || !b.summary?.percentiles) continue;
    for (const [label, value] of Object.entries(b.summary.percentiles)) {
      const m = PERCENTILE_NAME.exec(label);
      if (!m || !['90', '95', '99', '99.9'].includes(m[1]!)) continue;
      extra.push({ name: `${b.name} ${label}`, unit: b.unit, direction: b.direction, summary: { median: value }, percentileOf: Number(m[1]) / 100 });
    }
  }
  return extra.length ? { ...set, benchmarks: [...set.benchmarks, ...extra] } : set;
}

/** Keys that identify the machine or the conditions of a measurement. */
const CONTEXT_KEYS = [
  'host',
  'host_name',
  'hostname',
  'cpu',
  'cpu_model_name',
  'num_cpus',
  'mhz_per_cpu',
  'goos',
  'goarch',
  'os',
  'platform',
  'python',
  'python_version',
  'gomaxprocs',
  'connections',
  'rate',
  'library_build_type',
  'cpu_scaling_enabled',
];

function contextWarnings(baseline: SampleSet, candidate: SampleSet, warnings: string[]): void {
  const differences: string[] = [];
  for (const key of CONTEXT_KEYS) {
    const a = baseline.context[key];
    const b = candidate.context[key];
    if (a !== undefined && b !== undefined && a !== b) differences.push(`${key} "${a}" vs "${b}"`);
  }
  if (differences.length)
    warnings.push(
      `baseline and ${candidate.source} were measured under different conditions: ${differences.join(', ')} — differences may come from the machine, not the code`,
    );
  if (baseline.format !== candidate.format && baseline.format !== 'inline' && candidate.format !== 'inline') {
    warnings.push(`baseline is ${baseline.format}, ${candidate.source} is ${candidate.format}: different tools measure differently`);
  }
  if (baseline.context.library_build_type === 'debug' || candidate.context.library_build_type === 'debug') {
    warnings.push('Google Benchmark library was built in debug mode (context.library_build_type): its own overhead is inflated');
  }
  if (baseline.context.cpu_scaling_enabled === 'true' || candidate.context.cpu_scaling_enabled === 'true') {
    warnings.push('CPU frequency scaling was enabled while measuring (context.cpu_scaling_enabled): expect extra noise');
  }
}
