import { createRequire } from 'node:module';
import { UserError } from '../../common/errors.js';
import { spawnTree, type SpawnedTree } from '../../common/spawn.js';
import { StatementTimeoutError } from './types.js';

/**
 * SQLite runs in a child process. Why: better-sqlite3 is synchronous and does not expose
 * sqlite3_progress_handler or sqlite3_interrupt, so a runaway statement cannot be stopped
 * from the same thread (a worker thread cannot be terminated while inside native code).
 * A child can: on timeout or cancellation the whole process is killed, and SQLite's rollback
 * journal guarantees that an interrupted transaction leaves the file unchanged.
 *
 * The protocol is JSON lines: {id, op, …} → {id, ok|error, …}. The child only executes;
 * every decision (read-only, savepoints, what to run) is made in the parent.
 */
const CHILD_SOURCE = String.raw`
const Database = require(process.env.PERFENG_BETTER_SQLITE3);
const conns = {};
let buffer = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let nl;
  while ((nl = buffer.indexOf('\n')) >= 0) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    if (!line.trim()) continue;
    const msg = JSON.parse(line);
    let reply;
    try { reply = handle(msg); } catch (e) { reply = { error: String(e && e.message || e), code: e && e.code }; }
    process.stdout.write(JSON.stringify({ id: msg.id, ...reply }) + '\n');
  }
});
process.stdin.on('end', () => { for (const c of Object.values(conns)) try { c.close(); } catch {} process.exit(0); });
function handle(m) {
  if (m.op === 'open') {
    conns[m.conn] = new Database(m.path, { readonly: !!m.readonly, fileMustExist: true, timeout: m.busyMs });
    return { ok: true };
  }
  const db = conns[m.conn];
  if (!db) throw new Error('connection ' + m.conn + ' is not open');
  if (m.op === 'exec') { db.exec(m.sql); return { ok: true }; }
  if (m.op === 'all') { return { rows: db.prepare(m.sql).all(...(m.params || [])) }; }
  if (m.op === 'time') {
    // Runs a read statement to completion and counts rows without keeping them.
    const st = db.prepare(m.sql);
    const t0 = process.hrtime.bigint();
    let rows = 0;
    if (st.reader) { for (const _ of st.iterate(...(m.params || []))) rows++; } else { rows = st.run(...(m.params || [])).changes; }
    return { ms: Number(process.hrtime.bigint() - t0) / 1e6, rows };
  }
  throw new Error('unknown op ' + m.op);
}
`;

const require = createRequire(import.meta.url);

export function resolveBetterSqlite3(): string {
  try {
    return require.resolve('better-sqlite3');
  } catch {
    throw new UserError(
      'SQLite support needs the optional package better-sqlite3, which is not installed',
      'run `npm install better-sqlite3` in the plugin folder (it is a native add-on: a prebuilt binary is downloaded, or it builds with python3 + a C++ compiler); PostgreSQL and MySQL URLs work without it',
    );
  }
}

export interface SqliteReply {
  ok?: boolean;
  rows?: unknown[] | number;
  ms?: number;
  error?: string;
  code?: string;
}

export class SqliteChild {
  private tree: SpawnedTree;
  private pending = new Map<number, { resolve(r: SqliteReply): void; reject(e: Error): void }>();
  private nextId = 1;
  private buffer = '';
  private dead: Error | undefined;
  private stderr = '';

  constructor(
    private readonly timeoutMs: number,
    private readonly signal: AbortSignal,
  ) {
    const modulePath = resolveBetterSqlite3();
    this.tree = spawnTree(process.execPath, ['-e', CHILD_SOURCE], {
      stdin: 'pipe',
      env: { PERFENG_BETTER_SQLITE3: modulePath },
      signal,
      killGraceMs: 200,
      onStdout: (chunk) => this.onData(chunk),
      onStderr: (chunk) => {
        this.stderr = (this.stderr + chunk).slice(-4000);
      },
    });
    this.tree.exited.then(
      (info) =>
        this.fail(
          new Error(
            info.cancelled
              ? 'cancelled'
              : `the SQLite helper process exited (${info.exitCode ?? info.signal}): ${this.stderr.trim().split('\n').slice(-3).join(' ')}`,
          ),
        ),
      (error: Error) => this.fail(error),
    );
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      try {
        const reply = JSON.parse(line) as SqliteReply & { id: number };
        this.pending.get(reply.id)?.resolve(reply);
        this.pending.delete(reply.id);
      } catch {
        // not ours
      }
    }
  }

  private fail(error: Error): void {
    this.dead ??= error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  /** Sends one request; kills the child if it does not answer within the statement timeout. */
  request(message: Record<string, unknown>, limitMs = this.timeoutMs): Promise<SqliteReply> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<SqliteReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new StatementTimeoutError(this.timeoutMs));
        void this.tree.stop('SIGKILL');
      }, limitMs);
      this.pending.set(id, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(this.signal.aborted ? Object.assign(new Error('cancelled'), { name: 'CancelledError' }) : e);
        },
      });
      this.tree.subprocess.stdin?.write(`${JSON.stringify({ id, ...message })}\n`);
    });
  }

  get alive(): boolean {
    return !this.dead;
  }

  async close(): Promise<void> {
    if (!this.dead) {
      this.tree.subprocess.stdin?.end();
      const timer = setTimeout(() => void this.tree.stop('SIGKILL'), 1000);
      await this.tree.exited.catch(() => undefined);
      clearTimeout(timer);
    } else {
      await this.tree.stop('SIGKILL').catch(() => undefined);
    }
  }
}
