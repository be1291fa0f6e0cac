import type { StatementKind } from './statement.js';
import type { QueryShape } from './shape.js';
import type { LintItem } from './schema.js';

/**
 * SQL anti-patterns read from the statement itself (its parsed shape, and the text where
 * the pattern is lexical). Rule set after sqlcheck (Dintyala & Arulraj, "SQLCheck", SIGMOD
 * 2020) and Use The Index, Luke (Winand): each says what is wrong and what to write instead.
 */
export const DEEP_OFFSET = 1000;

export function lintStatement(sql: string, kind: StatementKind, shape: QueryShape, dialect: 'postgres' | 'mysql' | 'sqlite'): LintItem[] {
  const items: LintItem[] = [];
  const add = (item: LintItem) => items.push(item);
  const isSelect = kind === 'select';

  if (isSelect && shape.selectStar) {
    add({
      rule: 'select-star',
      severity: 'low',
      message: 'SELECT * reads every column: it defeats index-only scans / covering indexes and sends unused data',
      fix: 'name the columns the caller uses',
    });
  }
  for (const p of shape.predicates.filter((p) => p.leadingWildcard)) {
    add({
      rule: 'leading-wildcard-like',
      severity: 'medium',
      message: `LIKE on ${qualified(p)} starts with a wildcard: no B-tree index can serve it, every row is scanned`,
      fix:
        dialect === 'postgres'
          ? `a trigram index (CREATE EXTENSION pg_trgm; CREATE INDEX … USING gin (${p.column} gin_trgm_ops)) or full-text search`
          : 'full-text search (FTS5 / FULLTEXT), or anchor the pattern at the start',
    });
  }
  for (const p of shape.predicates.filter((p) => p.wrappedIn)) {
    add({
      rule: 'function-on-column',
      severity: 'medium',
      message: `${p.wrappedIn}(${qualified(p)}) in the condition: an index on ${p.column} cannot be used for it`,
      fix:
        dialect === 'mysql'
          ? `compare the bare column (move the function to the constant side), or index a generated column for ${p.wrappedIn}(${p.column})`
          : `compare the bare column (move the function to the constant side), or create an expression index on (${p.wrappedIn}(${p.column}))`,
    });
  }
  if (shape.orAcrossColumns) {
    add({
      rule: 'or-across-columns',
      severity: 'low',
      message:
        'OR between conditions on different columns: one composite index cannot serve it; the planner needs a bitmap OR of separate indexes or scans the table',
      fix: 'index each column separately, or rewrite as UNION ALL of the branches',
    });
  }
  if (shape.notInSubquery) {
    add({
      rule: 'not-in-subquery',
      severity: 'medium',
      message: 'NOT IN (subquery) returns no rows when the subquery yields a NULL, and often plans as a per-row subplan instead of an anti-join',
      fix: 'use NOT EXISTS (SELECT 1 FROM … WHERE …)',
    });
  }
  if (shape.randomOrder) {
    add({
      rule: 'order-by-random',
      severity: 'medium',
      message: 'ORDER BY random()/RAND() reads and sorts every row to return a few',
      fix:
        dialect === 'postgres' ? 'TABLESAMPLE SYSTEM/BERNOULLI, or pick random keys in the id range' : 'pick random keys in the id range and fetch those rows',
    });
  }
  if (isSelect && shape.offset !== undefined && shape.offset >= DEEP_OFFSET) {
    add({
      rule: 'deep-offset',
      severity: 'medium',
      message: `OFFSET ${shape.offset}: the database reads and discards ${shape.offset} rows before returning any; each later page is slower`,
      fix: 'keyset pagination: WHERE (sort_key, id) > (:last_sort_key, :last_id) ORDER BY sort_key, id LIMIT n',
    });
  }
  if (shape.implicitCrossJoin) {
    add({
      rule: 'implicit-cross-join',
      severity: 'high',
      message: `FROM ${shape.tables.map((t) => t.name).join(', ')} without a join condition: a Cartesian product (rows × rows)`,
      fix: 'write explicit JOIN … ON with the key columns',
    });
  }
  if (isSelect && shape.distinct && shape.joinCount > 0) {
    add({
      rule: 'distinct-join-fanout',
      severity: 'low',
      message: 'DISTINCT over a JOIN often hides a fan-out: the join multiplies rows and DISTINCT sorts/hashes them back',
      fix: 'use WHERE EXISTS (SELECT 1 FROM child WHERE …) instead of JOIN + DISTINCT',
    });
  }
  const narrowing = shape.predicates.some((p) => p.source === 'where' && p.op !== 'other');
  if (isSelect && shape.tables.length > 0 && !shape.hasLimit && !shape.aggregates && shape.groupBy.length === 0 && !narrowing) {
    add({
      rule: 'missing-limit',
      severity: 'low',
      message: `unbounded read of ${shape.tables.map((t) => t.name).join(', ')}: no selective WHERE and no LIMIT, so the result grows with the table`,
      fix: 'add a LIMIT (and paginate by key), or a WHERE that bounds the rows',
    });
  }
  if (
    /count\s*\(\s*\*\s*\)(?:[^()]*\))?\s*(?:>\s*0|>=\s*1|<>\s*0|!=\s*0)(?!\d)/i.test(sql) ||
    /\b(?:0\s*<|1\s*<=)\s*\(\s*select\s+count\s*\(\s*\*\s*\)/i.test(sql)
  ) {
    add({
      rule: 'count-for-existence',
      severity: 'low',
      message: 'count(*) compared with 0 counts every matching row only to test whether one exists',
      fix: 'use EXISTS (SELECT 1 FROM … WHERE … LIMIT 1)',
    });
  }
  return items;
}

function qualified(p: { table?: string; column: string }): string {
  return p.table ? `${p.table}.${p.column}` : p.column;
}
