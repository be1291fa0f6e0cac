import { defined } from '../../common/errors.js';
import type { Plan, PlanNode } from '../plan.js';

/**
 * SQLite's EXPLAIN QUERY PLAN has no costs and no row counts, only the access path per loop
 * ("SCAN orders", "SEARCH orders USING INDEX ix (customer_id=?)", "USE TEMP B-TREE FOR ORDER BY").
 * To compare plans we estimate *rows visited* the way SQLite's planner does (where.c):
 * a full scan visits every row; an index search visits the average rows per key from
 * sqlite_stat1 (default without ANALYZE: 10 per equality column, sqlite3DefaultRowEst);
 * each inequality bound keeps a quarter (whereRangeScanEst without STAT4); a rowid lookup is
 * one row; joins multiply through the loops in order; a temp B-tree sorts n·log2(n).
 * It is a model, labelled as such, and always reported next to measured time.
 */
export interface EqpRow {
  id: number;
  parent: number;
  detail: string;
}

export interface SqliteStats {
  rows(table: string): number | undefined;
  /** sqlite_stat1 average rows per key prefix of `index` with `nEq` equality columns. */
  avgEq(index: string, nEq: number): number | undefined;
}

const SCAN = /^SCAN (?:TABLE )?(\S+)(?: AS (\S+))?(?: USING (COVERING )?INDEX (\S+))?/;
const SEARCH =
  /^SEARCH (?:TABLE )?(\S+)(?: AS (\S+))? USING (?:(AUTOMATIC (?:PARTIAL )?COVERING INDEX)|(INTEGER PRIMARY KEY)|(?:COVERING )?INDEX (\S+))(?: \((.*)\))?/;

function constraintCounts(text: string | undefined): { eq: number; range: number } {
  if (!text) return { eq: 0, range: 0 };
  let eq = 0;
  let range = 0;
  for (const term of text.split(/ AND /)) {
    if (/[<>]/.test(term)) range += (term.match(/[<>]/g) ?? []).length;
    else if (/=\?|=|\bIN\b/i.test(term)) eq++;
  }
  return { eq, range };
}

export function normaliseSqlitePlan(rows: EqpRow[], stats: SqliteStats, analyzed: boolean, executionMs?: number, aliases?: Map<string, string>): Plan {
  // EXPLAIN QUERY PLAN names a table by its alias when the statement gives one.
  const tableOf = (name: string) => aliases?.get(name.toLowerCase()) ?? name;
  const nodes: PlanNode[] = [];
  const idMap = new Map<number, number>();
  const depthOf = new Map<number, number>();
  for (const row of rows) {
    const id = nodes.length + 1;
    idMap.set(row.id, id);
    const parentId = idMap.get(row.parent) ?? null;
    const depth = parentId === null ? 0 : (depthOf.get(parentId) ?? 0) + 1;
    depthOf.set(id, depth);
    const node: PlanNode = { id, parentId, depth, kind: 'other', label: row.detail };
    let m: RegExpExecArray | null;
    if ((m = SEARCH.exec(row.detail))) {
      const name = defined(m[1], 'the table name of a SEARCH row');
      const table = tableOf(name);
      node.relation = table;
      if (m[2] || table !== name) node.alias = m[2] ?? name;
      const n = stats.rows(table);
      const { eq, range } = constraintCounts(m[6]);
      if (m[3]) {
        node.kind = 'automatic-index';
        node.flags = ['automatic-index'];
        node.index = 'AUTOMATIC';
        node.estimatedRows = 10;
      } else if (m[4]) {
        node.kind = 'rowid-lookup';
        node.index = 'INTEGER PRIMARY KEY';
        node.estimatedRows = range > 0 && eq === 0 ? Math.max(1, (n ?? 1_000_000) / 4 ** range) : 1;
      } else {
        node.kind = 'index-scan';
        // Neither AUTOMATIC nor INTEGER PRIMARY KEY: the regex's third alternative, INDEX <name>.
        const index = defined(m[5], 'the index name of a SEARCH … USING INDEX row');
        node.index = index;
        const perKey = eq > 0 ? (stats.avgEq(index, eq) ?? 10) : (n ?? 1_000_000);
        node.estimatedRows = Math.max(1, perKey / 4 ** range);
      }
      if (m[6]) node.indexCond = m[6];
    } else if ((m = SCAN.exec(row.detail)) && !/^SCAN (CONSTANT ROW|\d)/.test(row.detail)) {
      const name = defined(m[1], 'the table name of a SCAN row');
      const table = tableOf(name);
      node.relation = table;
      if (m[2] || table !== name) node.alias = m[2] ?? name;
      if (m[4]) {
        node.kind = m[3] ? 'index-only-scan' : 'full-index-scan';
        node.index = m[4];
      } else node.kind = 'seq-scan';
      const n = stats.rows(table);
      if (n !== undefined) node.estimatedRows = n;
    } else if (/^USE TEMP B-TREE/.test(row.detail)) {
      node.kind = 'temp-btree';
      node.flags = ['temp-btree'];
    } else if (/^(CO-ROUTINE|MATERIALIZE|SCALAR SUBQUERY|CORRELATED SCALAR SUBQUERY|LIST SUBQUERY|CORRELATED LIST SUBQUERY)/.test(row.detail)) {
      node.kind = 'subquery';
    } else if (/^(COMPOUND|UNION|LEFT-MOST SUBQUERY|MERGE)/.test(row.detail)) node.kind = 'compound';
    else if (/^MULTI-INDEX OR/.test(row.detail)) node.kind = 'multi-index-or';
    else if (/^BLOOM FILTER/.test(row.detail)) node.kind = 'bloom-filter';
    nodes.push(node);
  }
  const totalCost = estimateCost(nodes, null, stats);
  return {
    dialect: 'sqlite',
    analyzed,
    nodes,
    totalCost,
    raw: rows,
    ...(executionMs !== undefined ? { executionMs } : {}),
  };
}

/** Rows visited by the loops under `parentId`, joined in order (outer loop first). */
function estimateCost(nodes: PlanNode[], parentId: number | null, stats: SqliteStats): number {
  let cost = 0;
  let outer = 1;
  for (const node of nodes.filter((n) => n.parentId === parentId)) {
    const visited = node.estimatedRows;
    if (node.kind === 'temp-btree') {
      const n = Math.max(outer, 2);
      cost += n * Math.log2(n);
      continue;
    }
    if (node.kind === 'automatic-index') {
      // Built on every execution: a full pass over the table, then lookups.
      cost += (stats.rows(node.relation ?? '') ?? 1_000_000) + outer * 10;
      outer *= 10;
      continue;
    }
    if (visited !== undefined && node.relation) {
      cost += outer * visited;
      outer *= visited;
      continue;
    }
    cost += estimateCost(nodes, node.id, stats);
  }
  return Math.round(cost);
}

/** Parses sqlite_stat1 "stat" text: "nRow avg1 avg2 …". */
export function parseStat1(stat: string): number[] {
  return stat
    .split(' ')
    .map(Number)
    .filter((n) => Number.isFinite(n));
}
