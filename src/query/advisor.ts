import type { Driver, ExplainRequest, IndexInfo, CandidateIndex } from './drivers/types.js';
import { planUsesIndex, type Plan } from './plan.js';
import type { IndexSuggestion } from './schema.js';
import type { QueryShape } from './shape.js';
import { quoteIdent, quoteQualified } from './drivers/types.js';

/**
 * Index advisor — verified, never guessed (Dexter's method): candidate columns come from the
 * parsed WHERE / JOIN / ORDER BY / GROUP BY; single columns first, then two-column
 * combinations with equality columns before range and sort columns (Winand, "Use The Index,
 * Luke": equality first, then range / order), then all equalities with the sort column or a range; candidates an existing index already serves by
 * prefix are skipped. Each survivor is re-planned with the index in place and kept only if the
 * plan uses it and the estimated cost drops by at least `minImprovementPct`.
 */
export const MAX_CANDIDATES = 8;

export interface AdvisorOptions {
  minImprovementPct: number;
  signal: AbortSignal;
  onProgress?: (done: number, total: number, message: string) => void;
}

/** Columns per table, in the order they should lead an index. */
export async function candidateIndexes(shape: QueryShape, driver: Driver, warnings: string[]): Promise<CandidateIndex[]> {
  const tables = [...new Set(shape.tables.map((t) => t.name))];
  const columnsOf = new Map<string, Set<string>>();
  for (const table of tables) {
    const cols = await driver.tableColumns(table);
    if (cols) columnsOf.set(table, new Set(cols.map((c) => c.toLowerCase())));
  }
  const owner = (column: string, table?: string): string | undefined => {
    if (table && columnsOf.get(table)?.has(column.toLowerCase())) return table;
    if (table) return undefined;
    const owners = tables.filter((t) => columnsOf.get(t)?.has(column.toLowerCase()));
    return owners.length === 1 ? owners[0] : undefined;
  };
  type Bucket = { eq: string[]; range: string[]; order: string[]; group: string[] };
  const perTable = new Map<string, Bucket>();
  const push = (table: string | undefined, list: keyof Bucket, column: string) => {
    if (!table) return;
    const b = perTable.get(table) ?? { eq: [], range: [], order: [], group: [] };
    if (!b[list].includes(column)) b[list].push(column);
    perTable.set(table, b);
  };
  for (const p of shape.predicates) {
    if (p.wrappedIn || p.op === 'other') continue;
    const t = owner(p.column, p.table);
    if (p.op === 'eq' || p.op === 'in' || p.op === 'isnull') push(t, 'eq', p.column);
    else if (p.op === 'range' || p.op === 'like') push(t, 'range', p.column);
  }
  for (const o of shape.orderBy) push(owner(o.column, o.table), 'order', o.column);
  for (const g of shape.groupBy) push(owner(g.column, g.table), 'group', g.column);

  const out: CandidateIndex[] = [];
  const seen = new Set<string>();
  const add = (table: string, columns: string[]) => {
    const unique = [...new Set(columns)];
    const key = `${table}:${unique.join(',').toLowerCase()}`;
    if (seen.has(key) || unique.length === 0) return;
    seen.add(key);
    out.push({ table, columns: unique });
  };
  for (const [table, b] of perTable) {
    // Singles: each equality, range, the leading sort and group column.
    b.eq.forEach((c) => add(table, [c]));
    b.range.forEach((c) => add(table, [c]));
    if (b.order[0]) add(table, [b.order[0]]);
    if (b.group[0]) add(table, [b.group[0]]);
    // Pairs: equality + equality, equality + range, equality + first sort / group column.
    for (const e of b.eq) {
      for (const other of [...b.eq.filter((x) => x !== e), ...b.range, ...(b.order[0] ? [b.order[0]] : []), ...(b.group[0] ? [b.group[0]] : [])])
        add(table, [e, other]);
    }
    // Every equality, then the sort column (or a range): with the rows already in order, a
    // LIMIT stops after N index entries instead of sorting every match.
    if (b.eq.length >= 2) {
      const eqs = b.eq.slice(0, 3);
      if (b.order[0]) add(table, [...eqs, b.order[0]]);
      for (const r of b.range) add(table, [...eqs, r]);
    }
  }
  if (!perTable.size && shape.predicates.length)
    warnings.push('no index candidates: the filtered columns could not be matched to a table (qualify them with the table name or alias)');
  return out;
}

/** True when an existing (non-partial) index starts with the candidate's columns. */
export function coveredByExisting(candidate: CandidateIndex, existing: IndexInfo[]): IndexInfo | undefined {
  const want = candidate.columns.map((c) => c.toLowerCase());
  return existing.find((idx) => !idx.partial && want.every((c, i) => idx.columns[i]?.toLowerCase() === c));
}

export async function adviseIndexes(
  driver: Driver,
  request: ExplainRequest,
  shape: QueryShape,
  basePlan: Plan,
  options: AdvisorOptions,
  warnings: string[],
): Promise<{ suggestions: IndexSuggestion[]; tried: IndexSuggestion[] }> {
  const all = await candidateIndexes(shape, driver, warnings);
  const existing = new Map<string, IndexInfo[]>();
  const candidates: CandidateIndex[] = [];
  for (const c of all) {
    let indexes = existing.get(c.table);
    if (!indexes) {
      indexes = await driver.indexes(c.table);
      existing.set(c.table, indexes);
    }
    if (!coveredByExisting(c, indexes)) candidates.push(c);
  }
  if (candidates.length > MAX_CANDIDATES) {
    warnings.push(`${candidates.length} index candidates; tried the first ${MAX_CANDIDATES}`);
    candidates.length = MAX_CANDIDATES;
  }
  const dialect = driver.dialect;
  const ddl = (c: CandidateIndex) => `CREATE INDEX ON ${quoteQualified(c.table, dialect)} (${c.columns.map((col) => quoteIdent(col, dialect)).join(', ')});`;
  const ddlNamed = (c: CandidateIndex) =>
    `CREATE INDEX ${quoteIdent(
      `idx_${c.table.split('.').pop()}_${c.columns.join('_')}`
        .toLowerCase()
        .replace(/[^a-z0-9_]/g, '_')
        .slice(0, 60),
      dialect,
    )} ON ${quoteQualified(c.table, dialect)} (${c.columns.map((col) => quoteIdent(col, dialect)).join(', ')});`;
  const beforeCost = basePlan.totalCost ?? null;
  const beforeMs = basePlan.analyzed ? basePlan.executionMs : undefined;

  if (!driver.tryIndex) {
    // MySQL/MariaDB: no transactional DDL and no hypothetical indexes — report, unverified,
    // only candidates for tables the plan reads without a usable index.
    const scanned = new Set(
      basePlan.nodes
        .filter((n) => n.kind === 'seq-scan' || n.kind === 'full-index-scan' || n.flags?.includes('using_filesort'))
        .map((n) => n.relation?.toLowerCase()),
    );
    const sorted = basePlan.nodes.some((n) => n.flags?.includes('using_filesort') || n.flags?.includes('using_temporary_table'));
    const unverified = candidates
      .filter((c) => scanned.has(c.table.toLowerCase()) || sorted)
      // Unverified: show the composite (equality columns first, then range/sort) before its prefixes.
      .sort((a, b) => b.columns.length - a.columns.length)
      .slice(0, 3)
      .map((c) => ({
        sql: ddlNamed(c),
        table: c.table,
        columns: c.columns,
        method: 'none' as const,
        before: { cost: beforeCost, ...(beforeMs !== undefined ? { ms: round(beforeMs) } : {}) },
        after: { cost: null },
        improvementPct: null,
        verified: false,
        note: 'not verified: MySQL cannot create an index inside a transaction that is rolled back, and has no hypothetical indexes — try it on a copy of the table',
      }));
    return { suggestions: unverified, tried: unverified };
  }

  const trials: Array<IndexSuggestion & { score: number }> = [];
  let done = 0;
  for (const c of candidates) {
    if (options.signal.aborted) break;
    options.onProgress?.(done, candidates.length, `trying index ${c.table}(${c.columns.join(', ')})`);
    let trial: Awaited<ReturnType<typeof driver.tryIndex>>;
    try {
      trial = await driver.tryIndex(request, c);
    } catch (error) {
      warnings.push(`could not try ${c.table}(${c.columns.join(', ')}): ${(error as Error).message}`);
      done++;
      continue;
    }
    done++;
    const before = (trial as { beforePlan?: Plan }).beforePlan?.totalCost ?? beforeCost;
    const after = trial.plan.totalCost ?? null;
    const used = planUsesIndex(trial.plan, trial.indexName);
    const improvement = before !== null && after !== null && before > 0 ? ((before - after) / before) * 100 : null;
    const verified = used && improvement !== null && improvement >= options.minImprovementPct;
    trials.push({
      sql: dialect === 'postgres' ? ddl(c).replace('CREATE INDEX ON', 'CREATE INDEX CONCURRENTLY ON') : ddlNamed(c),
      table: c.table,
      columns: c.columns,
      method: trial.method,
      before: { cost: before === null ? null : round(before), ...(beforeMs !== undefined ? { ms: round(beforeMs) } : {}) },
      after: { cost: after === null ? null : round(after), ...(trial.ms !== undefined ? { ms: round(trial.ms) } : {}) },
      improvementPct: improvement === null ? null : round(improvement),
      verified,
      usedByPlan: used,
      ...(dialect === 'sqlite'
        ? { note: 'cost = estimated rows visited (SQLite prints no costs), with sqlite_stat1 from a sampled ANALYZE inside a rolled-back transaction' }
        : {}),
      // Rank by the cost left after the index (lower is better), not by the share saved.
      score: after === null ? -Infinity : -after,
    });
  }
  options.onProgress?.(candidates.length, candidates.length, 'index candidates tried');
  // Keep verified ones; drop a two-column index that is no better than its own one-column prefix.
  const kept = trials.filter((t) => t.verified);
  const result = kept.filter((t, i) => {
    // The same columns in another order with the same effect: keep the first tried (equality columns lead).
    const sameSet = kept.findIndex(
      (o) => o.table === t.table && o.columns.length === t.columns.length && o.columns.every((c) => t.columns.includes(c)) && o.after.cost === t.after.cost,
    );
    if (sameSet !== i) return false;
    if (t.columns.length < 2) return true;
    // A wider index must earn its keep: at least 10 % cheaper than its one-column prefix alone.
    const prefix = kept.find((o) => o.table === t.table && o.columns.length === 1 && o.columns[0] === t.columns[0]);
    return !prefix || (t.after.cost ?? Infinity) < 0.9 * (prefix.after.cost ?? Infinity);
  });
  const strip = ({ score: _score, ...s }: IndexSuggestion & { score: number }): IndexSuggestion => s;
  return { suggestions: result.sort((a, b) => b.score - a.score).map(strip), tried: trials.map(strip) };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
