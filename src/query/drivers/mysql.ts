import { CancelledError, UserError } from '../../common/errors.js';
import type { Plan, PlanNode } from '../plan.js';
import { mysqlConnectionOptions } from './connect-options.js';
import { checkMysqlStatement, sqlModeFlags, type MysqlGuardResult, type SqlModeFlags } from './mysql-guard.js';
import { TransactionalDriver } from './transactional.js';
import { redactUrl } from './postgres.js';
import {
  StatementTimeoutError,
  candidateIndexName,
  quoteIdent,
  type CandidateIndex,
  type Driver,
  type ExplainRequest,
  type IndexInfo,
  type IndexTrial,
  type Protection,
} from './types.js';

/**
 * MySQL and MariaDB through mysql2. Reads run in START TRANSACTION READ ONLY; DML with
 * analyze in a transaction that is rolled back — refused for non-transactional engines
 * (MyISAM, Aria, MEMORY …) where ROLLBACK would not undo the write. Statement timeouts:
 * MariaDB `max_statement_time` (seconds), MySQL `max_execution_time` (ms, SELECT only),
 * plus `lock_wait_timeout` / `innodb_lock_wait_timeout`.
 *
 * Index candidates: MySQL has no transactional DDL (CREATE INDEX commits) and no hypothetical
 * indexes, so by default they are reported as unverified. Only when the user allows it
 * (.perf/config.json → query.allowScratchCopy) they are verified on a scratch copy: a
 * session-private TEMPORARY table with the same name, which hides the real table for this
 * connection only (MySQL/MariaDB documented behaviour) and disappears with the connection.
 */
type Connection = import('mysql2/promise').Connection;

export interface MysqlOptions {
  url: string;
  timeoutMs: number;
  signal: AbortSignal;
  /** alias → table, to name plan nodes by table (EXPLAIN shows aliases). */
  aliases?: Map<string, string>;
  /** query.allowScratchCopy: verify index candidates on a TEMPORARY copy of the table. */
  allowScratchCopy?: boolean;
  address?: string;
  /** query.trustedFunctions: stored functions ("db.name") the statement may call. */
  trustedFunctions?: readonly string[];
}

/** Tables larger than this are not copied for a scratch verification. */
export const SCRATCH_COPY_MAX_ROWS = 2_000_000;

function connectError(error: unknown, url: string): UserError {
  const e = error as { code?: string; message?: string };
  const where = redactUrl(url);
  if (e.code === 'ER_ACCESS_DENIED_ERROR' || e.code === 'ER_DBACCESS_DENIED_ERROR')
    return new UserError(`MySQL refused the credentials for ${where}: ${e.message}`, 'check the user and password in the URL');
  if (e.code === 'ER_BAD_DB_ERROR') return new UserError(`MySQL: ${e.message} (${where})`, 'check the database name in the URL');
  if (e.code === 'ECONNREFUSED')
    return new UserError(`cannot connect to MySQL at ${where}: connection refused`, 'is the server running and listening on that host/port?');
  if (e.code === 'ETIMEDOUT') return new UserError(`connecting to MySQL at ${where} timed out`, 'check the host, port and firewall');
  return new UserError(`cannot connect to MySQL at ${where}: ${e.message}`, 'check the connection URL');
}

/** The session facts the guard and the protection report need, read once after connecting. */
interface MysqlSession {
  mariadb: boolean;
  mode: SqlModeFlags;
  database: string | undefined;
  user: string;
}

export async function openMysql(options: MysqlOptions): Promise<Driver> {
  const mysql = await import('mysql2/promise');
  let conn: Connection;
  try {
    // URL parameters are an allow-list; host pinned to the checked address; multipleStatements forced off.
    conn = await mysql.createConnection({
      connectTimeout: Math.min(options.timeoutMs, 10_000),
      ...mysqlConnectionOptions({ url: options.url, ...(options.address ? { address: options.address } : {}) }),
      multipleStatements: false,
      dateStrings: true,
    });
  } catch (error) {
    throw connectError(error, options.url);
  }
  conn.on('error', () => undefined);
  const [versionRows] = await conn.query('SELECT VERSION() AS v');
  const mariadb = /mariadb/i.test(String((versionRows as Array<{ v: string }>)[0]?.v ?? ''));
  const seconds = Math.max(1, Math.ceil(options.timeoutMs / 1000));
  if (mariadb) await conn.query(`SET SESSION max_statement_time = ${options.timeoutMs / 1000}`);
  else await conn.query(`SET SESSION max_execution_time = ${Math.floor(options.timeoutMs)}`);
  await conn.query(`SET SESSION lock_wait_timeout = ${Math.min(seconds, 5)}`);
  await conn.query(`SET SESSION innodb_lock_wait_timeout = ${Math.min(seconds, 5)}`).catch(() => undefined);
  // What the guard needs to read the statement as the server will: lexing flags, the default schema, who we are.
  const [sessionRows] = await conn.query('SELECT @@SESSION.sql_mode AS m, DATABASE() AS d, CURRENT_USER() AS u');
  const session = (sessionRows as Array<{ m: string; d: string | null; u: string }>)[0];
  return new MysqlDriver(conn, options, {
    mariadb,
    mode: sqlModeFlags(String(session?.m ?? '')),
    database: session?.d ?? undefined,
    user: String(session?.u ?? 'the connected user'),
  });
}

class MysqlDriver extends TransactionalDriver {
  readonly dialect = 'mysql' as const;
  /** Re-plans on a scratch TEMPORARY copy; only with query.allowScratchCopy. */
  readonly tryIndex?: (request: ExplainRequest, candidate: CandidateIndex) => Promise<IndexTrial & { beforePlan: Plan }>;
  /** Statements the guard passed, by how they will run: explain() re-checks anything else. */
  private readonly checked = new Map<string, MysqlGuardResult>();
  /** Tables that currently have a scratch TEMPORARY copy hiding them in this session. */
  private readonly scratch = new Set<string>();
  private readonly onAbort: () => void;

  constructor(
    private readonly conn: Connection,
    private readonly options: MysqlOptions,
    private readonly session: MysqlSession,
  ) {
    super(options.signal);
    if (options.allowScratchCopy) this.tryIndex = (request, candidate) => this.tryScratchIndex(request, candidate);
    // Cancellation: KILL QUERY from a second connection, then our ROLLBACK runs.
    const threadId = conn.threadId;
    this.onAbort = () => {
      void import('mysql2/promise')
        .then((mysql) =>
          mysql.createConnection({
            ...mysqlConnectionOptions({ url: options.url, ...(options.address ? { address: options.address } : {}) }),
            connectTimeout: 2000,
          }),
        )
        .then(async (killer) => {
          await killer.query(`KILL QUERY ${Number(threadId)}`).catch(() => undefined);
          await killer.end().catch(() => undefined);
        })
        .catch(() => undefined);
    };
    options.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  protected async begin(readOnly: boolean): Promise<void> {
    await this.conn.query(readOnly ? 'START TRANSACTION READ ONLY' : 'START TRANSACTION');
  }

  protected async rollback(): Promise<boolean> {
    // A dropped connection is rolled back by the server: either way nothing stays.
    await this.conn.query('ROLLBACK').catch(() => undefined);
    return true;
  }

  protected mapError(error: unknown): Error {
    if (this.signal.aborted) return new CancelledError();
    const e = error as { code?: string; errno?: number; message?: string };
    if (e.errno === 1969 || e.errno === 3024 || e.code === 'ER_STATEMENT_TIMEOUT' || e.code === 'ER_QUERY_TIMEOUT')
      return new StatementTimeoutError(this.options.timeoutMs);
    if (e.code === 'ER_LOCK_WAIT_TIMEOUT') return new UserError(`MySQL: ${e.message}`, 'another session holds a lock; try again later');
    if (e.code === 'ER_NO_SUCH_TABLE') return new UserError(`MySQL: ${e.message}`, 'check the table name');
    if (e.code === 'ER_BAD_FIELD_ERROR') return new UserError(`MySQL: ${e.message}`, 'check the column name');
    if (e.code === 'ER_PARSE_ERROR') return new UserError(`MySQL: ${e.message}`, 'fix the SQL syntax');
    if (e.code === 'ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION')
      return new UserError(`MySQL refused a write inside our read-only transaction: ${e.message}`, 'the statement writes; nothing was changed');
    if (e.code && e.code.startsWith('ER_')) return new UserError(`MySQL: ${e.message}`, 'fix the statement or its parameters');
    return error instanceof Error ? error : new Error(String(error));
  }

  /** The catalog check (mysql-guard.ts), once per statement and way of running it. */
  private async guard(request: ExplainRequest): Promise<MysqlGuardResult> {
    const key = `${request.analyze && !request.readOnly ? 'write' : 'plan'}:${request.readOnly}:${request.sql}`;
    const known = this.checked.get(key);
    if (known) return known;
    // Catalog queries as prepared statements: no client-side escaping, whatever sql_mode says.
    const catalogQuery = async (sql: string, values: Array<string | number> = []) => {
      const [rows] = await this.conn.execute(sql, values);
      return rows as Array<Record<string, unknown>>;
    };
    try {
      const result = await checkMysqlStatement(catalogQuery, request, {
        database: this.session.database,
        mode: this.session.mode,
        trustedFunctions: this.options.trustedFunctions ?? [],
      });
      this.checked.set(key, result);
      return result;
    } catch (error) {
      throw this.mapError(error);
    }
  }

  async explain(request: ExplainRequest): Promise<Plan> {
    const params = request.params ?? [];
    const { conn, options } = this;
    // The catalog check runs before every statement shape we send (index trials re-plan the same SQL).
    await this.guard(request);
    // Reads: READ ONLY transaction, in which MariaDB refuses writes to every engine (MyISAM and
    // Aria included, and NEXT VALUE of a sequence; checked on 10.11). MariaDB refuses even a plain
    // EXPLAIN UPDATE there, so writes are planned in an ordinary transaction — EXPLAIN does not
    // execute them, the guard refused the stored functions a planner might evaluate, and it is
    // rolled back anyway. User statements go as server-side prepared statements: one statement.
    return this.inTransaction(request.readOnly, async () => {
      if (request.analyze && this.session.mariadb) {
        const [rows] = await conn.execute(`ANALYZE FORMAT=JSON ${request.sql}`, params);
        const json = JSON.parse(String(Object.values((rows as Array<Record<string, unknown>>)[0] ?? {})[0]));
        return normaliseMysqlPlan(json, true, options.aliases);
      }
      const [rows] = await conn.execute(`EXPLAIN FORMAT=JSON ${request.sql}`, params);
      const json = JSON.parse(String(Object.values((rows as Array<Record<string, unknown>>)[0] ?? {})[0]));
      const plan = normaliseMysqlPlan(json, false, options.aliases);
      if (request.analyze) {
        // MySQL's EXPLAIN ANALYZE prints a text tree only: time the statement itself instead.
        const started = performance.now();
        await conn.execute(request.sql, params);
        plan.executionMs = performance.now() - started;
        plan.analyzed = true;
      }
      return plan;
    });
  }

  async tableColumns(table: string): Promise<string[] | undefined> {
    const [rows] = await this.conn.query(
      'SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
      [table],
    );
    const names = (rows as Array<{ c: string }>).map((r) => r.c);
    return names.length ? names : undefined;
  }

  async tableRows(table: string): Promise<number | undefined> {
    const [rows] = await this.conn.query('SELECT TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [table]);
    const n = (rows as Array<{ n: number | null }>)[0]?.n;
    return n === null || n === undefined ? undefined : Number(n);
  }

  async indexes(table: string): Promise<IndexInfo[]> {
    const [rows] = await this.conn.query(
      'SELECT INDEX_NAME AS name, COLUMN_NAME AS col, SUB_PART AS sub FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX',
      [table],
    );
    const byName = new Map<string, IndexInfo>();
    for (const row of rows as Array<{ name: string; col: string | null; sub: number | null }>) {
      const info = byName.get(row.name) ?? { name: row.name, table, columns: [] };
      if (row.col) info.columns.push(row.col);
      if (row.sub !== null || !row.col) info.partial = true;
      byName.set(row.name, info);
    }
    return [...byName.values()];
  }

  async checkStatement(request: ExplainRequest): Promise<Protection> {
    const result = await this.guard(request);
    const executedWrite = request.analyze && !request.readOnly;
    const reached = `${result.tables.length ? result.tables.join(', ') : 'no table'}${result.views.length ? ` (views expanded: ${result.views.join(', ')})` : ''}`;
    return {
      statement: 'one statement: server-side prepared statement (binary protocol), multipleStatements off, executable comments refused',
      transaction: request.readOnly
        ? 'START TRANSACTION READ ONLY (the server refuses writes to every engine, MyISAM/Aria included)'
        : executedWrite
          ? 'executed in a read-write transaction that is rolled back; every table it reaches is transactional and has no trigger (information_schema)'
          : 'plain EXPLAIN (not executed) in a transaction that is rolled back',
      role: `${this.session.user}, the connected user: ${this.session.mariadb ? 'MariaDB' : 'MySQL'}'s SET ROLE adds a role's privileges to the user's own and cannot drop any, so privileges are not reduced — connect as a read-only user`,
      catalog: `information_schema: reaches ${reached}; no stored function${result.trusted.length ? ` except trusted ${result.trusted.join(', ')}` : ''}${executedWrite ? ', no trigger, transactional engines only' : ''}`,
    };
  }

  async close(): Promise<void> {
    for (const table of this.scratch) await this.conn.query(`DROP TEMPORARY TABLE IF EXISTS ${quoteIdent(table, 'mysql')}`).catch(() => undefined);
    this.signal.removeEventListener('abort', this.onAbort);
    await this.conn.end().catch(() => undefined);
  }

  /** True only when `table` resolves to a TEMPORARY table in this session (never ALTER the real one). */
  private async isScratch(table: string): Promise<boolean> {
    const [rows] = await this.conn.query(`SHOW CREATE TABLE ${quoteIdent(table, 'mysql')}`);
    const ddl = String(Object.values((rows as Array<Record<string, unknown>>)[0] ?? {})[1] ?? '');
    return /^CREATE TEMPORARY TABLE/i.test(ddl);
  }

  private async ensureScratch(table: string): Promise<void> {
    if (this.scratch.has(table)) return;
    const { conn } = this;
    const rows = await this.tableRows(table);
    if (rows !== undefined && rows > SCRATCH_COPY_MAX_ROWS) {
      throw new UserError(
        `${table} has ~${rows} rows, more than the ${SCRATCH_COPY_MAX_ROWS} a scratch copy may hold`,
        'verify this index on a staging copy instead',
      );
    }
    const copy = `perfeng_scratch_${process.pid}`;
    await conn.query(`DROP TEMPORARY TABLE IF EXISTS ${quoteIdent(copy, 'mysql')}`);
    await conn.query(`CREATE TEMPORARY TABLE ${quoteIdent(copy, 'mysql')} LIKE ${quoteIdent(table, 'mysql')}`);
    await conn.query(`INSERT INTO ${quoteIdent(copy, 'mysql')} SELECT * FROM ${quoteIdent(table, 'mysql')}`);
    await conn.query(`ALTER TABLE ${quoteIdent(copy, 'mysql')} RENAME TO ${quoteIdent(table, 'mysql')}`);
    if (!(await this.isScratch(table))) throw new Error(`scratch copy of ${table} is not in place`);
    this.scratch.add(table);
    this.warnings.push(
      `index candidates for ${table} were verified on a session-private TEMPORARY copy (query.allowScratchCopy); the real table was only read`,
    );
  }

  private async tryScratchIndex(request: ExplainRequest, candidate: CandidateIndex): Promise<IndexTrial & { beforePlan: Plan }> {
    try {
      await this.ensureScratch(candidate.table);
      const planOnly = { ...request, analyze: false };
      const beforePlan = await this.explain(planOnly);
      const name = candidateIndexName(candidate);
      const table = quoteIdent(candidate.table, 'mysql');
      // Re-checked before every ALTER: the statement must reach the TEMPORARY copy, never the real table.
      if (!(await this.isScratch(candidate.table))) throw new Error(`refusing to ALTER ${candidate.table}: it is not the scratch copy`);
      await this.conn.query(`ALTER TABLE ${table} ADD INDEX ${quoteIdent(name, 'mysql')} (${candidate.columns.map((c) => quoteIdent(c, 'mysql')).join(', ')})`);
      try {
        const plan = await this.explain(planOnly);
        return { plan, beforePlan, indexName: name, method: 'scratch-copy' as const };
      } finally {
        if (await this.isScratch(candidate.table)) await this.conn.query(`ALTER TABLE ${table} DROP INDEX ${quoteIdent(name, 'mysql')}`);
      }
    } catch (error) {
      throw this.mapError(error);
    }
  }
}

// ------------------------------------------------------------------ plan normalisation

const ACCESS_KIND: Record<string, string> = {
  ALL: 'seq-scan',
  index: 'full-index-scan',
  range: 'index-range-scan',
  ref: 'index-lookup',
  eq_ref: 'index-lookup',
  ref_or_null: 'index-lookup',
  const: 'const',
  system: 'const',
  fulltext: 'fulltext',
  index_merge: 'index-merge',
};

type Json = Record<string, unknown>;

function num(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

/**
 * Normalises MySQL (`query_block` with `cost_info`, `ordering_operation.using_filesort`,
 * `grouping_operation.using_temporary_table`) and MariaDB (`filesort`, `temporary_table`,
 * `block-nl-join`, ANALYZE's `r_rows`/`r_loops`/`r_total_time_ms`) EXPLAIN JSON.
 * Total cost: MySQL's `query_cost`; MariaDB 10.x prints none, so rows examined
 * (rows × prefix rows through the join order) stands in for it.
 */
export function normaliseMysqlPlan(json: Json, analyzed: boolean, aliases?: Map<string, string>): Plan {
  const nodes: PlanNode[] = [];
  let examined = 0;
  let prefix = 1;
  const add = (node: Omit<PlanNode, 'id'>) => {
    const full = { ...node, id: nodes.length + 1 } as PlanNode;
    nodes.push(full);
    return full.id;
  };
  const visit = (value: unknown, parentId: number | null, depth: number): void => {
    if (Array.isArray(value)) {
      value.forEach((v) => visit(v, parentId, depth));
      return;
    }
    if (!value || typeof value !== 'object') return;
    const obj = value as Json;
    for (const [key, child] of Object.entries(obj)) {
      if (!child || typeof child !== 'object') continue;
      if (key === 'table' && !Array.isArray(child) && (child as Json).table_name !== undefined) {
        const t = child as Json;
        const name = String(t.table_name);
        const relation = aliases?.get(name.toLowerCase()) ?? name;
        const access = String(t.access_type ?? '');
        const rows = num(t.rows_examined_per_scan) ?? num(t.rows);
        const filtered = num(t.filtered);
        const flags: string[] = [];
        if (t.using_filesort) flags.push('using_filesort');
        if (t.using_temporary_table) flags.push('using_temporary_table');
        if (t.using_index) flags.push('using_index');
        const loops = num(t.r_loops);
        const actualRows = num(t.r_rows);
        const actualFilteredPct = num(t.r_filtered);
        const id = add({
          parentId,
          depth,
          kind: ACCESS_KIND[access] ?? (access || 'table'),
          label: `${access || 'table'} on ${relation}${name !== relation ? ` ${name}` : ''}${t.key ? ` using ${String(t.key)}` : ''}`,
          relation,
          ...(name !== relation ? { alias: name } : {}),
          ...(t.key ? { index: String(t.key) } : {}),
          ...(t.attached_condition ? { filter: String(t.attached_condition) } : {}),
          ...(rows !== undefined ? { estimatedRows: rows } : {}),
          ...(num((t.cost_info as Json | undefined)?.prefix_cost) !== undefined ? { totalCost: num((t.cost_info as Json).prefix_cost) } : {}),
          ...(analyzed && actualRows !== undefined ? { actualRows } : {}),
          ...(analyzed && loops !== undefined ? { loops } : {}),
          // MariaDB's r_table_time_ms + r_other_time_ms is the time spent in this table alone, all loops.
          ...(analyzed && num(t.r_table_time_ms) !== undefined
            ? {
                actualTotalMs: ((num(t.r_table_time_ms) ?? 0) + (num(t.r_other_time_ms) ?? 0)) / Math.max(1, loops ?? 1),
                exclusiveMs: (num(t.r_table_time_ms) ?? 0) + (num(t.r_other_time_ms) ?? 0),
              }
            : {}),
          ...(filtered !== undefined ? { filteredPct: filtered } : {}),
          ...(analyzed && actualRows !== undefined && actualFilteredPct !== undefined
            ? { rowsRemovedByFilter: Math.round((actualRows * (100 - actualFilteredPct)) / 100) }
            : {}),
          ...(flags.length ? { flags } : {}),
        });
        if (rows !== undefined) {
          examined += prefix * rows;
          prefix *= Math.max(1, (rows * (filtered ?? 100)) / 100);
        }
        visit(Object.fromEntries(Object.entries(t).filter(([k]) => k !== 'table_name')), id, depth + 1);
        continue;
      }
      if (key === 'ordering_operation' || key === 'grouping_operation' || key === 'duplicates_removal' || key === 'filesort' || key === 'temporary_table') {
        const op = child as Json;
        const flags: string[] = [];
        if (key === 'filesort' || op.using_filesort) flags.push('using_filesort');
        if (key === 'temporary_table' || op.using_temporary_table) flags.push('using_temporary_table');
        const kind = flags.includes('using_filesort') ? 'sort' : flags.includes('using_temporary_table') ? 'temporary' : key.replace(/_/g, '-');
        const id = add({
          parentId,
          depth,
          kind,
          label:
            key === 'filesort'
              ? `filesort${op.sort_key ? ` (${String(op.sort_key)})` : ''}`
              : key === 'temporary_table'
                ? 'temporary table'
                : `${key.replace(/_/g, ' ')}${flags.length ? ` (${flags.join(', ')})` : ''}`,
          ...(flags.length ? { flags } : {}),
        });
        visit(op, id, depth + 1);
        continue;
      }
      if (key === 'r_engine_stats' || key === 'cost_info' || key === 'query_optimization') continue;
      visit(child, parentId, depth);
    }
  };
  visit(json, null, 0);
  const block = (json.query_block ?? {}) as Json;
  const queryCost = num((block.cost_info as Json | undefined)?.query_cost);
  const total = num(block.r_total_time_ms);
  if (analyzed && total && total > 0) for (const n of nodes) if (n.exclusiveMs !== undefined) n.exclusivePct = (n.exclusiveMs / total) * 100;
  return {
    dialect: 'mysql',
    analyzed,
    nodes,
    totalCost: queryCost ?? Math.round(examined),
    raw: json,
    ...(analyzed && num(block.r_total_time_ms) !== undefined ? { executionMs: num(block.r_total_time_ms) } : {}),
  };
}
