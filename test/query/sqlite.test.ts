import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeQuery } from '../../src/query/index.js';
import { makeContext } from './helpers.js';

/**
 * Real SQLite files created here (better-sqlite3). 200k orders so a scan is really a scan.
 * Safety is proven on the file itself: its bytes hash the same after every analysis.
 */
let dir: string;
let dbPath: string;

async function fileHash(): Promise<string> {
  return createHash('sha256')
    .update(await readFile(dbPath))
    .digest('hex');
}
async function run(input: Record<string, unknown>, options: { signal?: AbortSignal } = {}) {
  const { context, cleanup } = await makeContext(options);
  try {
    return await analyzeQuery({ database: dbPath, ...input }, context);
  } finally {
    await cleanup();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'perfeng-sqlite-'));
  dbPath = join(dir, 'shop.db');
  const db = new Database(dbPath);
  db.exec(`
    CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, city TEXT);
    CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INT, status INT, created_at TEXT, total REAL);
    WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 5000)
      INSERT INTO customers SELECT x, 'customer ' || x, 'city ' || (x % 50) FROM g;
    WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 200000)
      INSERT INTO orders SELECT x, (x % 5000) + 1, x % 7, datetime('2024-01-01', '+' || x || ' minutes'), x * 0.5 FROM g;
    CREATE TABLE tickets (id INTEGER PRIMARY KEY, owner INT, state INT);
    WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 100000)
      INSERT INTO tickets SELECT x, x % 100, x % 1000 FROM g;
    CREATE INDEX tickets_owner ON tickets (owner);
  `);
  db.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('analyze_query on SQLite', () => {
  it('SELECT: full scan + temp B-tree findings, index verified in a rolled-back transaction with time before → after; file unchanged', async () => {
    const before = await fileHash();
    const { structured, summary } = await run({ sql: 'SELECT id, total FROM orders WHERE customer_id = 42 ORDER BY created_at DESC' });
    expect(structured).toMatchObject({ dialect: 'sqlite', statementKind: 'select', analyzed: true });
    expect(structured.findings.find((f) => f.rule === 'sqlite-full-scan')).toMatchObject({
      severity: 'high',
      node: '#1 SCAN orders',
      evidence: { tableRows: 200_000 },
    });
    expect(structured.findings.map((f) => f.rule)).toContain('sqlite-temp-btree');
    // Modelled rows visited are not estimates of output rows: no fake estimate-miss finding.
    expect(structured.findings.map((f) => f.rule)).not.toContain('row-estimate');
    const best = structured.indexSuggestions[0]!;
    expect(best).toMatchObject({ table: 'orders', method: 'expert', verified: true, usedByPlan: true });
    expect(best.columns).toEqual(['customer_id', 'created_at']);
    expect(best.after.cost!).toBeLessThan(best.before.cost! / 2);
    expect(best.after.ms!).toBeLessThan(best.before.ms!);
    expect(summary).toContain('CREATE INDEX "idx_orders_customer_id_created_at" ON "orders" ("customer_id", "created_at")');
    expect(await fileHash()).toBe(before);
    const db = new Database(dbPath, { readonly: true });
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE (type = 'index' AND name <> 'tickets_owner') OR name = 'sqlite_stat1'").get()).toEqual({
      n: 0,
    });
    db.close();
  });

  it('skips a candidate an existing index covers by prefix, and reports progress', async () => {
    const { context, cleanup } = await makeContext();
    const progress: number[] = [];
    context.report = (p) => progress.push(p);
    try {
      const { structured } = await analyzeQuery({ database: dbPath, sql: 'SELECT id FROM tickets WHERE owner = 5 AND state = 7' }, context);
      const tried = structured.indexSuggestions.map((s) => s.columns.join(','));
      expect(tried).not.toContain('owner');
      expect(tried[0]).toMatch(/^(owner,state|state)$/);
      expect(progress.length).toBeGreaterThan(3);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
    } finally {
      await cleanup();
    }
  });

  it('join through aliases: names the table, no suggestion when the lookup is by INTEGER PRIMARY KEY', async () => {
    const { structured } = await run({ sql: 'SELECT c.name FROM customers c WHERE c.id = ?', params: [7] });
    expect(structured.plan.summary[0]).toMatchObject({ relation: 'customers', kind: 'rowid-lookup' });
    expect(structured.indexSuggestions).toEqual([]);
    expect(structured.findings).toEqual([]);
  });

  it('automatic covering index is reported as a missing index', async () => {
    const { structured } = await run({
      sql: 'SELECT o.id FROM customers c JOIN orders o ON o.customer_id = c.id WHERE c.city = ?',
      params: ['city 3'],
      analyze: false,
      suggestIndexes: false,
    });
    const rules = structured.findings.map((f) => f.rule);
    expect(rules.some((r) => r === 'sqlite-automatic-index' || r === 'sqlite-full-scan')).toBe(true);
  });

  it('UPDATE/DELETE: plain plan by default; with analyze executed and rolled back; file bytes identical', async () => {
    const before = await fileHash();
    const plain = await run({ sql: 'UPDATE orders SET status = 99 WHERE customer_id = 42', suggestIndexes: false });
    expect(plain.structured).toMatchObject({ statementKind: 'update', analyzed: false });
    const analyzed = await run({ sql: 'DELETE FROM orders WHERE status = 3', analyze: true, suggestIndexes: false });
    expect(analyzed.structured.analyzed).toBe(true);
    expect(analyzed.structured.executionMs).toBeGreaterThan(0);
    expect(analyzed.structured.warnings.join(' ')).toMatch(/rolled back/);
    expect(await fileHash()).toBe(before);
  });

  it('refuses DDL, PRAGMA, ATTACH and a second statement; file unchanged', async () => {
    const before = await fileHash();
    await expect(run({ sql: 'DROP TABLE orders' })).rejects.toThrow(/refusing.*DDL/);
    await expect(run({ sql: 'PRAGMA journal_mode = wal' })).rejects.toThrow(/refusing.*PRAGMA/);
    await expect(run({ sql: "ATTACH 'x.db' AS x" })).rejects.toThrow(/refusing.*ATTACH/);
    await expect(run({ sql: 'SELECT 1; DELETE FROM orders' })).rejects.toThrow(/second statement is "DELETE FROM orders"/);
    expect(await fileHash()).toBe(before);
  });

  it('refuses /proc, devices and links to them as the database, before SQLite opens them', async () => {
    const link = join(dirname(dbPath), 'environ.db');
    await symlink('/proc/self/environ', link);
    for (const database of ['/proc/self/environ', '/dev/zero', link]) {
      await expect(run({ sql: 'SELECT 1', database }), database).rejects.toThrow(/devices, \/proc and \/sys are not input files|leads to \/proc|is not a file/);
    }
  });

  it('a statement the SQL parser cannot read is classified by its first keyword (DELETE … RETURNING → plan only)', async () => {
    const before = await fileHash();
    // RETURNING makes node-sql-parser fail → first-keyword fallback says "delete" → not read-only → plain EXPLAIN.
    const { structured } = await run({ sql: 'DELETE FROM orders WHERE id = 1 RETURNING id' });
    expect(structured.analyzed).toBe(false);
    expect(await fileHash()).toBe(before);
  });

  it('statement timeout: the helper process is killed and the estimated plan is reported', async () => {
    const started = performance.now();
    const { structured } = await run({
      sql: 'WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT max(x) FROM r',
      timeoutMs: 600,
      suggestIndexes: false,
    });
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(structured.analyzed).toBe(false);
    expect(structured.findings[0]).toMatchObject({ rule: 'slow-query', severity: 'high', evidence: { timeoutMs: 600 } });
  });

  it('a write killed by the timeout mid-transaction is rolled back from the journal: file bytes identical', async () => {
    const before = await fileHash();
    const { structured } = await run({
      // Correlated count per row: quadratic, so rows are being rewritten when the timeout hits.
      sql: 'UPDATE orders SET total = total + (SELECT count(*) FROM orders o2 WHERE o2.id <= orders.id)',
      analyze: true,
      timeoutMs: 800,
      suggestIndexes: false,
    });
    expect(structured.analyzed).toBe(false);
    expect(structured.findings[0]).toMatchObject({ rule: 'slow-query', evidence: { timeoutMs: 800 } });
    expect(await fileHash()).toBe(before);
    // A journal left behind must not be "hot" (SQLite treats a zeroed header as not hot) …
    if (existsSync(`${dbPath}-journal`))
      expect(
        readFileSync(`${dbPath}-journal`)
          .subarray(0, 8)
          .every((b) => b === 0),
      ).toBe(true);
    // … and opening the file for writing (which would roll back a hot journal) changes nothing.
    const db = new Database(dbPath);
    expect(db.prepare('SELECT count(*) AS n, sum(total) AS s FROM orders').get()).toEqual({ n: 200_000, s: 10_000_050_000 });
    db.close();
    expect(await fileHash()).toBe(before);
  });

  it('cancellation stops a running statement promptly', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const started = performance.now();
    await expect(
      run({ sql: 'WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT max(x) FROM r', timeoutMs: 30_000 }, { signal: controller.signal }),
    ).rejects.toThrow(/cancel/i);
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it('bad input: missing file, not a database, unknown table, unknown column, syntax error, wrong parameter count', async () => {
    await expect(run({ sql: 'SELECT 1', database: join(dir, 'nope.db') })).rejects.toThrow(/SQLite database file not found: .*nope\.db/);
    const junk = join(dir, 'junk.db');
    await writeFile(junk, 'this is not a database, just text padding the header out to a page '.repeat(20));
    await expect(run({ sql: 'SELECT 1', database: junk })).rejects.toThrow(/not a database/);
    await expect(run({ sql: 'SELECT * FROM nope' })).rejects.toThrow(/no such table: nope/);
    await expect(run({ sql: 'SELECT nope FROM orders' })).rejects.toThrow(/no such column: nope/);
    await expect(run({ sql: 'SELECT id FROM orders WHERE' })).rejects.toThrow(/SQLite: (incomplete input|syntax error).*parser: .*at line 1, column \d+/);
    await expect(run({ sql: 'SELECT id FROM orders WHERE id = ?' })).rejects.toThrow(/params|parameter/);
  });
  it('leaves no helper process behind (after timeouts and cancellations too)', async () => {
    await new Promise((r) => setTimeout(r, 300));
    const { listDescendants } = await import('../../src/common/spawn.js');
    const helpers = listDescendants(process.pid).filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'utf8').includes('PERFENG_BETTER_SQLITE3');
      } catch {
        return false;
      }
    });
    expect(helpers).toEqual([]);
  });
});
