import { CancelledError, UserError } from '../../common/errors.js';
import { round } from '../../common/units.js';
import { postgresClientConfig, type TlsFileAccess } from './connect-options.js';
import { type CatalogReport, checkPostgresCatalog, type PgQuery } from './pg-guard.js';
import { computeExclusiveTimes, type Plan, type PlanNode } from '../plan.js';
import { TransactionalDriver } from './transactional.js';
import {
  StatementTimeoutError,
  candidateIndexName,
  quoteIdent,
  quoteQualified,
  type CandidateIndex,
  type Driver,
  type ExplainRequest,
  type IndexInfo,
  type IndexTrial,
  type Protection,
} from './types.js';

/**
 * PostgreSQL through `pg`. Safety comes from the server, in layers:
 * - one statement per message: every query goes over the extended protocol (Parse/Bind/
 *   Execute), which refuses a second command, so nothing hidden after a `;` ever runs;
 * - session settings that change how text is read or what runs are pinned after connecting
 *   (standard_conforming_strings, search_path, timeouts), and URL parameters are an
 *   allow-list (connect-options.ts);
 * - the catalog check (pg-guard.ts) refuses user-defined code, triggers and rules first;
 * - reads (plans, index trials, EXPLAIN ANALYZE of a SELECT) run in a READ ONLY transaction
 *   under a least-privilege role (`query.role`, or perfeng_readonly with pg_read_all_data,
 *   created when we connect as a superuser); executed writes in a transaction rolled back.
 * Index candidates are tried with HypoPG (hypothetical, nothing built) when installed,
 * otherwise built inside a transaction that is switched to READ ONLY before the EXPLAIN and
 * rolled back. Every transaction opens and ends on the shared base (transactional.ts), as
 * SQLite's and MariaDB's do: always a ROLLBACK, and a connection whose ROLLBACK failed is closed.
 */
type PgClient = import('pg').Client;

/** The role created for plans when we connect as a superuser and query.role is not set. */
export const DEFAULT_READONLY_ROLE = 'perfeng_readonly';

export interface PostgresOptions {
  url: string;
  /** The address the host allow-list checked; the connection goes there. */
  address?: string;
  timeoutMs: number;
  useHypopg: boolean;
  signal: AbortSignal;
  /** query.role: run plans as this role (SET LOCAL ROLE). */
  role?: string;
  /** query.searchPath, pinned after connecting. */
  searchPath?: readonly string[];
  /** query.trustedFunctions: exact "schema.name" of user functions that may run. */
  trustedFunctions?: readonly string[];
  /** Where TLS files named in the URL may be read from; without it sslrootcert/sslcert/sslkey are refused. */
  tlsFiles?: TlsFileAccess;
}

function connectError(error: unknown, url: string): UserError {
  const e = error as NodeJS.ErrnoException & { code?: string };
  const where = redactUrl(url);
  switch (e.code) {
    case '28P01':
    case '28000':
      return new UserError(`PostgreSQL refused the credentials for ${where}: ${e.message}`, 'check the user and password in the URL');
    case '3D000':
      return new UserError(`PostgreSQL: ${e.message} (${where})`, 'check the database name in the URL');
    case 'ECONNREFUSED':
      return new UserError(`cannot connect to PostgreSQL at ${where}: connection refused`, 'is the server running and listening on that host/port?');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UserError(`cannot resolve the PostgreSQL host in ${where}`, 'check the host name');
    case 'ETIMEDOUT':
      return new UserError(`connecting to PostgreSQL at ${where} timed out`, 'check the host, port and firewall');
    default:
      return new UserError(`cannot connect to PostgreSQL at ${where}: ${e.message}`, 'check the connection URL');
  }
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/** Every statement over the extended protocol: the server refuses more than one command. */
export function extendedQuery(client: PgClient): PgQuery {
  return (async (text: string, values: unknown[] = []) =>
    client.query({ text, values, queryMode: 'extended' } as import('pg').QueryConfig)) as unknown as PgQuery;
}

async function connectPinned(
  options: Pick<PostgresOptions, 'url' | 'address' | 'timeoutMs' | 'tlsFiles'>,
  extra: import('pg').ClientConfig = {},
): Promise<PgClient> {
  const { default: pg } = await import('pg');
  const config = await postgresClientConfig({ url: options.url, ...(options.address ? { address: options.address } : {}) }, options.tlsFiles);
  const client: PgClient = new pg.Client({ connectionTimeoutMillis: Math.min(options.timeoutMs, 10_000), ...config, ...extra });
  client.on('error', () => undefined); // a dropped connection surfaces on the next query
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw connectError(error, options.url);
  }
  return client;
}

/** Pins the settings that change lexing or what runs, whatever the server or database default says. */
async function pinSession(q: PgQuery, timeoutMs: number, searchPath: readonly string[]): Promise<void> {
  await q('SET standard_conforming_strings = on');
  await q(`SET search_path = ${searchPath.length ? searchPath.map((s) => quoteIdent(s, 'postgres')).join(', ') : "''"}`);
  await q(`SET statement_timeout = ${Math.floor(timeoutMs)}`);
  await q(`SET lock_timeout = ${Math.floor(Math.min(timeoutMs, 2000))}`);
  await q(`SET idle_in_transaction_session_timeout = ${Math.floor(Math.max(timeoutMs * 2, 10_000))}`);
  await q('SET check_function_bodies = on');
  await q("SET client_encoding = 'UTF8'");
}

/**
 * The role plans run as: query.role when set (we must be a member), else perfeng_readonly
 * (pg_read_all_data) — created when we are a superuser, who could read everything anyway;
 * undefined (the connected user, with a warning) otherwise.
 */
async function chooseReadRole(q: PgQuery, configured: string | undefined, warnings: string[]): Promise<string | undefined> {
  if (configured) {
    const r = await q<{ ok: boolean | null }>("SELECT pg_has_role(current_user, oid, 'MEMBER') AS ok FROM pg_roles WHERE rolname = $1", [configured]);
    const row = r.rows[0];
    if (!row)
      throw new UserError(
        `query.role "${configured}" does not exist on this server`,
        'create it (e.g. CREATE ROLE … NOLOGIN; GRANT pg_read_all_data TO …) or fix query.role in .perf/config.json',
      );
    if (!row.ok) throw new UserError(`the connected user is not a member of query.role "${configured}"`, `GRANT "${configured}" TO the user in the URL`);
    return configured;
  }
  const me = await q<{ su: boolean; has: boolean; member: boolean | null }>(
    `SELECT rolsuper AS su, EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS has,
            (SELECT pg_has_role(current_user, oid, 'MEMBER') FROM pg_roles WHERE rolname = $1) AS member
       FROM pg_roles WHERE rolname = current_user`,
    [DEFAULT_READONLY_ROLE],
  );
  const row = me.rows[0];
  if (row?.has && row.member) return DEFAULT_READONLY_ROLE;
  if (row?.su) {
    try {
      await q(`CREATE ROLE ${DEFAULT_READONLY_ROLE} NOLOGIN`);
    } catch (error) {
      if ((error as { code?: string }).code !== '42710') throw error; // created meanwhile by another session
    }
    await q(`GRANT pg_read_all_data TO ${DEFAULT_READONLY_ROLE}`).catch(() => undefined);
    return DEFAULT_READONLY_ROLE;
  }
  warnings.push(
    `plans ran as the connected user (no query.role configured, and ${DEFAULT_READONLY_ROLE} is not available): connect with a read-only role, or set query.role`,
  );
  return undefined;
}

/** The session facts read once after connecting. */
interface PostgresSession {
  /** The role reads run as (SET LOCAL ROLE); undefined: the connected user. */
  readRole: string | undefined;
  connectedUser: string;
  /** server_version_num, 0 when unknown. */
  serverVersion: number;
  /** What choosing the read role had to say. */
  warnings: string[];
}

export async function openPostgres(options: PostgresOptions): Promise<Driver> {
  const client = await connectPinned(options, { application_name: 'perfeng analyze_query' });
  const q = extendedQuery(client);
  const warnings: string[] = [];
  let readRole: string | undefined;
  let connectedUser: string;
  try {
    await pinSession(q, options.timeoutMs, options.searchPath ?? ['$user', 'public']);
    readRole = await chooseReadRole(q, options.role, warnings);
    connectedUser = String((await q<{ u: string }>('SELECT current_user AS u')).rows[0]?.u ?? '');
  } catch (error) {
    await client.end().catch(() => undefined);
    if (error instanceof UserError) throw error;
    throw new UserError(`PostgreSQL: could not prepare the session: ${(error as Error).message}`, 'check the connection and the server log');
  }
  let serverVersion = 0;
  try {
    serverVersion = Number((await q<{ v: string }>('SHOW server_version_num')).rows[0]?.v ?? 0);
  } catch {
    // keep 0
  }
  return new PostgresDriver(client, options, { readRole, connectedUser, serverVersion, warnings });
}

/** How a transaction runs: READ ONLY or not, as which role, with DDL to run before both apply. */
interface TransactionMode {
  readOnly: boolean;
  role?: string | undefined;
  /** Runs before the switch to READ ONLY and to the role (the index a trial builds). */
  setup?: () => Promise<void>;
}

class PostgresDriver extends TransactionalDriver {
  readonly dialect = 'postgres' as const;
  private readonly q: PgQuery;
  private readonly lockTimeout: number;
  /** HypoPG installed and wanted; undefined until the first index trial asks. */
  private hypopg: boolean | undefined;
  private readonly onAbort: () => void;

  constructor(
    private readonly client: PgClient,
    private readonly options: PostgresOptions,
    private readonly session: PostgresSession,
  ) {
    super(options.signal);
    this.q = extendedQuery(client);
    this.lockTimeout = Math.min(options.timeoutMs, 2000);
    this.warnings.push(...session.warnings);
    // Cancellation: ask the server to cancel the running statement (from a second connection),
    // so the ROLLBACK that follows runs at once instead of after the statement finishes.
    this.onAbort = () => {
      const pid = (client as unknown as { processID?: number }).processID;
      if (!pid) return;
      void connectPinned(options, { connectionTimeoutMillis: 2000 })
        .then(async (canceller) => {
          await extendedQuery(canceller)('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
          await canceller.end().catch(() => undefined);
        })
        .catch(() => undefined);
    };
    options.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  // ---------------------------------------------------------------- the transactional base's hooks

  /** BEGIN [READ ONLY], then this transaction's own statement and lock timeouts. */
  protected async begin(readOnly: boolean): Promise<void> {
    await this.q(readOnly ? 'BEGIN READ ONLY' : 'BEGIN');
    await this.q(`SET LOCAL statement_timeout = ${Math.floor(this.options.timeoutMs)}`);
    await this.q(`SET LOCAL lock_timeout = ${Math.floor(this.lockTimeout)}`);
  }

  /** ROLLBACK succeeds in an aborted transaction too (a timeout, a cancel): it fails only when the session does. */
  protected async rollback(): Promise<boolean> {
    try {
      await this.q('ROLLBACK');
      return true;
    } catch {
      return false;
    }
  }

  /**
   * ROLLBACK failed: the session is gone (the server rolled its transaction back when it went)
   * or in a state we cannot trust. Ending the connection makes the server discard whatever
   * transaction it still holds; later calls fail as "connection closed", none runs in it.
   */
  protected override async recover(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }

  protected mapError(error: unknown): Error {
    if (this.signal.aborted) return new CancelledError();
    const e = error as { code?: string; message?: string; position?: string };
    if (e.code === '57014') return new StatementTimeoutError(this.options.timeoutMs);
    if (e.code === '55P03')
      return new UserError(`PostgreSQL: ${e.message} (lock_timeout ${this.lockTimeout} ms)`, 'another session holds a lock on the table; try again later');
    if (e.code === '42P01') return new UserError(`PostgreSQL: ${e.message}`, 'check the table name (and schema / search_path)');
    if (e.code === '42703') return new UserError(`PostgreSQL: ${e.message}`, 'check the column name');
    if (e.code === '08P01' && /bind message supplies/.test(e.message ?? ''))
      return new UserError(`PostgreSQL: ${e.message}`, 'the statement has placeholders ($1 …): give their values in `params`');
    if (e.code === '42P02') return new UserError(`PostgreSQL: ${e.message}`, 'the statement has placeholders ($1 …): give their values in `params`');
    if (e.code === '42601') return new UserError(`PostgreSQL: ${e.message}${e.position ? ` at character ${e.position}` : ''}`, 'fix the SQL syntax');
    if (e.code === '25006')
      return new UserError(`PostgreSQL refused a write inside our read-only transaction: ${e.message}`, 'the statement writes; nothing was changed');
    if (e.code && /^(42|22|23|0A)/.test(e.code)) return new UserError(`PostgreSQL: ${e.message}`, 'fix the statement or its parameters');
    // "Connection terminated": dropped during the statement; "… is not queryable": dropped before, or ended by recover().
    if (/Connection terminated|is not queryable/.test((error as Error | undefined)?.message ?? ''))
      return new UserError('the PostgreSQL connection was closed during the analysis', 'check the server log');
    return error instanceof Error ? error : new Error(String(error));
  }

  /**
   * BEGIN [READ ONLY]; SET LOCAL timeouts (begin); [setup; SET TRANSACTION READ ONLY]; [SET
   * LOCAL ROLE]; work; ROLLBACK — always, also on error and cancel (the base's inTransaction).
   * A transaction with `setup` begins read-write and goes READ ONLY after it: going read-only
   * is allowed at any point of a transaction, and nothing can switch it back.
   */
  private transaction<T>(mode: TransactionMode, work: () => Promise<T>): Promise<T> {
    const { setup, role } = mode;
    return this.inTransaction(mode.readOnly && !setup, async () => {
      if (setup) {
        await setup();
        if (mode.readOnly) await this.q('SET TRANSACTION READ ONLY');
      }
      if (role) await this.q(`SET LOCAL ROLE ${quoteIdent(role, 'postgres')}`);
      return work();
    });
  }

  // ---------------------------------------------------------------- plans

  /** Reads run as the read role; writes need the connected user's privileges (and are rolled back). */
  private modeFor(request: ExplainRequest): TransactionMode {
    const readOnly = request.readOnly || !request.analyze;
    return { readOnly, role: request.readOnly ? this.session.readRole : undefined };
  }

  private async runExplain(request: ExplainRequest): Promise<Plan> {
    const hasPlaceholders = /\$\d/.test(request.sql) && !request.params?.length;
    const generic = hasPlaceholders && this.session.serverVersion >= 160000 && !request.analyze;
    const opts = request.analyze ? 'ANALYZE true, BUFFERS true, FORMAT JSON' : generic ? 'GENERIC_PLAN true, FORMAT JSON' : 'FORMAT JSON';
    const result = await this.q(`EXPLAIN (${opts}) ${request.sql}`, request.params ?? []);
    const json = result.rows[0]?.['QUERY PLAN'];
    return normalisePostgresPlan(json, request.analyze);
  }

  // ---------------------------------------------------------------- Driver

  async explain(request: ExplainRequest): Promise<Plan> {
    return this.transaction(this.modeFor(request), () => this.runExplain(request));
  }

  async tableColumns(table: string): Promise<string[] | undefined> {
    const r = await this.q<{ attname: string }>(
      'SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum',
      [quoteQualified(table, 'postgres')],
    );
    return r.rowCount ? r.rows.map((row) => row.attname) : undefined;
  }

  async tableRows(table: string): Promise<number | undefined> {
    const r = await this.q<{ n: string | null }>('SELECT reltuples::bigint AS n FROM pg_class WHERE oid = to_regclass($1)', [
      quoteQualified(table, 'postgres'),
    ]);
    const n = Number(r.rows[0]?.n ?? -1);
    return n >= 0 ? n : undefined;
  }

  async indexes(table: string): Promise<IndexInfo[]> {
    const r = await this.q<{ name: string; columns: string[]; partial: boolean; exprs: boolean }>(
      `SELECT i.relname AS name,
              array_agg(a.attname ORDER BY k.ord) FILTER (WHERE a.attname IS NOT NULL) AS columns,
              x.indpred IS NOT NULL AS partial, x.indexprs IS NOT NULL AS exprs
         FROM pg_index x
         JOIN pg_class i ON i.oid = x.indexrelid
         CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
         LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum AND k.attnum > 0
        WHERE x.indrelid = to_regclass($1) AND k.ord <= x.indnkeyatts
        GROUP BY i.relname, x.indpred, x.indexprs`,
      [quoteQualified(table, 'postgres')],
    );
    return r.rows.map((row) => ({ name: row.name, table, columns: row.columns ?? [], partial: row.partial || row.exprs }));
  }

  /** HypoPG installed in this database and allowed by useHypopg; says once how trials are done otherwise. */
  private async useHypopg(): Promise<boolean> {
    if (this.hypopg !== undefined) return this.hypopg;
    this.hypopg = false;
    const lockNote =
      'index candidates were built with CREATE INDEX inside a transaction that was rolled back (it takes a SHARE lock that blocks writes to the table while each index builds)';
    if (this.options.useHypopg) {
      const r = await this.q("SELECT 1 FROM pg_extension WHERE extname = 'hypopg'");
      this.hypopg = (r.rowCount ?? 0) > 0;
      if (!this.hypopg) this.warnings.push(`HypoPG is not installed in this database: ${lockNote}. CREATE EXTENSION hypopg avoids that.`);
    } else this.warnings.push(`useHypopg is false: ${lockNote}`);
    return this.hypopg;
  }

  async tryIndex(request: ExplainRequest, candidate: CandidateIndex): Promise<IndexTrial> {
    const { q } = this;
    const name = candidateIndexName(candidate);
    const ddl = `CREATE INDEX ${quoteIdent(name, 'postgres')} ON ${quoteQualified(candidate.table, 'postgres')} (${candidate.columns.map((c) => quoteIdent(c, 'postgres')).join(', ')})`;
    const planOnly = { ...request, analyze: false };
    const role = request.readOnly ? this.session.readRole : undefined;
    if (await this.useHypopg()) {
      // HypoPG indexes live in this backend's memory only; the planner sees them in plain
      // EXPLAIN (EXPLAIN ANALYZE ignores them because they cannot be executed).
      let reset = false;
      try {
        return await this.transaction({ readOnly: true, role }, async () => {
          try {
            const created = await q<{ indexname: string }>('SELECT indexname FROM hypopg_create_index($1)', [ddl]);
            const plan = await this.runExplain(planOnly);
            return { plan, indexName: created.rows[0]?.indexname ?? name, method: 'hypopg' as const };
          } finally {
            reset = await q('SELECT hypopg_reset()').then(
              () => true,
              () => false,
            );
          }
        });
      } finally {
        // A failed statement aborts the transaction, and the reset inside it fails with it; the
        // hypothetical index is not transactional and would bend every later plan: reset it in a
        // READ ONLY transaction of its own.
        if (!reset) await this.transaction({ readOnly: true }, () => q('SELECT hypopg_reset()')).catch(() => undefined);
      }
    }
    // The index is built as the connected user (it owns the table); the EXPLAIN that follows
    // runs with the transaction switched to READ ONLY and, for reads, as the read role.
    return this.transaction({ readOnly: true, role, setup: async () => void (await q(ddl)) }, async () => {
      const plan = await this.runExplain(planOnly);
      let ms: number | undefined;
      if (request.analyze && request.readOnly) {
        const analyzed = await this.runExplain(request);
        ms = analyzed.executionMs;
      }
      return { plan, indexName: name, method: 'rollback' as const, ...(ms !== undefined ? { ms } : {}) };
    });
  }

  async checkStatement(request: ExplainRequest): Promise<Protection> {
    const executedWrite = request.analyze && !request.readOnly;
    let report: CatalogReport;
    try {
      report = await checkPostgresCatalog(this.q, request.sql, {
        executedWrite,
        ...(request.kind ? { kind: request.kind } : {}),
        usesDefaults: request.kind === 'insert' || request.kind === 'merge' || /\bdefault\b/i.test(request.sql),
        trustedFunctions: this.options.trustedFunctions ?? [],
        timeoutMs: this.options.timeoutMs,
      });
    } catch (error) {
      throw error instanceof UserError ? error : this.mapError(error);
    }
    const mode = this.modeFor(request);
    const trusted = report.trustedFunctions.length ? `; trusted functions run: ${report.trustedFunctions.join(', ')}` : '';
    return {
      statement: 'one statement: extended protocol (server refuses a second command); standard_conforming_strings and search_path pinned',
      transaction: mode.readOnly ? 'READ ONLY transaction, rolled back' : 'read-write transaction, rolled back',
      role: mode.role ? `${mode.role} (SET LOCAL ROLE)` : `connected user ${this.session.connectedUser}`,
      catalog: `checked ${report.relations.length} relation(s), no untrusted user code, triggers or rules${trusted} (${round(report.ms, 1)} ms)`,
    };
  }

  override async settings(): Promise<{ workMemKb?: number }> {
    try {
      const r = await this.q<{ setting: string }>("SELECT setting FROM pg_settings WHERE name = 'work_mem'");
      return { workMemKb: Number(r.rows[0]?.setting) };
    } catch {
      return {};
    }
  }

  async close(): Promise<void> {
    this.signal.removeEventListener('abort', this.onAbort);
    await this.client.end().catch(() => undefined);
  }
}

/** pg_stat_statements top N by total time (PostgreSQL 13+ column names). */
export async function readStatStatements(
  url: string,
  limit: number,
  timeoutMs: number,
  address?: string,
  tlsFiles?: TlsFileAccess,
): Promise<Array<Record<string, unknown>>> {
  const client = await connectPinned({ url, ...(address ? { address } : {}), timeoutMs, ...(tlsFiles ? { tlsFiles } : {}) }, { statement_timeout: timeoutMs });
  try {
    const r = await extendedQuery(client)(
      `SELECT query, calls, total_exec_time AS total_ms, mean_exec_time AS mean_ms, rows, shared_blks_hit, shared_blks_read
         FROM pg_stat_statements
        WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND query NOT ILIKE 'EXPLAIN%'
          AND toplevel
          AND query NOT LIKE '%pg_stat_statements%'
        ORDER BY total_exec_time DESC LIMIT $1`,
      // Utility statements (CREATE, SET, VACUUM …) are tracked too; read extra rows so the caller can drop them.
      [limit * 4],
    );
    return r.rows;
  } catch (error) {
    const e = error as { code?: string; message?: string };
    if (e.code === '42P01')
      throw new UserError(
        'pg_stat_statements is not installed in this database',
        "run CREATE EXTENSION pg_stat_statements (it also needs shared_preload_libraries = 'pg_stat_statements' and a restart)",
      );
    if (e.code === '55000')
      throw new UserError(
        `pg_stat_statements is not loaded: ${e.message}`,
        "add shared_preload_libraries = 'pg_stat_statements' to postgresql.conf and restart the server",
      );
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

// ------------------------------------------------------------------ plan normalisation

const PG_KIND: Record<string, string> = {
  'Seq Scan': 'seq-scan',
  'Parallel Seq Scan': 'seq-scan',
  'Index Scan': 'index-scan',
  'Index Only Scan': 'index-only-scan',
  'Bitmap Heap Scan': 'bitmap-heap-scan',
  'Bitmap Index Scan': 'bitmap-index-scan',
  Sort: 'sort',
  'Incremental Sort': 'sort',
  Hash: 'hash',
  'Hash Join': 'hash-join',
  'Merge Join': 'merge-join',
  'Nested Loop': 'nested-loop',
  Aggregate: 'aggregate',
  Limit: 'limit',
  Gather: 'gather',
  'Gather Merge': 'gather',
  Materialize: 'materialize',
  Memoize: 'memoize',
};

type PgJsonNode = Record<string, unknown> & { Plans?: PgJsonNode[] };

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
function str(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}

export function normalisePostgresPlan(json: unknown, analyzed: boolean): Plan {
  const root = (Array.isArray(json) ? json[0] : json) as Record<string, unknown> | undefined;
  if (!root || typeof root !== 'object' || !root.Plan) throw new Error('unexpected EXPLAIN output from PostgreSQL');
  const nodes: PlanNode[] = [];
  const walk = (node: PgJsonNode, parentId: number | null, depth: number) => {
    const id = nodes.length + 1;
    const type = String(node['Node Type']);
    const relation = str(node['Relation Name']);
    const alias = str(node.Alias);
    const index = str(node['Index Name']);
    let label = type;
    if (node.Strategy && type === 'Aggregate') label = `${str(node.Strategy)} ${type}`;
    if (node['Join Type'] && type.includes('Join') && node['Join Type'] !== 'Inner') label = `${type} (${str(node['Join Type'])})`;
    if (index && relation) label += ` using ${index} on ${relation}`;
    else if (index) label += ` on ${index}`;
    else if (relation) label += ` on ${relation}`;
    if (alias && relation && alias !== relation) label += ` ${alias}`;
    const filter = str(node.Filter) ?? str(node['Join Filter']) ?? str(node['Hash Cond']) ?? str(node['Merge Cond']) ?? str(node['Recheck Cond']);
    const out: PlanNode = {
      id,
      parentId,
      depth,
      kind: PG_KIND[type] ?? type.toLowerCase().replace(/[^a-z]+/g, '-'),
      label,
      ...(relation ? { relation } : {}),
      ...(alias ? { alias } : {}),
      ...(index ? { index } : {}),
      ...(filter ? { filter } : {}),
      ...(str(node['Index Cond']) ? { indexCond: str(node['Index Cond']) } : {}),
    };
    const set = <K extends keyof PlanNode>(key: K, value: PlanNode[K] | undefined) => {
      if (value !== undefined) out[key] = value;
    };
    set('estimatedRows', num(node['Plan Rows']));
    set('startupCost', num(node['Startup Cost']));
    set('totalCost', num(node['Total Cost']));
    set('actualRows', num(node['Actual Rows']));
    set('actualTotalMs', num(node['Actual Total Time']));
    set('loops', num(node['Actual Loops']));
    set('rowsRemovedByFilter', num(node['Rows Removed by Filter']) ?? num(node['Rows Removed by Index Recheck']));
    set('rowsRemovedByJoinFilter', num(node['Rows Removed by Join Filter']));
    set('heapFetches', num(node['Heap Fetches']));
    set('sortMethod', str(node['Sort Method']));
    set('sortSpaceType', str(node['Sort Space Type']));
    set('sortSpaceKb', num(node['Sort Space Used']));
    set('hashBatches', num(node['Hash Batches']));
    set('originalHashBatches', num(node['Original Hash Batches']));
    set('peakMemoryKb', num(node['Peak Memory Usage']));
    set('lossyHeapBlocks', num(node['Lossy Heap Blocks']));
    set('exactHeapBlocks', num(node['Exact Heap Blocks']));
    set('sharedHitBlocks', num(node['Shared Hit Blocks']));
    set('sharedReadBlocks', num(node['Shared Read Blocks']));
    set('tempWrittenBlocks', num(node['Temp Written Blocks']));
    set('workers', num(node['Workers Launched']));
    nodes.push(out);
    for (const child of node.Plans ?? []) walk(child, id, depth + 1);
  };
  walk(root.Plan as PgJsonNode, null, 0);
  const plan: Plan = {
    dialect: 'postgres',
    analyzed,
    nodes,
    raw: json,
    ...(nodes[0]?.totalCost !== undefined ? { totalCost: nodes[0].totalCost } : {}),
    ...(num(root['Planning Time']) !== undefined ? { planningMs: num(root['Planning Time']) } : {}),
    ...(num(root['Execution Time']) !== undefined ? { executionMs: num(root['Execution Time']) } : {}),
  };
  if (analyzed) computeExclusiveTimes(plan);
  return plan;
}
