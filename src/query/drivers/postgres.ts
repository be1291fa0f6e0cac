import { CancelledError, UserError } from '../../common/errors.js';
import { computeExclusiveTimes, type Plan, type PlanNode } from '../plan.js';
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
} from './types.js';

/**
 * PostgreSQL through `pg`. Every statement runs inside BEGIN … ROLLBACK with SET LOCAL
 * statement_timeout and lock_timeout; reads in a READ ONLY transaction. Index candidates
 * are tried with HypoPG (hypothetical, nothing built) when installed, otherwise built
 * inside a transaction that is rolled back.
 */
type PgClient = import('pg').Client;

/** Volatile built-ins without side effects outside the transaction; every other volatile function is refused. */
const HARMLESS_VOLATILE = new Set([
  'random', 'clock_timestamp', 'timeofday', 'gen_random_uuid', 'uuid_generate_v4', 'uuid_generate_v1', 'statement_timestamp',
  'now', 'pg_sleep', 'txid_current', 'pg_current_xact_id', 'setseed', 'random_normal',
]);

export interface PostgresOptions {
  url: string;
  timeoutMs: number;
  useHypopg: boolean;
  signal: AbortSignal;
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

export async function openPostgres(options: PostgresOptions): Promise<Driver> {
  const { default: pg } = await import('pg');
  const client: PgClient = new pg.Client({
    connectionString: options.url,
    connectionTimeoutMillis: Math.min(options.timeoutMs, 10_000),
    application_name: 'perfeng analyze_query',
    // Belt and braces: the session default too, in case a statement runs outside our SET LOCAL.
    statement_timeout: options.timeoutMs,
    lock_timeout: Math.min(options.timeoutMs, 2000),
  });
  client.on('error', () => undefined); // a dropped connection surfaces on the next query
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw connectError(error, options.url);
  }
  const warnings: string[] = [];
  // Cancellation: ask the server to cancel the running statement (from a second connection),
  // so the ROLLBACK that follows runs at once instead of after the statement finishes.
  const onAbort = () => {
    const pid = (client as unknown as { processID?: number }).processID;
    if (!pid) return;
    const canceller = new pg.Client({ connectionString: options.url, connectionTimeoutMillis: 2000 });
    canceller.on('error', () => undefined);
    void canceller
      .connect()
      .then(() => canceller.query('SELECT pg_cancel_backend($1)', [pid]))
      .catch(() => undefined)
      .finally(() => void canceller.end().catch(() => undefined));
  };
  options.signal.addEventListener('abort', onAbort, { once: true });

  const lockTimeout = Math.min(options.timeoutMs, 2000);
  let hypopg: boolean | undefined;
  let serverVersion = 0;
  try {
    serverVersion = Number((await client.query<{ v: string }>('SHOW server_version_num')).rows[0]?.v ?? 0);
  } catch {
    // keep 0
  }

  const mapError = (error: unknown): Error => {
    if (options.signal.aborted) return new CancelledError();
    const e = error as { code?: string; message?: string; position?: string };
    if (e.code === '57014') return new StatementTimeoutError(options.timeoutMs);
    if (e.code === '55P03') return new UserError(`PostgreSQL: ${e.message} (lock_timeout ${lockTimeout} ms)`, 'another session holds a lock on the table; try again later');
    if (e.code === '42P01') return new UserError(`PostgreSQL: ${e.message}`, 'check the table name (and schema / search_path)');
    if (e.code === '42703') return new UserError(`PostgreSQL: ${e.message}`, 'check the column name');
    if (e.code === '42P02') return new UserError(`PostgreSQL: ${e.message}`, 'the statement has placeholders ($1 …): give their values in `params`');
    if (e.code === '42601') return new UserError(`PostgreSQL: ${e.message}${e.position ? ` at character ${e.position}` : ''}`, 'fix the SQL syntax');
    if (e.code === '25006') return new UserError(`PostgreSQL refused a write inside our read-only transaction: ${e.message}`, 'the statement writes; nothing was changed');
    if (e.code && /^(42|22|23|0A)/.test(e.code)) return new UserError(`PostgreSQL: ${e.message}`, 'fix the statement or its parameters');
    if ((error as NodeJS.ErrnoException)?.message?.includes('Connection terminated')) return new UserError('the PostgreSQL connection was closed during the analysis', 'check the server log');
    return error instanceof Error ? error : new Error(String(error));
  };

  /** BEGIN [READ ONLY]; SET LOCAL timeouts; work; ROLLBACK — always, also on error and cancel. */
  async function inTransaction<T>(readOnly: boolean, work: () => Promise<T>): Promise<T> {
    if (options.signal.aborted) throw new CancelledError();
    await client.query(readOnly ? 'BEGIN READ ONLY' : 'BEGIN');
    try {
      await client.query(`SET LOCAL statement_timeout = ${Math.floor(options.timeoutMs)}`);
      await client.query(`SET LOCAL lock_timeout = ${Math.floor(lockTimeout)}`);
      return await work();
    } catch (error) {
      throw mapError(error);
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
    }
  }

  const explainSql = (request: ExplainRequest, generic: boolean) => {
    const opts = request.analyze ? 'ANALYZE true, BUFFERS true, FORMAT JSON' : generic ? 'GENERIC_PLAN true, FORMAT JSON' : 'FORMAT JSON';
    return `EXPLAIN (${opts}) ${request.sql}`;
  };

  const runExplain = async (request: ExplainRequest): Promise<Plan> => {
    const hasPlaceholders = /\$\d/.test(request.sql) && !request.params?.length;
    const generic = hasPlaceholders && serverVersion >= 160000 && !request.analyze;
    const result = await client.query(explainSql(request, generic), request.params ?? []);
    const json = (result.rows[0] as Record<string, unknown>)['QUERY PLAN'];
    return normalisePostgresPlan(json, request.analyze);
  };

  const driver: Driver = {
    dialect: 'postgres',
    warnings,
    async explain(request) {
      return inTransaction(request.readOnly || !request.analyze, () => runExplain(request));
    },
    async tableColumns(table) {
      const r = await client.query<{ attname: string }>(
        'SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum',
        [quoteQualified(table, 'postgres')],
      );
      return r.rowCount ? r.rows.map((row) => row.attname) : undefined;
    },
    async tableRows(table) {
      const r = await client.query<{ n: string | null }>('SELECT reltuples::bigint AS n FROM pg_class WHERE oid = to_regclass($1)', [quoteQualified(table, 'postgres')]);
      const n = Number(r.rows[0]?.n ?? -1);
      return n >= 0 ? n : undefined;
    },
    async indexes(table): Promise<IndexInfo[]> {
      const r = await client.query<{ name: string; columns: string[]; partial: boolean; exprs: boolean }>(
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
    },
    async tryIndex(request, candidate: CandidateIndex): Promise<IndexTrial> {
      if (hypopg === undefined) {
        hypopg = false;
        const lockNote = 'index candidates were built with CREATE INDEX inside a transaction that was rolled back (it takes a SHARE lock that blocks writes to the table while each index builds)';
        if (options.useHypopg) {
          const r = await client.query("SELECT 1 FROM pg_extension WHERE extname = 'hypopg'");
          hypopg = (r.rowCount ?? 0) > 0;
          if (!hypopg) warnings.push(`HypoPG is not installed in this database: ${lockNote}. CREATE EXTENSION hypopg avoids that.`);
        } else warnings.push(`useHypopg is false: ${lockNote}`);
      }
      const name = candidateIndexName(candidate);
      const ddl = `CREATE INDEX ${quoteIdent(name, 'postgres')} ON ${quoteQualified(candidate.table, 'postgres')} (${candidate.columns.map((c) => quoteIdent(c, 'postgres')).join(', ')})`;
      const planOnly = { ...request, analyze: false };
      if (hypopg) {
        // HypoPG indexes live in this backend's memory only; the planner sees them in plain
        // EXPLAIN (EXPLAIN ANALYZE ignores them because they cannot be executed).
        return inTransaction(true, async () => {
          try {
            const created = await client.query<{ indexname: string }>('SELECT indexname FROM hypopg_create_index($1)', [ddl]);
            const plan = await runExplain(planOnly);
            return { plan, indexName: created.rows[0]?.indexname ?? name, method: 'hypopg' as const };
          } finally {
            await client.query('SELECT hypopg_reset()').catch(() => undefined);
          }
        });
      }
      return inTransaction(false, async () => {
        await client.query(ddl);
        const plan = await runExplain(planOnly);
        let ms: number | undefined;
        if (request.analyze && request.readOnly) {
          const analyzed = await runExplain(request);
          ms = analyzed.executionMs;
        }
        return { plan, indexName: name, method: 'rollback' as const, ...(ms !== undefined ? { ms } : {}) };
      });
    },
    async checkFunctions(names) {
      const bare = [...new Set(names.map((n) => n.split('.').pop()!.toLowerCase()))];
      if (!bare.length) return;
      const r = await client.query<{ proname: string; provolatile: string }>(
        "SELECT DISTINCT proname, provolatile FROM pg_proc WHERE proname = ANY($1) AND provolatile = 'v'",
        [bare],
      );
      const risky = r.rows.map((row) => row.proname).filter((name) => !HARMLESS_VOLATILE.has(name));
      if (risky.length) {
        throw new UserError(
          `refusing to analyse a statement that calls volatile function${risky.length > 1 ? 's' : ''} ${risky.map((n) => `${n}()`).join(', ')}: a volatile function may change data or have effects outside the transaction`,
          'analyse the query without the call, or mark the function STABLE/IMMUTABLE if it really has no side effects',
        );
      }
    },
    async settings() {
      try {
        const r = await client.query<{ setting: string }>("SELECT setting FROM pg_settings WHERE name = 'work_mem'");
        return { workMemKb: Number(r.rows[0]?.setting) };
      } catch {
        return {};
      }
    },
    async close() {
      options.signal.removeEventListener('abort', onAbort);
      await client.end().catch(() => undefined);
    },
  };
  return driver;
}

/** pg_stat_statements top N by total time (PostgreSQL 13+ column names). */
export async function readStatStatements(url: string, limit: number, timeoutMs: number): Promise<Array<Record<string, unknown>>> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: Math.min(timeoutMs, 10_000), statement_timeout: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw connectError(error, url);
  }
  try {
    const r = await client.query(
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
    if (e.code === '42P01') throw new UserError('pg_stat_statements is not installed in this database', 'run CREATE EXTENSION pg_stat_statements (it also needs shared_preload_libraries = \'pg_stat_statements\' and a restart)');
    if (e.code === '55000') throw new UserError(`pg_stat_statements is not loaded: ${e.message}`, "add shared_preload_libraries = 'pg_stat_statements' to postgresql.conf and restart the server");
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
