import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnTree } from '../../src/common/spawn.js';
import { loadSqlite, openDemoDatabase, SEED_COUNTS } from '../../src/demo/app/database.js';
import { ALL_FIXES, DEMO_ENDPOINTS, ORDER_SEARCH_SQL, SEARCH_REFERENCE } from '../../src/demo/app/endpoints.js';
import { normaliseRows, normaliseRowsNaive, rankProducts, rankProductsNaive } from '../../src/demo/app/handlers.js';
import { DEMO_ENDPOINT_NAMES, DEMO_FIXES } from '../../src/demo/schema.js';
import { startDemoApp, type DemoApp } from '../../src/demo/app/server.js';
import type { QueryLogEntry } from '../../src/demo/app/query-log.js';
import { BUILT_CLI } from '../helpers/mcp-client.js';

const BUILT_APP = join(BUILT_CLI, '..', 'demo', 'app', 'main.js');

let dir: string;
let dbPath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'perfeng-demo-app-'));
  dbPath = join(dir, 'demo.sqlite');
  // Seed once for the whole file (the apps below reuse it).
  const opened = openDemoDatabase(dbPath);
  expect(opened.seeded).toBe(true);
  opened.db.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function readLog(path: string): QueryLogEntry[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as QueryLogEntry);
}

async function withApp<T>(fixes: typeof ALL_FIXES, name: string, body: (app: DemoApp, logPath: string) => Promise<T>): Promise<T> {
  const logPath = join(dir, `${name}.jsonl`);
  const app = await startDemoApp({ port: 0, dbPath, queryLogPath: logPath, fixes });
  try {
    return await body(app, logPath);
  } finally {
    await app.close();
  }
}

describe('demo catalogue', () => {
  it('the schema lists the same endpoints and fixes as the app', () => {
    expect([...DEMO_ENDPOINT_NAMES]).toEqual(DEMO_ENDPOINTS.map((e) => e.name));
    expect([...DEMO_FIXES]).toEqual([...ALL_FIXES]);
    expect(new Set(DEMO_ENDPOINTS.map((e) => e.fixFlag))).toEqual(new Set(ALL_FIXES));
  });
});

describe('demo database', () => {
  it('holds at least 100k rows, is deterministic and is reused when the seed version matches', () => {
    const opened = openDemoDatabase(dbPath);
    try {
      expect(opened.seeded).toBe(false);
      const count = (table: string) => (opened.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
      expect(count('orders')).toBe(SEED_COUNTS.orders);
      expect(count('customers') + count('products') + count('orders')).toBeGreaterThanOrEqual(100_000);
      // The searched reference exists exactly once (references are a bijection of the id).
      expect((opened.db.prepare('SELECT COUNT(*) AS n FROM orders WHERE reference = ?').get(SEARCH_REFERENCE) as { n: number }).n).toBe(1);
      expect((opened.db.prepare('SELECT COUNT(DISTINCT reference) AS n FROM orders').get() as { n: number }).n).toBe(SEED_COUNTS.orders);
    } finally {
      opened.db.close();
    }
  });

  it('rebuilds a file that is not a demo database of this version', async () => {
    const other = join(dir, 'foreign.sqlite');
    const Sqlite = loadSqlite();
    const foreign = new Sqlite(other);
    foreign.exec('CREATE TABLE unrelated (x)');
    foreign.close();
    const opened = openDemoDatabase(other);
    try {
      expect(opened.seeded).toBe(true);
      expect(opened.db.prepare("SELECT name FROM sqlite_master WHERE name = 'unrelated'").get()).toBeUndefined();
    } finally {
      opened.db.close();
    }
  });
});

describe('demo app problems and fixes', () => {
  it('N+1 on /orders/recent: 1 + 2×limit queries per request before, 1 after, same response', async () => {
    const before = await withApp([], 'n1-before', async (app, log) => {
      const body = await (await fetch(`${app.url}/orders/recent?limit=20`)).json();
      await app.close();
      const entries = readLog(log);
      expect(entries).toHaveLength(41);
      expect(new Set(entries.map((e) => e.requestId)).size).toBe(1);
      expect(entries.filter((e) => e.sql === 'SELECT name, country FROM customers WHERE id = ?')).toHaveLength(20);
      // Every line has the documented shape and names the code that ran the query.
      for (const entry of entries) {
        expect(typeof entry.sql).toBe('string');
        expect(entry.durationMs).toBeGreaterThanOrEqual(0);
        expect(entry.route).toBe('/orders/recent');
      }
      expect(entries[1]!.stack).toMatch(/recentOrdersNPlusOne/);
      return body;
    });
    const after = await withApp(['batch'], 'n1-after', async (app, log) => {
      const body = await (await fetch(`${app.url}/orders/recent?limit=20`)).json();
      await app.close();
      expect(readLog(log)).toHaveLength(1);
      return body;
    });
    expect(after).toEqual(before);
  });

  it('unindexed filter on /orders/search: full scan before, index search after, same rows', async () => {
    const Sqlite = loadSqlite();
    const plan = () => {
      const db = new Sqlite(dbPath, { readonly: true });
      try {
        return (db.prepare(`EXPLAIN QUERY PLAN ${ORDER_SEARCH_SQL}`).all() as Array<{ detail: string }>).map((r) => r.detail).join('; ');
      } finally {
        db.close();
      }
    };
    const path = DEMO_ENDPOINTS.find((e) => e.name === 'order-search')!.path;
    const before = await withApp([], 'search-before', async (app) => {
      expect(plan()).toMatch(/^SCAN orders/);
      return (await fetch(app.url + path)).json();
    });
    const after = await withApp(['index'], 'search-after', async (app) => {
      expect(plan()).toMatch(/SEARCH orders USING INDEX idx_orders_reference/);
      return (await fetch(app.url + path)).json();
    });
    expect(before).toEqual(after);
    expect((before as { count: number }).count).toBe(1);
    // Back in baseline mode the index is gone again: one file serves both modes.
    await withApp([], 'search-again', async () => expect(plan()).toMatch(/^SCAN orders/));
  });

  it('the hot loop fix gives the same report as the naive loop', async () => {
    const Sqlite = loadSqlite();
    const db = new Sqlite(dbPath, { readonly: true });
    const rows = db
      .prepare(
        `SELECT o.id, o.reference, o.status, o.total_cents, o.created_at, c.name AS customer, c.country, p.name AS product, p.category, p.description
           FROM orders o JOIN customers c ON c.id = o.customer_id JOIN products p ON p.id = o.product_id LIMIT 3000`,
      )
      .all() as Parameters<typeof normaliseRows>[0];
    db.close();
    // A promoted product must exist for the equality to mean something.
    rows.push({ ...rows[0]!, product: 'Classic Mug 17' }, { ...rows[0]!, product: 'Classic Mug 170' });
    const naive = normaliseRowsNaive(rows);
    expect(normaliseRows(rows)).toEqual(naive);
    expect(naive.filter((r) => r.promoted).map((r) => r.product)).toContain('Classic Mug 17');
    expect(naive.find((r) => r.product === 'Classic Mug 170')!.promoted).toBe(false);
    expect(naive[0]!.description).not.toMatch(/["“”]|\s\s/);
    const ranked = rankProductsNaive(naive, 50);
    expect(rankProducts(naive, 50)).toEqual(ranked);
    expect(ranked[0]!.orders).toBeGreaterThan(1);

    const path = DEMO_ENDPOINTS.find((e) => e.name === 'sales-report')!.path;
    const before = await withApp([], 'sales-before', async (app) => (await fetch(app.url + path)).json());
    const after = await withApp(['hotloop'], 'sales-after', async (app) => (await fetch(app.url + path)).json());
    expect(after).toEqual(before);
  });

  it('/catalog: no caching headers before; Cache-Control, ETag and 304 after', async () => {
    const before = await withApp([], 'catalog-before', async (app, log) => {
      const first = await fetch(`${app.url}/catalog`);
      expect(first.headers.get('cache-control')).toBeNull();
      expect(first.headers.get('etag')).toBeNull();
      const body = await first.text();
      await (await fetch(`${app.url}/catalog`)).text();
      await app.close();
      expect(readLog(log)).toHaveLength(2); // rebuilt on every request
      return body;
    });
    await withApp(['cache'], 'catalog-after', async (app, log) => {
      const first = await fetch(`${app.url}/catalog`);
      expect(first.headers.get('cache-control')).toBe('public, max-age=60');
      const etag = first.headers.get('etag')!;
      expect(etag).toMatch(/^"[\w-]+"$/);
      expect(await first.text()).toBe(before);
      const second = await fetch(`${app.url}/catalog`);
      expect(second.status).toBe(200);
      expect(second.headers.get('etag')).toBe(etag);
      await second.text();
      // If-None-Match uses the weak comparison (RFC 9110 §13.1.2), so W/ matches too.
      for (const header of [etag, `W/${etag}`, `"other", ${etag}`]) {
        const revalidated = await fetch(`${app.url}/catalog`, { headers: { 'if-none-match': header } });
        expect(revalidated.status).toBe(304);
        expect(await revalidated.text()).toBe('');
      }
      expect((await fetch(`${app.url}/catalog`, { headers: { 'if-none-match': '"stale"' } })).status).toBe(200);
      await app.close();
      expect(readLog(log)).toHaveLength(1); // built once, served from memory afterwards
    });
  });

  it('answers unknown routes with 404 and refuses a non-loopback host', async () => {
    await withApp([], 'misc', async (app) => {
      const response = await fetch(`${app.url}/nope`);
      expect(response.status).toBe(404);
      expect(((await response.json()) as { routes: string[] }).routes).toContain('/catalog');
    });
    await expect(startDemoApp({ port: 0, host: '0.0.0.0', dbPath, fixes: [] })).rejects.toThrow(/loopback only/);
  });
});

describe('demo app as a child process (dist/demo/app/main.js)', () => {
  it('prints its port, serves, and exits 0 on SIGTERM with the query log flushed', async () => {
    expect(existsSync(BUILT_APP), `build first: ${BUILT_APP} is missing`).toBe(true);
    const log = join(dir, 'child.jsonl');
    let out = '';
    let announce!: (url: string) => void;
    const listening = new Promise<string>((resolve) => (announce = resolve));
    const child = spawnTree(process.execPath, [BUILT_APP, '--port', '0', '--db', dbPath, '--query-log', log, '--fixed'], {
      onStdout: (chunk) => {
        out += chunk;
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (match) announce(match[1]!);
      },
      timeoutMs: 30_000,
      // A loaded machine can take a while to close; SIGKILL would hide a clean exit.
      killGraceMs: 15_000,
    });
    try {
      const url = await Promise.race([listening, child.exited.then((exit) => Promise.reject(new Error(`app exited: ${exit.stderr}`)))]);
      expect(out).toMatch(/fixes=index,batch,hotloop,cache/);
      const health = (await (await fetch(`${url}/health`)).json()) as { ok: boolean; fixes: string[] };
      expect(health).toMatchObject({ ok: true, fixes: ['index', 'batch', 'hotloop', 'cache'] });
      await (await fetch(`${url}/orders/recent?limit=5`)).text();
    } finally {
      const exit = await child.stop('SIGTERM');
      expect({ code: exit.exitCode, signal: exit.signal, stderr: exit.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    }
    expect(readLog(log)).toHaveLength(1);
  });

  it('rejects bad arguments with exit code 2 and a usage line', async () => {
    const exit = await spawnTree(process.execPath, [BUILT_APP, '--port', '0', '--db', join(dir, 'x.sqlite'), '--fix', 'turbo'], { timeoutMs: 30_000 }).exited;
    expect(exit.exitCode).toBe(2);
    expect(exit.stderr).toMatch(/unknown fix turbo/);
    const missing = await spawnTree(process.execPath, [BUILT_APP], { timeoutMs: 30_000 }).exited;
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/--db is required/);
  });
});
