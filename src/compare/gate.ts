import { UserError } from '../common/errors.js';
import { holds, ORDERING, splitComparison } from '../common/comparison.js';
import { unitFactor } from '../common/units.js';
import { TIME_UNITS_S } from './model.js';
import { quantile, mean } from './stats/distribution.js';
import type { AnalysedRow, Geomean } from './analyse.js';

/**
 * The CI gate. `failOn` is a comma- or semicolon-separated list of clauses; the gate fails
 * when any clause does:
 *   any-regression        a row is "slower" (significant after correction, beyond the noise floor)
 *   regression>5%         a "slower" row is worse by more than 5 %; rows that could not be tested
 *                         (summary-only formats) count when their point change is worse by more
 *   geomean>2%            the geometric-mean change is worse than +2 %
 *   p95>500ms, p99>1s, median>20ms, mean>…, max>…   an absolute limit on the candidate, per row
 *                         with a time unit (k6-threshold style)
 *   rps<1000, throughput<1000                      a floor on candidate throughput rows
 */
export interface GateResult {
  failOn: string | null;
  failed: boolean;
  reasons: string[];
}

type Clause =
  | { kind: 'any-regression'; text: string }
  | { kind: 'regression'; pct: number; text: string }
  | { kind: 'geomean'; pct: number; text: string }
  | { kind: 'absolute'; stat: string; op: '>' | '>=' | '<' | '<='; limitS: number; text: string }
  | { kind: 'throughput'; op: '>' | '>=' | '<' | '<='; limit: number; text: string };

const STATS = ['p50', 'p75', 'p90', 'p95', 'p99', 'p99.9', 'p999', 'median', 'mean', 'avg', 'max', 'min'];

const HELP = 'use clauses like "regression>5%", "any-regression", "geomean>2%", "p95>500ms", "mean>20ms", "rps<1000", separated by commas';

export function parseFailOn(text: string): Clause[] {
  const clauses = text
    .split(/[,;]/)
    .map((c) => c.trim())
    .filter(Boolean);
  if (!clauses.length) throw new UserError(`failOn "${text}" has no clauses`, HELP);
  return clauses.map((clause) => {
    const c = clause.toLowerCase().replace(/\s+/g, '');
    if (c === 'any-regression' || c === 'anyregression') return { kind: 'any-regression', text: clause };
    const comparison = splitComparison(c, ORDERING);
    if (comparison) {
      const { left, op, right } = comparison;
      const pct = /^(\d+(?:\.\d+)?)%$/.exec(right);
      if ((left === 'regression' || left === 'geomean') && pct && (op === '>' || op === '>=')) return { kind: left, pct: Number(pct[1]), text: clause };
      const rate = /^(\d+(?:\.\d+)?)(rps|req\/s)?$/.exec(right);
      if (['rps', 'throughput', 'req/s'].includes(left) && rate) return { kind: 'throughput', op, limit: Number(rate[1]), text: clause };
      const limit = /^(\d+(?:\.\d+)?)([a-zµ]+)$/.exec(right);
      const toS = limit ? unitFactor('time-s', limit[2] as string) : undefined;
      if (/^(p\d+(?:\.\d+)?|median|mean|avg|max|min)$/.test(left) && limit && toS !== undefined) {
        if (!STATS.includes(left)) throw new UserError(`failOn clause "${clause}": unknown statistic ${left}`, `use one of ${STATS.join(', ')}`);
        return { kind: 'absolute', stat: left, op, limitS: Number(limit[1]) * toS, text: clause };
      }
    }
    throw new UserError(`failOn clause "${clause}" is not understood`, HELP);
  });
}

/** The candidate's value of `stat` for a row, in the row's unit, when it can be known. */
function candidateStatistic(row: AnalysedRow, stat: string): number | undefined {
  const d = row.candidateDistribution;
  const q = stat === 'median' ? 0.5 : /^p(\d+(?:\.\d+)?)$/.exec(stat) ? Number(stat.slice(1)) / (stat === 'p999' ? 1000 : 100) : undefined;
  if (d && d.n > 0) {
    if (q !== undefined) return quantile(d, q);
    if (stat === 'mean' || stat === 'avg') return mean(d);
    if (stat === 'max') return d.values[d.values.length - 1];
    if (stat === 'min') return d.values[0];
  }
  const s = row.candidateSummary;
  if (!s) return undefined;
  if (stat === 'median' || stat === 'p50') return s.median ?? s.percentiles?.p50;
  if (stat === 'mean' || stat === 'avg') return s.mean;
  if (stat === 'max') return s.max;
  if (stat === 'min') return s.min;
  const label = stat === 'p999' ? 'p99.9' : stat;
  return s.percentiles?.[label];
}

function formatLimitS(seconds: number): string {
  if (seconds >= 1) return `${+seconds.toPrecision(4)} s`;
  if (seconds >= 1e-3) return `${+(seconds * 1e3).toPrecision(4)} ms`;
  if (seconds >= 1e-6) return `${+(seconds * 1e6).toPrecision(4)} µs`;
  return `${+(seconds * 1e9).toPrecision(4)} ns`;
}

export function evaluateGate(failOn: string | undefined, rows: AnalysedRow[], geomeanDeltaPct: number | null, geomeans: Geomean[] = []): GateResult {
  if (!failOn) return { failOn: null, failed: false, reasons: [] };
  const clauses = parseFailOn(failOn);
  const reasons: string[] = [];
  const worsePct = (row: AnalysedRow) => (row.deltaPct === null ? 0 : row.direction === 'lower-is-better' ? row.deltaPct : -row.deltaPct);
  for (const clause of clauses) {
    switch (clause.kind) {
      case 'any-regression':
        for (const row of rows)
          if (row.verdict === 'slower')
            reasons.push(`${clause.text}: ${row.name} is slower by ${Math.abs(row.deltaPct ?? 0).toFixed(2)}% (p=${row.pAdjusted?.toPrecision(2) ?? 'n/a'})`);
        break;
      case 'regression':
        for (const row of rows) {
          const worse = worsePct(row);
          if (row.verdict === 'slower' && worse > clause.pct)
            reasons.push(`${clause.text}: ${row.name} is worse by ${worse.toFixed(2)}% (significant, p=${row.pAdjusted?.toPrecision(2) ?? 'n/a'})`);
          else if (row.untested && worse > clause.pct)
            reasons.push(`${clause.text}: ${row.name} is worse by ${worse.toFixed(2)}% (point estimate; the format has no samples to test)`);
        }
        break;
      case 'geomean':
        if (geomeanDeltaPct !== null) {
          if (geomeanDeltaPct > clause.pct) reasons.push(`${clause.text}: geomean change is +${geomeanDeltaPct.toFixed(2)}% (worse)`);
        } else {
          // Several units: each unit's geomean is held to the limit on its own (benchstat keeps them apart).
          for (const g of geomeans) {
            if (g.worsePct !== null && g.worsePct > clause.pct)
              reasons.push(`${clause.text}: geomean ${g.unit} vs ${g.against} is ${g.worsePct.toFixed(2)}% worse`);
          }
        }
        break;
      case 'absolute': {
        let checked = 0;
        for (const row of rows) {
          const toS = TIME_UNITS_S[row.unit];
          if (toS === undefined || row.baseline.center === 'percentile' || /\(cpu\)$/.test(row.name)) continue;
          const value = candidateStatistic(row, clause.stat);
          if (value === undefined) continue;
          checked++;
          if (holds(value * toS, clause.op, clause.limitS))
            reasons.push(`${clause.text}: ${row.name} ${clause.stat} is ${formatLimitS(value * toS)} (limit ${formatLimitS(clause.limitS)})`);
        }
        if (!checked) reasons.push(`${clause.text}: no row with a time unit and a known ${clause.stat} to check — the gate cannot pass unchecked`);
        break;
      }
      case 'throughput': {
        let checked = 0;
        for (const row of rows) {
          const value = row.candidate.median;
          if (!/req\/s|\/s$|ops/.test(row.unit) || row.baseline.center === 'percentile' || value === null) continue;
          checked++;
          if (holds(value, clause.op, clause.limit)) reasons.push(`${clause.text}: ${row.name} is ${value.toFixed(1)} ${row.unit}`);
        }
        if (!checked) reasons.push(`${clause.text}: no throughput row to check — the gate cannot pass unchecked`);
        break;
      }
    }
  }
  return { failOn, failed: reasons.length > 0, reasons };
}
