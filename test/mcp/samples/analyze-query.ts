import Database from 'better-sqlite3';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SampleCall } from './index.js';

/** A SQLite file with an unindexed filter and a JSON-lines query log with an N+1 run. */
export const analyzeQuerySample: SampleCall = {
  async setup(workDir) {
    const path = join(workDir, 'sample-shop.db');
    const db = new Database(path);
    db.exec(`
      CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INT, created_at TEXT);
      WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 20000)
        INSERT INTO orders SELECT x, x % 500, datetime('2024-01-01', '+' || x || ' minutes') FROM g;
    `);
    db.close();
    const log = Array.from({ length: 20 }, (_, i) =>
      JSON.stringify({ sql: `SELECT * FROM orders WHERE customer_id = ${i}`, durationMs: 0.4, stack: 'at listOrders (src/app.ts:10)' }),
    );
    await writeFile(join(workDir, 'queries.jsonl'), `${log.join('\n')}\n`);
    return { database: path, sql: 'SELECT id FROM orders WHERE customer_id = 7 ORDER BY created_at', queryLog: join(workDir, 'queries.jsonl') };
  },
};
