import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { access, constants, stat } from 'node:fs/promises';
import { CancelledError, UserError } from '../../common/errors.js';
import { confinedPath } from '../../common/input-files.js';
import type { Plan } from '../plan.js';
import { normaliseSqlitePlan, parseStat1, type EqpRow, type SqliteStats } from './sqlite-plan.js';
import { SqliteChild, type SqliteReply } from './sqlite-child.js';
import { TransactionalDriver } from './transactional.js';
import {
  StatementTimeoutError,
  candidateIndexName,
  quoteIdent,
  type CandidateIndex,
  type Driver,
  type ExplainRequest,
  type IndexInfo,
  type IndexTrial,
  type BindValue,
  type Protection,
} from './types.js';

/**
 * SQLite through better-sqlite3 in a helper process (see sqlite-child.ts). Reads run on a
 * connection opened read-only; writes (DML with analyze, index trials) on a second
 * connection inside a transaction that is always rolled back.
 *
 * Every write transaction is bracketed by a fingerprint of the database file and its -wal and
 * -journal files (SHA-256): after the ROLLBACK — or, when the helper was killed by a timeout or
 * a cancellation, after a fresh writable connection has rolled the hot journal back — the
 * fingerprint must match, before the tool returns; otherwise we fail loudly. The same check runs
 * again when the driver closes.
 */
export interface SqliteOptions {
  path: string;
  timeoutMs: number;
  signal: AbortSignal;
  /** alias → table, to name plan nodes by table (EXPLAIN QUERY PLAN shows aliases). */
  aliases?: Map<string, string>;
}

/** better-sqlite3 binds numbers, strings, bigint, buffers and null; booleans become 0/1. */
function bindable(params: BindValue[] | undefined): unknown[] {
  return (params ?? []).map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

/** The bytes of the database and its -wal/-journal companions ("absent" when a file does not exist). */
export type FileFingerprint = Record<string, string>;

/**
 * SHA-256 of a file, or a state name for the files SQLite creates and removes on its own:
 * "absent", and "no rollback data" for a -wal or -journal that holds nothing to replay — an
 * empty file (WAL before its first frame, journal_mode=TRUNCATE) or a journal whose header is
 * zeroed (journal_mode=PERSIST, or never synced), which SQLite does not treat as hot. Whether
 * such a file exists depends on which connection closed last (another process's included), not
 * on whether data changed.
 */
async function fileState(path: string, companion: boolean): Promise<string> {
  const hash = createHash('sha256');
  let size = 0;
  let header = Buffer.alloc(0);
  try {
    for await (const chunk of createReadStream(path)) {
      const bytes = chunk as Buffer;
      if (header.length < 8) header = Buffer.concat([header, bytes.subarray(0, 8 - header.length)]);
      size += bytes.length;
      hash.update(bytes);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
  if (companion && (size === 0 || (path.endsWith('-journal') && header.every((b) => b === 0)))) return 'no rollback data';
  return hash.digest('hex');
}

export async function fingerprintDatabase(path: string): Promise<FileFingerprint> {
  return {
    [path]: await fileState(path, false),
    [`${path}-wal`]: (await fileState(`${path}-wal`, true)).replace('absent', 'no rollback data'),
    [`${path}-journal`]: (await fileState(`${path}-journal`, true)).replace('absent', 'no rollback data'),
  };
}

/** The files whose bytes differ, as "file (before → after)"; empty when identical. */
function changedFiles(before: FileFingerprint, after: FileFingerprint): string[] {
  return Object.keys(before)
    .filter((file) => before[file] !== after[file])
    .map((file) => `${file} (${before[file]?.slice(0, 12)} → ${after[file]?.slice(0, 12)})`);
}

/** Sample size for ANALYZE during index trials (PRAGMA analysis_limit), as .expert samples. */
export const ANALYSIS_LIMIT = 1000;

export async function openSqlite(options: SqliteOptions): Promise<Driver> {
  try {
    const info = await stat(options.path);
    if (!info.isFile()) throw new UserError(`${options.path} is not a file`, 'give the path of a SQLite database file');
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(
      `SQLite database file not found: ${options.path}`,
      'check the path (relative paths are resolved from the project folder), or give a postgres:// or mysql:// URL',
    );
  }
  // A database may live anywhere the user keeps one (allowed: "/"), but never in /dev, /proc
  // or /sys, nor behind a link there: SQLite would open /proc/self/environ and read it.
  await confinedPath(options.path, { projectDir: '/', allowedPaths: ['/'], what: 'SQLite database' });
  return new SqliteDriver(options);
}

/** Snapshot: the SHA-256 of the database, -wal and -journal files. */
class SqliteDriver extends TransactionalDriver<FileFingerprint> {
  readonly dialect = 'sqlite' as const;
  private child: SqliteChild | undefined;
  private writable: boolean | undefined;
  private readonly rowCache = new Map<string, number | undefined>();
  /** Fingerprint before the first write connection opened; checked again at close. */
  private fingerprintAtOpen: FileFingerprint | undefined;

  constructor(private readonly options: SqliteOptions) {
    super(options.signal);
  }

  protected mapError(error: unknown): Error {
    if (this.signal.aborted) return new CancelledError();
    if (error instanceof StatementTimeoutError || error instanceof UserError) return error;
    return error instanceof Error ? error : new Error(String(error));
  }

  private async call(message: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { options } = this;
    if (this.signal.aborted) throw new CancelledError();
    if (!this.child || !this.child.alive) {
      // Wait until a killed helper is gone before starting another (it holds its locks while it lives).
      if (this.child) await this.child.close();
      const child = new SqliteChild(options.timeoutMs, options.signal);
      this.child = child;
      // Starting the helper (Node boot + loading the add-on) is not a statement: it gets its own, longer limit.
      const opened = await child
        .request({ op: 'open', conn: 'ro', path: options.path, readonly: true, busyMs: Math.min(options.timeoutMs, 2000) }, Math.max(options.timeoutMs, 15_000))
        .catch((e: unknown) => {
          throw this.mapError(e);
        });
      if (opened.error) throw new UserError(`cannot open the SQLite database ${options.path}: ${opened.error}`, 'check that it is a SQLite database file');
      // A file that is not a database opens fine and fails on first read: check now.
      const probe = await child.request({ op: 'all', conn: 'ro', sql: 'SELECT count(*) AS n FROM sqlite_schema' });
      if (probe.error) throw new UserError(`cannot read the SQLite database ${options.path}: ${probe.error}`, 'check that it is a SQLite database file');
      this.writable = undefined;
    }
    let reply: SqliteReply;
    try {
      reply = await this.child.request(message);
    } catch (error) {
      throw this.mapError(error);
    }
    if (reply.error) {
      const text = reply.error;
      if (/no such table/i.test(text)) throw new UserError(`SQLite: ${text}`, 'check the table name');
      if (/no such column/i.test(text)) throw new UserError(`SQLite: ${text}`, 'check the column name');
      if (/syntax error|incomplete input|unrecognized token/i.test(text)) throw new UserError(`SQLite: ${text}`, 'fix the SQL syntax');
      if (/readonly|read-only/i.test(text))
        throw new UserError(`SQLite refused a write on our read-only connection: ${text}`, 'the statement writes; nothing was changed');
      if (/Too (few|many) parameter|Missing named parameter|bind/i.test(text))
        throw new UserError(`SQLite: ${text}`, 'give one value per placeholder in `params`');
      throw new UserError(`SQLite: ${text}`, 'fix the statement');
    }
    return reply as Record<string, unknown>;
  }

  private async ensureWritable(): Promise<boolean> {
    if (this.writable !== undefined) return this.writable;
    const { options } = this;
    try {
      await access(options.path, constants.W_OK);
      this.fingerprintAtOpen ??= await fingerprintDatabase(options.path);
      await this.call({ op: 'open', conn: 'rw', path: options.path, readonly: false, busyMs: Math.min(options.timeoutMs, 2000) });
      await this.call({ op: 'exec', conn: 'rw', sql: `PRAGMA analysis_limit = ${ANALYSIS_LIMIT}` });
      this.writable = true;
    } catch {
      this.writable = false;
      this.warnings.push(
        `${options.path} is not writable: index candidates and DML with analyze cannot be tried (they need a transaction that is rolled back)`,
      );
    }
    return this.writable;
  }

  // ---------------------------------------------------------------- the transactional base's hooks

  protected override snapshot(): Promise<FileFingerprint> {
    return fingerprintDatabase(this.options.path);
  }

  /** Always on the writable connection: SQLite's read-only connection already is the read path. */
  protected async begin(): Promise<void> {
    await this.call({ op: 'exec', conn: 'rw', sql: 'BEGIN' });
  }

  protected async rollback(): Promise<boolean> {
    // Straight to the helper, not call(): the rollback must run even when the signal has fired.
    const live = this.child?.alive ? this.child : undefined;
    if (!live) return false;
    const reply = await live.request({ op: 'exec', conn: 'rw', sql: 'ROLLBACK' });
    return !reply.error || /no transaction is active/i.test(reply.error);
  }

  /**
   * A helper killed inside our write transaction leaves a hot journal (the file may already hold
   * some of the new pages). Only a writable connection may roll it back (a read-only one gets
   * SQLITE_READONLY_ROLLBACK): open one in a fresh helper and read, and SQLite restores the pages.
   * The helper gets its own signal: the caller's may be the cancellation that killed the first one.
   */
  protected override async recover(): Promise<void> {
    try {
      await this.rollBackHotJournal();
    } catch (error) {
      this.refuseChanged([`the hot journal could not be rolled back (${(error as Error).message})`], 'after the interrupted write');
    }
  }

  protected override async verifyUnchanged(before: FileFingerprint, when: string): Promise<void> {
    const changed = changedFiles(before, await fingerprintDatabase(this.options.path));
    if (changed.length) this.refuseChanged(changed, when);
  }

  private async rollBackHotJournal(): Promise<void> {
    const { options } = this;
    const dead = this.child;
    this.child = undefined;
    this.writable = undefined;
    this.rowCache.clear();
    if (dead) await dead.close();
    const limitMs = Math.max(options.timeoutMs, 15_000);
    const helper = new SqliteChild(limitMs, new AbortController().signal);
    try {
      const opened = await helper.request({ op: 'open', conn: 'recover', path: options.path, readonly: false, busyMs: 2000 }, limitMs);
      const read = opened.error ? opened : await helper.request({ op: 'all', conn: 'recover', sql: 'SELECT count(*) AS n FROM sqlite_schema' }, limitMs);
      if (read.error) throw new Error(read.error);
      // Killed before its first sync, the journal's header is still zeroed (SQLite writes the magic
      // only once the journal is synced): not hot, nothing to roll back, the database untouched —
      // but the file stays. A write transaction of our own (under the RESERVED lock, so it is no
      // other writer's journal) reuses it and, rolled back, deletes it.
      if (await stat(`${options.path}-journal`).catch(() => undefined)) {
        const reset = await helper.request(
          { op: 'exec', conn: 'recover', sql: `BEGIN IMMEDIATE; CREATE TABLE main.perfeng_journal_reset_${process.pid} (x); ROLLBACK` },
          limitMs,
        );
        if (reset.error) throw new Error(`a stale journal is left: ${reset.error}`);
      }
    } finally {
      await helper.close();
    }
  }

  private refuseChanged(changed: string[], when: string): never {
    throw new UserError(
      `DATA CHANGED: the SQLite database ${this.options.path} is not byte-identical ${when}: ${changed.join(', ')}`,
      'if another process writes to this database, the change may be its own; otherwise restore the file from a copy, do not run analysed writes against it again, and report this as a bug',
    );
  }

  // ---------------------------------------------------------------- plans and statistics

  private async countRows(conn: string, table: string): Promise<number | undefined> {
    const key = `${conn}:${table.toLowerCase()}`;
    if (this.rowCache.has(key)) return this.rowCache.get(key);
    let n: number | undefined;
    try {
      const r = await this.call({ op: 'all', conn, sql: `SELECT count(*) AS n FROM ${quoteIdent(table, 'sqlite')}` });
      n = Number((r.rows as Array<{ n: number }>)[0]?.n);
    } catch (error) {
      if (error instanceof StatementTimeoutError || error instanceof CancelledError) throw error;
      n = undefined;
    }
    this.rowCache.set(key, n);
    return n;
  }

  private async loadStats(conn: string, tables: string[]): Promise<SqliteStats> {
    const counts = new Map<string, number | undefined>();
    for (const t of tables) counts.set(t.toLowerCase(), await this.countRows(conn, t));
    const stat1 = new Map<string, number[]>();
    try {
      const r = await this.call({ op: 'all', conn, sql: 'SELECT idx, stat FROM sqlite_stat1 WHERE idx IS NOT NULL' });
      for (const row of r.rows as Array<{ idx: string; stat: string }>) stat1.set(row.idx.toLowerCase(), parseStat1(row.stat));
    } catch {
      // no sqlite_stat1: defaults
    }
    return {
      rows: (t) => counts.get(t.toLowerCase()),
      avgEq: (index, nEq) => stat1.get(index.toLowerCase())?.[nEq],
    };
  }

  private async eqp(conn: string, request: ExplainRequest): Promise<EqpRow[]> {
    const r = await this.call({ op: 'all', conn, sql: `EXPLAIN QUERY PLAN ${request.sql}`, params: bindable(request.params) });
    return (r.rows as Array<{ id: number; parent: number; detail: string }>).map((row) => ({ id: row.id, parent: row.parent, detail: row.detail }));
  }

  private async planFor(conn: string, request: ExplainRequest, executionMs?: number): Promise<Plan> {
    const rows = await this.eqp(conn, request);
    const named = rows.map((row) => /^(?:SCAN|SEARCH) (?:TABLE )?(\S+)/.exec(row.detail)?.[1]).filter((t): t is string => !!t);
    const tables = [...new Set(named.map((t) => this.options.aliases?.get(t.toLowerCase()) ?? t))];
    const stats = await this.loadStats(conn, tables);
    return normaliseSqlitePlan(rows, stats, executionMs !== undefined, executionMs, this.options.aliases);
  }

  // ---------------------------------------------------------------- Driver

  async explain(request: ExplainRequest): Promise<Plan> {
    if (!request.analyze) return this.planFor('ro', request);
    if (request.readOnly) {
      const timed = await this.call({ op: 'time', conn: 'ro', sql: request.sql, params: bindable(request.params) });
      // SQLite has no per-loop actuals; the result row count is not comparable with the
      // modelled rows visited, so it is not put on a node (it would fake an estimate miss).
      return this.planFor('ro', request, timed.ms as number);
    }
    if (!(await this.ensureWritable())) return this.planFor('ro', { ...request, analyze: false });
    return this.inTransaction(false, async () => {
      const timed = await this.call({ op: 'time', conn: 'rw', sql: request.sql, params: bindable(request.params) });
      return this.planFor('rw', request, timed.ms as number);
    });
  }

  async tableColumns(table: string): Promise<string[] | undefined> {
    const r = await this.call({ op: 'all', conn: 'ro', sql: 'SELECT name FROM pragma_table_info(?)', params: [table] });
    const names = (r.rows as Array<{ name: string }>).map((row) => row.name);
    return names.length ? names : undefined;
  }

  tableRows(table: string): Promise<number | undefined> {
    return this.countRows('ro', table);
  }

  async indexes(table: string): Promise<IndexInfo[]> {
    const list = await this.call({ op: 'all', conn: 'ro', sql: 'SELECT name, partial FROM pragma_index_list(?)', params: [table] });
    const out: IndexInfo[] = [];
    for (const idx of list.rows as Array<{ name: string; partial: number }>) {
      const cols = await this.call({ op: 'all', conn: 'ro', sql: 'SELECT name, cid FROM pragma_index_info(?) ORDER BY seqno', params: [idx.name] });
      const rows = cols.rows as Array<{ name: string | null; cid: number }>;
      out.push({
        name: idx.name,
        table,
        columns: rows.map((c) => c.name).filter((name): name is string => !!name),
        partial: !!idx.partial || rows.some((c) => c.cid < 0),
      });
    }
    // An INTEGER PRIMARY KEY is the rowid: the table itself is the index.
    const pk = await this.call({ op: 'all', conn: 'ro', sql: 'SELECT name, type FROM pragma_table_info(?) WHERE pk > 0', params: [table] });
    const pkRows = pk.rows as Array<{ name: string; type: string }>;
    const only = pkRows.length === 1 ? pkRows[0] : undefined;
    if (only && /^integer$/i.test(only.type)) out.push({ name: 'INTEGER PRIMARY KEY', table, columns: [only.name] });
    return out;
  }

  async tryIndex(request: ExplainRequest, candidate: CandidateIndex): Promise<IndexTrial & { beforePlan: Plan }> {
    if (!(await this.ensureWritable())) throw new UserError('cannot try indexes on a read-only SQLite file');
    const name = candidateIndexName(candidate);
    const planOnly = { ...request, analyze: false };
    return this.inTransaction(false, async () => {
      // Statistics on a sample (as sqlite3_expert does) so both plans are costed alike.
      await this.call({ op: 'exec', conn: 'rw', sql: `ANALYZE ${quoteIdent(candidate.table, 'sqlite')}` });
      const beforePlan = await this.planFor('rw', planOnly);
      await this.call({
        op: 'exec',
        conn: 'rw',
        sql: `CREATE INDEX ${quoteIdent(name, 'sqlite')} ON ${quoteIdent(candidate.table, 'sqlite')} (${candidate.columns.map((c) => quoteIdent(c, 'sqlite')).join(', ')})`,
      });
      await this.call({ op: 'exec', conn: 'rw', sql: `ANALYZE ${quoteIdent(name, 'sqlite')}` });
      const plan = await this.planFor('rw', planOnly);
      let ms: number | undefined;
      if (request.analyze && request.readOnly) {
        const timed = await this.call({ op: 'time', conn: 'rw', sql: request.sql, params: bindable(request.params) });
        ms = timed.ms as number;
      }
      return { plan, beforePlan, indexName: name, method: 'expert' as const, ...(ms !== undefined ? { ms } : {}) };
    });
  }

  async checkStatement(request: ExplainRequest): Promise<Protection> {
    // SQLite SQL cannot define functions; every built-in is side-effect free on a read-only connection.
    return {
      statement: 'one statement (prepared by SQLite, which refuses a second)',
      transaction:
        request.readOnly || !request.analyze
          ? 'read-only connection'
          : 'transaction rolled back (from the hot journal after a timeout or cancellation); SHA-256 of the file, -wal and -journal verified identical before returning',
      role: 'file permissions',
      catalog: 'SQLite has no user-defined SQL functions or server-side code',
    };
  }

  async close(): Promise<void> {
    const { options } = this;
    await this.child?.close();
    // A helper that died mid-write left its journal hot: roll it back before we return.
    if (this.fingerprintAtOpen && (await stat(`${options.path}-journal`).catch(() => undefined))) await this.rollBackHotJournal().catch(() => undefined);
    if (this.fingerprintAtOpen) await this.verifyUnchanged(this.fingerprintAtOpen, 'when the connection closed');
  }
}
