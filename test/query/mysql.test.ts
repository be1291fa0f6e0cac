import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeQuery } from '../../src/query/index.js';
import { fixtureName, makeContext, MYSQL_URL } from './helpers.js';

/**
 * Real MariaDB (127.0.0.1:3306, root, database `test`). 200k rows generated server-side with
 * a recursive CTE. Safety is proven with a checksum over every row (and the MyISAM table's).
 */
const T = fixtureName('q_my_orders');
const M = fixtureName('q_my_myisam');
let admin: mysql.Connection;

async function checksum(table = T): Promise<string> {
  const [rows] = await admin.query(`CHECKSUM TABLE ${table} EXTENDED`);
  const [count] = await admin.query(`SELECT count(*) AS n FROM ${table}`);
  return `${(count as Array<{ n: number }>)[0]!.n}:${(rows as Array<{ Checksum: number }>)[0]!.Checksum}`;
}
async function ourConnections(): Promise<number> {
  const [rows] = await admin.query("SELECT count(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE '%perfeng_marker%' AND ID <> CONNECTION_ID()");
  return Number((rows as Array<{ n: number }>)[0]!.n);
}
async function run(input: Record<string, unknown>, options: { signal?: AbortSignal; allowScratchCopy?: boolean } = {}) {
  const { context, cleanup } = await makeContext(options);
  try {
    return await analyzeQuery({ database: MYSQL_URL, ...input }, context);
  } finally {
    await cleanup();
  }
}

beforeAll(async () => {
  admin = await mysql.createConnection({ uri: MYSQL_URL, multipleStatements: true });
  await admin.query(`DROP TABLE IF EXISTS ${T}, ${M}`);
  await admin.query(`CREATE TABLE ${T} (id INT PRIMARY KEY, customer_id INT, status INT, created_at DATETIME, total DECIMAL(10,2)) ENGINE=InnoDB`);
  await admin
    .query(
      `SET SESSION cte_max_recursion_depth = 300000; INSERT INTO ${T} WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 200000) SELECT x, (x % 5000) + 1, x % 7, TIMESTAMP('2024-01-01') + INTERVAL x MINUTE, x * 0.5 FROM g`,
    )
    .catch(async () => {
      // MariaDB names the limit max_recursive_iterations.
      await admin.query(
        `SET SESSION max_recursive_iterations = 300000; INSERT INTO ${T} WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 200000) SELECT x, (x % 5000) + 1, x % 7, TIMESTAMP('2024-01-01') + INTERVAL x MINUTE, x * 0.5 FROM g`,
      );
    });
  await admin.query(`CREATE TABLE ${M} (id INT PRIMARY KEY, v INT) ENGINE=MyISAM`);
  await admin.query(`INSERT INTO ${M} VALUES (1, 1), (2, 2), (3, 3)`);
  await admin.query(`ANALYZE TABLE ${T}`);
}, 120_000);

afterAll(async () => {
  await admin?.query(`DROP TABLE IF EXISTS ${T}, ${M}`);
  await admin?.end();
});

describe('analyze_query on MySQL/MariaDB', () => {
  it('SELECT: executed in a read-only transaction, full scan + filesort findings, unverified composite index', async () => {
    const before = await checksum();
    const { structured } = await run({ sql: `SELECT id, total FROM ${T} o WHERE o.customer_id = 42 AND o.status = 3 ORDER BY o.created_at DESC` });
    expect(structured).toMatchObject({ dialect: 'mysql', statementKind: 'select', analyzed: true });
    expect(structured.executionMs).toBeGreaterThan(0);
    const scan = structured.findings.find((f) => f.rule === 'mysql-full-scan');
    expect(scan?.node).toMatch(new RegExp(`ALL on ${T} o`));
    expect(Number(scan?.evidence.rows)).toBeGreaterThan(100_000);
    expect(structured.findings.map((f) => f.rule)).toContain('mysql-filesort');
    const tableNode = structured.plan.summary.find((n) => n.relation === T)!;
    expect(tableNode.exclusivePct).toBeGreaterThan(10);
    const first = structured.indexSuggestions[0]!;
    expect(first).toMatchObject({ table: T, method: 'none', verified: false, improvementPct: null, after: { cost: null } });
    // every equality, then the ORDER BY column: the index that also removes the filesort
    expect(first.columns).toEqual(['customer_id', 'status', 'created_at']);
    expect(first.note).toMatch(/not verified/);
    expect(await checksum()).toBe(before);
  });

  it('with query.allowScratchCopy: indexes verified on a session-private TEMPORARY copy; the real table keeps its rows and indexes', async () => {
    const before = await checksum();
    // One candidate column keeps this test short: each trial rebuilds the 200k-row copy's indexes.
    const { structured } = await run({ sql: `SELECT id, total FROM ${T} WHERE customer_id = 42` }, { allowScratchCopy: true });
    const best = structured.indexSuggestions[0]!;
    expect(best).toMatchObject({ table: T, columns: ['customer_id'], method: 'scratch-copy', verified: true, usedByPlan: true });
    expect(best.after.cost!).toBeLessThan(best.before.cost! / 2);
    expect(structured.warnings.join(' ')).toMatch(/TEMPORARY copy/);
    const [indexes] = await admin.query(
      `SELECT DISTINCT INDEX_NAME AS n FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`,
      [T],
    );
    expect((indexes as Array<{ n: string }>).map((r) => r.n)).toEqual(['PRIMARY']);
    expect(await checksum()).toBe(before);
  });

  it('UPDATE: plain EXPLAIN by default; with analyze run in a transaction that is rolled back', async () => {
    const before = await checksum();
    const plain = await run({ sql: `UPDATE ${T} SET status = 99 WHERE customer_id = 42` });
    expect(plain.structured.analyzed).toBe(false);
    const analyzed = await run({ sql: `DELETE FROM ${T} WHERE status = 3`, analyze: true, suggestIndexes: false });
    expect(analyzed.structured.analyzed).toBe(true);
    expect(analyzed.structured.warnings.join(' ')).toMatch(/rolled back/);
    expect(await checksum()).toBe(before);
  });

  it('refuses to execute a write on a non-transactional (MyISAM) table, whose rows stay as they were', async () => {
    const before = await checksum(M);
    await expect(run({ sql: `UPDATE ${M} SET v = v + 1`, analyze: true })).rejects.toThrow(/MyISAM engine, which ignores ROLLBACK/);
    const plain = await run({ sql: `UPDATE ${M} SET v = v + 1` });
    expect(plain.structured.analyzed).toBe(false);
    expect(await checksum(M)).toBe(before);
  });

  it('refuses DDL, SET, side-effect functions and a second statement', async () => {
    const before = await checksum();
    await expect(run({ sql: `DROP TABLE ${T}` })).rejects.toThrow(/refusing.*DDL/);
    await expect(run({ sql: 'SET autocommit = 1' })).rejects.toThrow(/refusing.*SET/);
    await expect(run({ sql: "SELECT GET_LOCK('x', 1)" })).rejects.toThrow(/GET_LOCK\(\)/);
    await expect(run({ sql: `SELECT 1; DELETE FROM ${T}` })).rejects.toThrow(/second statement/);
    expect(await checksum()).toBe(before);
  });

  it('statement timeout (max_statement_time) stops a long statement and the estimated plan is reported', async () => {
    const started = performance.now();
    // A 30 s statement stopped well before its end: margin enough for a busy machine.
    const { structured } = await run({ sql: `SELECT SLEEP(30) AS perfeng_marker, id FROM ${T} WHERE id = 1`, timeoutMs: 800, suggestIndexes: false });
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(structured.analyzed).toBe(false);
    expect(structured.findings.find((f) => f.rule === 'slow-query')).toMatchObject({ severity: 'high' });
    expect(await ourConnections()).toBe(0);
  });

  it('bad input: wrong credentials, unknown table, unreachable port', async () => {
    await expect(run({ sql: 'SELECT 1', database: 'mysql://no_such_user:pw@127.0.0.1:3306/test' })).rejects.toThrow(/refused the credentials|Access denied/);
    await expect(run({ sql: 'SELECT * FROM no_such_table_here' })).rejects.toThrow(/no_such_table_here.*doesn't exist.*check the table name/);
    await expect(run({ sql: 'SELECT 1', database: 'mysql://root@127.0.0.1:1/test' })).rejects.toThrow(/connection refused/);
  });
});
