import { binomialPmf, normalQuantile } from './stats/distributions.js';
import { adjustPValues, type Correction } from './stats/correction.js';
import {
  distributionFromCounts,
  distributionFromSamples,
  mean,
  orderStatistic,
  quantile,
  standardDeviation,
  type Distribution,
} from './stats/distribution.js';
import { cliffsDelta, describeCliffsDelta, hodgesLehmann } from './stats/effect-size.js';
import { mannWhitneyU, rankStatistics, samplesNeededForAlpha } from './stats/mann-whitney.js';
import { medianCI, samplesNeededForMedianCI } from './stats/median-ci.js';
import { BIMODALITY_THRESHOLD, bimodalityCoefficient, coefficientOfVariation, countMadOutliers } from './stats/noise.js';
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
export interface AnalysedRow extends CompareRow {
  /** Percentile rows and extra per-endpoint rows are not part of the geomean. */
  primary: boolean;
  candidateDistribution?: Distribution;
  candidateSummary?: Benchmark['summary'];
  untested: boolean;
}

export interface Analysis {
  rows: AnalysedRow[];
  warnings: string[];
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

function rowKey(b: Benchmark): string {
  return `${b.name}\u0000${unitKey(b.unit)}\u0000${b.percentileOf ?? ''}`;
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
  const tail = (1 - confidence) / 2;
  let lowOrder: number;
  let highOrder: number;
  if (n > 1000) {
    const z = normalQuantile(1 - tail);
    const sd = Math.sqrt(n * q * (1 - q));
    lowOrder = Math.floor(n * q - z * sd);
    highOrder = Math.ceil(n * q + z * sd) + 1;
  } else {
    let cumulative = 0;
    lowOrder = 0;
    for (let k = 0; k <= n; k++) {
      cumulative += binomialPmf(k, n, q);
      if (cumulative > tail) break;
      lowOrder = k + 1;
    }
    cumulative = 0;
    highOrder = n + 1;
    for (let k = n; k >= 0; k--) {
      cumulative += binomialPmf(k, n, q);
      if (cumulative > tail) break;
      highOrder = k;
    }
  }
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
  /** Smallest p this row could ever reach (exact U), for "n too small" warnings. */
  minPossibleP?: number;
  quantileSeparated?: boolean;
}

function emptySide(n: number) {
  return { median: Number.NaN, ciLow: null, ciHigh: null, n, center: 'median' as const };
}

function analyseRow(base: Benchmark, cand: Benchmark, against: string, options: AnalyseOptions, warnings: string[]): RowDraft | undefined {
  const factor = unitFactor(cand.unit, base.unit) ?? 1;
  const label = base.name;
  const b = distributionOf(base, 1);
  const c = distributionOf(cand, factor);
  const primary = base.percentileOf === undefined;
  const rowBase = {
    name: base.percentileOf === undefined ? base.name : base.name,
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

  if (b && c) {
    const bci = medianCI(b, options.confidence);
    const cci = medianCI(c, options.confidence);
    const needed = samplesNeededForMedianCI(options.confidence);
    if (b.n < needed || c.n < needed) {
      warnings.push(`${label}: need ≥ ${needed} samples per side for a ${options.confidence * 100}% confidence interval of the median (have ${b.n} and ${c.n})`);
    }
    const mw = mannWhitneyU(b, c);
    const { tieSum } = rankStatistics(b, c);
    const hl = hodgesLehmann(b, c, options.confidence, tieSum);
    const delta = cliffsDelta(b, c);
    const deltaPct = bci.median !== 0 ? ((cci.median - bci.median) / Math.abs(bci.median)) * 100 : null;
    if (base.values && cand.values) noiseWarnings(label, b, c, warnings);
    return {
      row: {
        ...rowBase,
        baseline: { median: bci.median, ciLow: finiteOrNull(bci.low), ciHigh: finiteOrNull(bci.high), n: b.n, center: 'median' },
        candidate: { median: cci.median, ciLow: finiteOrNull(cci.low), ciHigh: finiteOrNull(cci.high), n: c.n, center: 'median' },
        deltaPct,
        pValue: mw.pValue,
        pAdjusted: mw.pValue,
        test: mw.method === 'exact' ? 'mann-whitney-exact' : 'mann-whitney-normal',
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
      },
      shiftPct: hl && bci.median !== 0 ? [(hl.low / Math.abs(bci.median)) * 100, (hl.high / Math.abs(bci.median)) * 100] : undefined,
      minPossibleP: mw.minPossibleP,
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
    if (bc > BIMODALITY_THRESHOLD) problems.push(`looks bimodal (bimodality coefficient ${bc.toFixed(2)} > 0.555: two behaviours mixed, e.g. CPU frequency or GC)`);
    if (problems.length) warnings.push(`${label} (${side}): ${problems.join('; ')}`);
  }
}

/** Decides each row's verdict once the corrected p-values are known. */
function decide(draft: RowDraft, options: AnalyseOptions, warnings: string[]): void {
  const row = draft.row;
  const worse = (d: number) => (row.direction === 'lower-is-better' ? d > 0 : d < 0);
  const beyondNoise = row.deltaPct !== null && Math.abs(row.deltaPct) >= options.noiseFloorPct;
  const tight = draft.shiftPct !== undefined && draft.shiftPct[0] >= -options.equivalencePct && draft.shiftPct[1] <= options.equivalencePct;
  if (row.test === 'quantile-ci') {
    row.significant = draft.quantileSeparated === true;
  } else if (row.pAdjusted !== null) {
    row.significant = row.pAdjusted < options.alpha;
  }
  if (row.test === 'none') {
    row.verdict = 'inconclusive';
    return;
  }
  if (row.significant) {
    row.verdict = !beyondNoise || row.deltaPct === null ? 'same' : worse(row.deltaPct) ? 'slower' : 'faster';
    return;
  }
  row.verdict = tight ? 'same' : 'inconclusive';
  if (draft.minPossibleP !== undefined && draft.minPossibleP > options.alpha && row.test.startsWith('mann-whitney')) {
    const need = samplesNeededForAlpha(options.alpha);
    warnings.push(
      `${row.name}: with ${row.baseline.n} and ${row.candidate.n} samples the smallest possible p is ${draft.minPossibleP.toPrecision(2)} > α ${options.alpha} — no difference can be detected; need ≥ ${need} samples per side`,
    );
  }
}

/**
 * Matches benchmarks of the baseline with each candidate set by name and unit family, runs
 * the statistics per row, applies the multiple-comparison correction across all tested rows,
 * then decides verdicts.
 */
export function analyse(baselineSet: SampleSet, candidateSets: SampleSet[], options: AnalyseOptions, filter?: (name: string) => boolean): Analysis {
  const warnings: string[] = [];
  const baseline = withSummaryPercentiles(baselineSet);
  const candidates = candidateSets.map(withSummaryPercentiles);
  const drafts: RowDraft[] = [];
  const baseRows = new Map(baseline.benchmarks.filter((b) => !filter || filter(b.name)).map((b) => [rowKey(b), b]));
  for (const candidate of candidates) {
    const candRows = new Map(candidate.benchmarks.filter((b) => !filter || filter(b.name)).map((b) => [rowKey(b), b]));
    const onlyBase: string[] = [];
    for (const [key, base] of baseRows) {
      const cand = candRows.get(key);
      if (!cand) {
        onlyBase.push(base.name);
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
      const draft = analyseRow(base, cand, candidate.source, options, warnings);
      if (draft) drafts.push(draft);
      else warnings.push(`${base.name}: nothing comparable (no samples and no mean/median on one side)`);
    }
    const onlyCand = [...candRows.entries()].filter(([key]) => !baseRows.has(key)).map(([, b]) => b.name);
    if (onlyBase.length) warnings.push(`only in the baseline (not compared): ${[...new Set(onlyBase)].slice(0, 10).join(', ')}${onlyBase.length > 10 ? ` and ${onlyBase.length - 10} more` : ''}`);
    if (onlyCand.length) warnings.push(`only in ${candidate.source} (not compared): ${[...new Set(onlyCand)].slice(0, 10).join(', ')}${onlyCand.length > 10 ? ` and ${onlyCand.length - 10} more` : ''}`);
    contextWarnings(baseline, candidate, warnings);
  }

  const adjusted = adjustPValues(
    drafts.map((d) => d.row.pValue),
    options.correction,
  );
  drafts.forEach((d, i) => (d.row.pAdjusted = adjusted[i] ?? null));
  const tested = drafts.filter((d) => d.row.pValue !== null).length;
  if (options.correction === 'none' && tested > 1) {
    warnings.push(`${tested} rows tested at α ${options.alpha} without correction: expect about ${(tested * options.alpha).toFixed(1)} false positives if nothing changed (use correction "holm")`);
  }
  for (const d of drafts) decide(d, options, warnings);

  // Geomean over the main rows, each ratio oriented so that > 1 is worse.
  const logs: number[] = [];
  for (const { row } of drafts) {
    if (!row.primary || (row.test === 'none' && row.unit === 'ratio')) continue;
    const b = row.baseline.median;
    const c = row.candidate.median;
    if (!(b > 0 && c > 0)) continue;
    logs.push(row.direction === 'lower-is-better' ? Math.log(c / b) : Math.log(b / c));
  }
  const geomeanDeltaPct = logs.length ? (Math.exp(logs.reduce((s, x) => s + x, 0) / logs.length) - 1) * 100 : null;
  return { rows: drafts.map((d) => d.row), warnings: [...new Set(warnings)], geomeanDeltaPct };
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
const CONTEXT_KEYS = ['host', 'host_name', 'hostname', 'cpu', 'cpu_model_name', 'num_cpus', 'mhz_per_cpu', 'goos', 'goarch', 'os', 'platform', 'python', 'python_version', 'gomaxprocs', 'connections', 'rate', 'library_build_type', 'cpu_scaling_enabled'];

function contextWarnings(baseline: SampleSet, candidate: SampleSet, warnings: string[]): void {
  const differences: string[] = [];
  for (const key of CONTEXT_KEYS) {
    const a = baseline.context[key];
    const b = candidate.context[key];
    if (a !== undefined && b !== undefined && a !== b) differences.push(`${key} "${a}" vs "${b}"`);
  }
  if (differences.length) warnings.push(`baseline and ${candidate.source} were measured under different conditions: ${differences.join(', ')} — differences may come from the machine, not the code`);
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
