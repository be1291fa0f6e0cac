import { fingerprintSql } from '../query/fingerprint.js';

/**
 * The numbers one stored run contributes to history, by name. A name is `STAT` for the run as
 * a whole or `STAT@SUBJECT` for one part of it (an endpoint, a benchmark row, a function, a
 * query fingerprint): `p95`, `p95@GET /api/items`, `median@BenchmarkParse`, `self@parseRow`,
 * `executionMs@select * from t where id = ?`, `lcp`.
 */
export interface MetricValue {
  value: number;
  unit: string;
  direction: 'lower-is-better' | 'higher-is-better';
}

export type RunMetrics = Record<string, MetricValue>;

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

const lower = (value: number, unit: string): MetricValue => ({ value, unit, direction: 'lower-is-better' });
const higher = (value: number, unit: string): MetricValue => ({ value, unit, direction: 'higher-is-better' });

const LATENCY_STATS = ['p50', 'p90', 'p95', 'p99', 'p999', 'mean', 'max'] as const;

function loadMetrics(result: Json, out: RunMetrics): void {
  const latency = isRecord(result.latencyMs) ? result.latencyMs : {};
  for (const stat of LATENCY_STATS) {
    const v = num(latency[stat]);
    if (v !== undefined) out[stat] = lower(v, 'ms');
  }
  const rps = num(result.throughputRps);
  if (rps !== undefined) out.throughput = higher(rps, 'req/s');
  const requests = isRecord(result.requests) ? result.requests : {};
  const total = num(requests.total);
  const failed = num(requests.failed);
  if (total && failed !== undefined) out.errorRate = lower(failed / total, 'ratio');
  const endpoints = Array.isArray(result.endpoints) ? result.endpoints.filter(isRecord) : [];
  if (endpoints.length < 2) return; // one endpoint is the whole run
  for (const e of endpoints) {
    const name = typeof e.name === 'string' ? e.name : undefined;
    if (!name) continue;
    const l = isRecord(e.latencyMs) ? e.latencyMs : {};
    for (const stat of LATENCY_STATS) {
      const v = num(l[stat]);
      if (v !== undefined) out[`${stat}@${name}`] = lower(v, 'ms');
    }
    const r = num(e.throughputRps);
    if (r !== undefined) out[`throughput@${name}`] = higher(r, 'req/s');
    const er = num(e.errorRate);
    if (er !== undefined) out[`errorRate@${name}`] = lower(er, 'ratio');
  }
}

function compareMetrics(result: Json, out: RunMetrics): void {
  const rows = Array.isArray(result.rows) ? result.rows.filter(isRecord) : [];
  for (const row of rows) {
    const name = typeof row.name === 'string' ? row.name : undefined;
    const candidate = isRecord(row.candidate) ? num(row.candidate.median) : undefined;
    if (!name || candidate === undefined) continue;
    const unit = typeof row.unit === 'string' ? row.unit : 'value';
    const direction = row.direction === 'higher-is-better' ? 'higher-is-better' : 'lower-is-better';
    out[`median@${name}`] = { value: candidate, unit, direction };
    const delta = num(row.deltaPct);
    if (delta !== undefined) out[`delta@${name}`] = { value: delta, unit: '%', direction };
  }
  const geomean = num(result.geomeanDeltaPct);
  if (geomean !== undefined) out.geomeanDelta = lower(geomean, '%');
}

function profileMetrics(result: Json, out: RunMetrics): void {
  const hot = Array.isArray(result.hotFunctions) ? result.hotFunctions.filter(isRecord) : [];
  for (const fn of hot) {
    const name = typeof fn.name === 'string' ? fn.name : undefined;
    if (!name) continue;
    const self = num(fn.selfPct);
    const total = num(fn.totalPct);
    // The first (hottest) entry of a name wins when one name appears at several locations.
    if (self !== undefined && !out[`self@${name}`]) out[`self@${name}`] = lower(self, '%');
    if (total !== undefined && !out[`total@${name}`]) out[`total@${name}`] = lower(total, '%');
  }
  const duration = num(result.durationMs) ?? num(result.wallMs);
  if (duration !== undefined) out.durationMs = lower(duration, 'ms');
}

function queryMetrics(result: Json, out: RunMetrics): void {
  const execution = num(result.executionMs);
  const sql = typeof result.sql === 'string' ? result.sql : undefined;
  if (execution !== undefined) {
    out.executionMs = lower(execution, 'ms');
    if (sql) out[`executionMs@${fingerprintSql(sql)}`] = lower(execution, 'ms');
  }
  const planning = num(result.planningMs);
  if (planning !== undefined) out.planningMs = lower(planning, 'ms');
  const cost = num(result.totalCost);
  if (cost !== undefined) out.totalCost = lower(cost, 'cost');
  const top = Array.isArray(result.topQueries) ? result.topQueries.filter(isRecord) : [];
  for (const q of top) {
    const mean = num(q.meanMs);
    if (typeof q.query === 'string' && mean !== undefined) out[`meanMs@${fingerprintSql(q.query)}`] = lower(mean, 'ms');
  }
}

const VITALS: Record<string, [string, string]> = {
  lcpMs: ['lcp', 'ms'],
  cls: ['cls', 'score'],
  inpMs: ['inp', 'ms'],
  tbtMs: ['tbt', 'ms'],
  fcpMs: ['fcp', 'ms'],
  ttfbMs: ['ttfb', 'ms'],
};

function vitalsMetrics(result: Json, out: RunMetrics): void {
  const metrics = isRecord(result.metrics) ? result.metrics : {};
  for (const [key, [name, unit]] of Object.entries(VITALS)) {
    const m = metrics[key];
    const v = isRecord(m) ? num(m.median) : num(m);
    if (v !== undefined) out[name] = lower(v, unit);
  }
}

/** Imported results and other benchmark files: `{ benchmarks: [{ name, unit, value }] }`. */
function benchMetrics(result: Json, out: RunMetrics): void {
  const rows = Array.isArray(result.benchmarks) ? result.benchmarks.filter(isRecord) : [];
  for (const row of rows) {
    const value = num(row.value);
    if (typeof row.name !== 'string' || value === undefined) continue;
    const unit = typeof row.unit === 'string' ? row.unit : 'value';
    // Go -bench gives one name several units (ns/op, B/op, allocs/op): the first keeps the plain name.
    const key = out[`median@${row.name}`] ? `median@${row.name} [${unit}]` : `median@${row.name}`;
    out[key] = { value, unit, direction: row.direction === 'higher-is-better' ? 'higher-is-better' : 'lower-is-better' };
  }
}

/**
 * The metrics of one run's result.json. Tools store either an envelope `{ tool, input,
 * result }` or the result itself; both are read.
 */
export function extractMetrics(kind: string, document: unknown): RunMetrics {
  if (!isRecord(document)) return {};
  const result = isRecord(document.result) && ('tool' in document || 'input' in document) ? document.result : document;
  const out: RunMetrics = {};
  switch (kind) {
    case 'load':
      loadMetrics(result, out);
      break;
    case 'compare':
      compareMetrics(result, out);
      break;
    case 'profile':
      profileMetrics(result, out);
      break;
    case 'query':
      queryMetrics(result, out);
      break;
    case 'vitals':
      vitalsMetrics(result, out);
      break;
    default:
      benchMetrics(result, out);
  }
  return out;
}
