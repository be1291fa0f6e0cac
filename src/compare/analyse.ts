import { defined } from '../common/errors.js';
import { adjustPValues, type Correction } from './stats/correction.js';
import type { Distribution } from './stats/distribution.js';
import { medianCI, samplesNeededForMedianCI } from './stats/median-ci.js';
import { geometricMean } from './stats/geomean.js';
import { unitFactor, type Benchmark, type SampleSet } from './model.js';
import type { CompareRow } from './schema.js';
import { compareRow, distributionOf, finiteOrNull, type RowDraft } from './strategies.js';

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
      const draft = compareRow(base, cand, candidate.source, options, warnings, notes);
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
  // The rule that compared a row decides it, now that the corrected p-values are known.
  for (const d of drafts) d.rule.decide(d, options, notes);

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
    const first = defined(group[0], 'first row of a geomean group');
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
      const level = m?.[1];
      if (level === undefined || !['90', '95', '99', '99.9'].includes(level)) continue;
      extra.push({ name: `${b.name} ${label}`, unit: b.unit, direction: b.direction, summary: { median: value }, percentileOf: Number(level) / 100 });
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
