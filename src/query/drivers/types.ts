import type { Plan, Dialect } from '../plan.js';

/** What every database driver offers the pipeline. Each call cleans up after itself. */
export type BindValue = string | number | boolean | null;

export interface ExplainRequest {
  sql: string;
  params?: BindValue[];
  /** Execute the statement (EXPLAIN ANALYZE); otherwise plan only. */
  analyze: boolean;
  /** The statement cannot write: run in a read-only transaction / connection. */
  readOnly: boolean;
  /** Tables the statement touches (MySQL checks their engines before a rolled-back write). */
  tables?: string[];
  /** insert/update/delete/merge/select: which catalog objects an executed write reaches (defaults). */
  kind?: string;
  /** Function names our parser saw (a second layer only: the catalog check is the first). */
  functions?: string[];
}

/** Which protections applied to a statement: reported in the result as `protection`. */
export interface Protection {
  /** How "one statement" is enforced (extended protocol, prepared statement …). */
  statement: string;
  /** READ ONLY, or read-write rolled back. */
  transaction: string;
  /** The role (user) the statement ran as. */
  role: string;
  /** What the catalog check found, or why there was none. */
  catalog: string;
}

export interface IndexInfo {
  name: string;
  table: string;
  columns: string[];
  /** Partial or expression index: does not cover plain column candidates. */
  partial?: boolean;
}

export interface CandidateIndex {
  table: string;
  columns: string[];
}

export interface IndexTrial {
  plan: Plan;
  indexName: string;
  method: 'hypopg' | 'rollback' | 'expert' | 'scratch-copy';
  /** Measured execution time with the index in place, when it was safe to run. */
  ms?: number;
}

export interface Driver {
  readonly dialect: Dialect;
  /** Things the caller should know (e.g. no HypoPG, locks taken). */
  readonly warnings: string[];
  explain(request: ExplainRequest): Promise<Plan>;
  tableColumns(table: string): Promise<string[] | undefined>;
  tableRows(table: string): Promise<number | undefined>;
  indexes(table: string): Promise<IndexInfo[]>;
  /** Re-plans with the candidate index in place; never persists it. Undefined when it cannot verify (MySQL). */
  tryIndex?(request: ExplainRequest, candidate: CandidateIndex): Promise<IndexTrial>;
  /**
   * Checks the statement against the server's catalog before any EXPLAIN (user code, triggers,
   * rules, non-transactional tables); throws a UserError saying why it is refused, otherwise
   * returns the protections that will apply.
   */
  checkStatement(request: ExplainRequest): Promise<Protection>;
  /** Dialect settings rules may quote (PostgreSQL work_mem in kB). */
  settings(): Promise<{ workMemKb?: number }>;
  close(): Promise<void>;
}

/** The statement ran into our statement timeout. */
export class StatementTimeoutError extends Error {
  override readonly name = 'StatementTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`the statement was stopped by the ${timeoutMs} ms statement timeout`);
  }
}

export function candidateIndexName(candidate: CandidateIndex): string {
  const base = `perfeng_${candidate.table}_${candidate.columns.join('_')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  return base.length > 60 ? base.slice(0, 60) : base;
}

export function quoteIdent(name: string, dialect: Dialect): string {
  if (dialect === 'mysql') return `\`${name.replace(/`/g, '``')}\``;
  return `"${name.replace(/"/g, '""')}"`;
}

/** "public.orders" → quoted per part. */
export function quoteQualified(name: string, dialect: Dialect): string {
  return name
    .split('.')
    .map((p) => quoteIdent(p, dialect))
    .join('.');
}
