import { createWriteStream, type WriteStream } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import type { Database } from './database.js';

/**
 * Every query the app runs, as JSON lines `{ sql, durationMs, stack, ts, requestId, route }`:
 * the shape ORM query logs have (Rails' verbose query logs, Django's `connection.queries`)
 * and what analyze_query's N+1 detection groups by fingerprint and call site.
 * Lines are buffered by a write stream so logging does not dominate the request; after
 * `maxLines` the log stops (one notice on stderr) so a long load test cannot fill the disk.
 */
export interface QueryLogEntry {
  sql: string;
  durationMs: number;
  stack: string;
  ts: number;
  requestId: number;
  route: string;
}

export interface RequestScope {
  requestId: number;
  route: string;
}

export class QueryLog {
  private readonly stream: WriteStream | undefined;
  private lines = 0;
  private stoppedNoticeShown = false;

  constructor(
    path: string | undefined,
    private readonly maxLines = 200_000,
  ) {
    this.stream = path ? createWriteStream(path, { flags: 'a' }) : undefined;
    this.stream?.on('error', (error) => process.stderr.write(`demo app: query log: ${error.message}\n`));
  }

  get written(): number {
    return this.lines;
  }

  /** False without a log file: then queries are not even timed (no instrumentation cost). */
  get enabled(): boolean {
    return this.stream !== undefined;
  }

  write(entry: QueryLogEntry): void {
    if (!this.stream) return;
    if (this.lines >= this.maxLines) {
      if (!this.stoppedNoticeShown) {
        this.stoppedNoticeShown = true;
        process.stderr.write(`demo app: query log reached ${this.maxLines} lines; later queries are timed but not written\n`);
      }
      return;
    }
    this.lines++;
    this.stream.write(`${JSON.stringify(entry)}\n`);
  }

  close(): Promise<void> {
    const stream = this.stream;
    if (!stream) return Promise.resolve();
    return new Promise((resolve) => stream.end(resolve));
  }
}

/** The caller's frames, without this module's: where in the app the query comes from. */
function callSite(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 8;
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, callSite);
  Error.stackTraceLimit = limit;
  return (holder.stack ?? '')
    .split('\n')
    .slice(1)
    .map((line) => line.trim())
    .filter((line) => line.startsWith('at ') && !line.includes('query-log.'))
    .slice(0, 5)
    .join('\n');
}

/**
 * better-sqlite3 with every statement timed and logged; statements are prepared once.
 * (Named queryAll/queryOne so profiles read well: native SQLite time is attributed to them.)
 */
export class LoggedDatabase {
  private readonly statements = new Map<string, BetterSqlite3.Statement<unknown[]>>();

  constructor(
    readonly db: Database,
    private readonly log: QueryLog,
  ) {}

  private statement(sql: string) {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  queryAll<T>(scope: RequestScope, sql: string, ...params: unknown[]): T[] {
    const started = performance.now();
    const rows = this.statement(sql).all(...params) as T[];
    this.record(scope, sql, started);
    return rows;
  }

  queryOne<T>(scope: RequestScope, sql: string, ...params: unknown[]): T | undefined {
    const started = performance.now();
    const row = this.statement(sql).get(...params) as T | undefined;
    this.record(scope, sql, started);
    return row;
  }

  private record(scope: RequestScope, sql: string, started: number): void {
    if (!this.log.enabled) return;
    const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
    this.log.write({ sql, durationMs, stack: callSite(), ts: Date.now(), requestId: scope.requestId, route: scope.route });
  }
}
