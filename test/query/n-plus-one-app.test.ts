import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../src/common/spawn.js';
import { analyzeQuery } from '../../src/query/index.js';
import { REPO_ROOT } from '../helpers/mcp-client.js';
import { makeContext, PG_URL } from './helpers.js';

/**
 * A real app, compiled from TypeScript with a source map, runs a real N+1 against PostgreSQL:
 * three requests on one connection (so their statements interleave), each loading 50 orders
 * and then, per order, its customer and its product. Its query logger writes what ORMs log —
 * the SQL, the time, the caller's stack and the request id — and analyze_query reads that log.
 */
const APP = `// Types only: esbuild drops them, so the compiled lines sit far from these.
interface OrderRow {
  id: number;
  customer_id: number;
  product_id: number;
}
interface Logged {
  sql: string;
  durationMs: number;
  stack: string | undefined;
  requestId: string;
}
type Rows = Array<Record<string, unknown>>;

import { appendFileSync } from 'node:fs';
import { Client } from 'pg';

const client = new Client({ connectionString: process.env.PG_URL });
const log: Logged[] = [];

// The logger keeps the caller's stack, not its own frame (as ORM loggers do).
async function query(requestId: string, sql: string, params: unknown[] = []): Promise<Rows> {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, query);
  const started = performance.now();
  const result = await client.query(sql, params);
  log.push({ sql, durationMs: performance.now() - started, stack: holder.stack, requestId });
  return result.rows as Rows;
}

async function recentOrders(requestId: string): Promise<void> {
  const orders = (await query(requestId, 'select id, customer_id, product_id from n1_orders order by id limit 50')) as unknown as OrderRow[];
  for (const order of orders) {
    await query(requestId, 'select name from n1_customers where id = $1', [order.customer_id]);
    await query(requestId, 'select title from n1_products where id = $1', [order.product_id]);
  }
}

async function main(): Promise<void> {
  await client.connect();
  await client.query(\`create temp table n1_customers (id int primary key, name text);
    create temp table n1_products (id int primary key, title text);
    create temp table n1_orders (id int primary key, customer_id int, product_id int);
    insert into n1_customers select g, 'c' || g from generate_series(1, 7) g;
    insert into n1_products select g, 'p' || g from generate_series(1, 5) g;
    insert into n1_orders select g, g % 7 + 1, g % 5 + 1 from generate_series(1, 60) g;\`);
  await Promise.all(['r1', 'r2', 'r3'].map((id) => recentOrders(id)));
  await client.end();
  appendFileSync(process.argv[2] as string, log.map((entry) => JSON.stringify(entry)).join('\\n') + '\\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
`;

function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((l) => l.includes(needle));
  if (index < 0) throw new Error(`"${needle}" not found`);
  return index + 1;
}

describe('N+1 from a real app against PostgreSQL', () => {
  it('counts per request (50 per request × 3 requests), maps call sites to the .ts line, and names the orders query as parent', async () => {
    const { context, dir, cleanup } = await makeContext();
    try {
      await mkdir(join(dir, 'src'));
      await writeFile(join(dir, 'src', 'app.ts'), APP);
      await build({
        entryPoints: [join(dir, 'src', 'app.ts')],
        outfile: join(dir, 'dist', 'app.js'),
        sourcemap: true,
        platform: 'node',
        format: 'cjs',
        logLevel: 'silent',
      });
      const compiled = await readFile(join(dir, 'dist', 'app.js'), 'utf8');
      const tsLine = lineOf(APP, 'from n1_customers where id');
      // The compiled line differs: only the source map can give the .ts line.
      expect(lineOf(compiled, 'from n1_customers where id')).not.toBe(tsLine);

      const ran = await runCommand(process.execPath, [join(dir, 'dist', 'app.js'), join(dir, 'queries.jsonl')], {
        cwd: dir,
        env: { PG_URL, NODE_PATH: join(REPO_ROOT, 'node_modules') },
        timeoutMs: 60_000,
      });
      expect(ran.exitCode, ran.stderr).toBe(0);

      const { structured, summary } = await analyzeQuery({ queryLog: 'queries.jsonl' }, context);
      const byTable = (table: string) => structured.nPlusOne.find((n) => n.fingerprint.includes(table));
      const customers = byTable('n1_customers');
      const products = byTable('n1_products');
      expect(structured.nPlusOne).toHaveLength(2);
      for (const item of [customers, products]) {
        expect(item).toMatchObject({ perRequest: 50, requests: 3, count: 150 });
        // The parent is the orders query of the same request — not the sibling lookup that ran
        // just before each product lookup, and not another request's statement.
        expect(item!.parent).toBe('select id, customer_id, product_id from n1_orders order by id limit ?');
        expect(item!.suggestion).toMatch(/^50× the same lookup by id/);
        expect(item!.suggestion).toContain('in "select id, customer_id, product_id from n1_orders');
      }
      expect(customers!.callSite).toMatch(new RegExp(`^recentOrders \\(src/app\\.ts:${tsLine}:\\d+\\)$`));
      expect(products!.callSite).toMatch(new RegExp(`^recentOrders \\(src/app\\.ts:${tsLine + 1}:\\d+\\)$`));
      expect(summary).toMatch(/N\+1: 50 per request × 3 requests .* at recentOrders \(src\/app\.ts:/);
      expect(summary).not.toMatch(/×150/);
    } finally {
      await cleanup();
    }
  });
});
