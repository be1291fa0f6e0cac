import { existsSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeQuery } from '../../src/query/index.js';
import { fixtureName, makeContext, MYSQL_URL } from './helpers.js';

/**
 * Hostile inputs against the real MariaDB (issue 13), each asserting the table's rows and sum
 * afterwards and that the answer says why: URL parameters that turn multi-statements on,
 * splitter disagreements with the server (backslash in `identifiers`, "--" without a space),
 * executable comments reaching a MyISAM table, INTO OUTFILE written with a comment for a space.
 */
const M = fixtureName('atk_my_myisam');
const OUT = `/tmp/perfeng-attack-outfile-${process.pid}`;
let admin: mysql.Connection;

async function state(): Promise<string> {
  const [rows] = await admin.query(`SELECT count(*) AS n, coalesce(sum(v), 0) AS s FROM ${M}`);
  return JSON.stringify(rows);
}
async function run(input: Record<string, unknown>) {
  const { context, cleanup } = await makeContext();
  try {
    return await analyzeQuery({ database: MYSQL_URL, suggestIndexes: false, ...input }, context);
  } finally {
    await cleanup();
  }
}

beforeAll(async () => {
  admin = await mysql.createConnection({ uri: MYSQL_URL });
  await admin.query(`DROP TABLE IF EXISTS ${M}`);
  await admin.query(`CREATE TABLE ${M} (id INT PRIMARY KEY, v INT) ENGINE=MyISAM`);
  await admin.query(`INSERT INTO ${M} VALUES (1, 10), (2, 20), (3, 30)`);
});
afterAll(async () => {
  await admin?.query(`DROP TABLE IF EXISTS ${M}`);
  await admin?.end();
});

describe('analyze_query against hostile MariaDB input: nothing changes', () => {
  it('URL parameters: multipleStatements=true and anything off the allow-list are refused naming the key', async () => {
    const before = await state();
    for (const param of ['multipleStatements=true', 'charset=gbk', 'flags=%2BMULTI_STATEMENTS', 'host=127.0.0.2']) {
      const key = param.split('=')[0]!;
      await expect(run({ sql: `SELECT 1; DELETE FROM ${M}`, database: `${MYSQL_URL}?${param}` })).rejects.toThrow(
        new RegExp(`refusing the database URL parameter "${key}"`),
      );
    }
    expect(await state()).toBe(before);
  });

  it('the splitter agrees with MariaDB: a backslash in `identifiers` and "--" without a space hide no second statement', async () => {
    const before = await state();
    for (const sql of [`SELECT 1 AS \`a\\\`; DELETE FROM ${M}; SELECT \`x\``, `SELECT 1--1; DELETE FROM ${M}`, `SELECT 2 --1; UPDATE ${M} SET v = 0`]) {
      await expect(run({ sql, analyze: true })).rejects.toThrow(/more than one statement|refusing/);
    }
    expect(await state()).toBe(before);
  });

  it('executable comments and INTO OUTFILE/DUMPFILE in any spacing are refused; no file is written', async () => {
    const before = await state();
    const cases: Array<[string, RegExp]> = [
      [`SELECT 1 /*!50000 , (SELECT 1 FROM ${M} FOR UPDATE) */`, /executable comment/],
      [`UPDATE ${M} /*! SET v = v + 1 */ WHERE id = 0`, /executable comment/],
      [`SELECT 1 /*M!100000 + 1 */`, /executable comment/],
      [`SELECT * FROM ${M} INTO/**/OUTFILE '${OUT}'`, /OUTFILE/],
      [`SELECT * FROM ${M} INTO\n\tDUMPFILE '${OUT}'`, /OUTFILE\/DUMPFILE/],
      [`SELECT * FROM ${M} INTO  /* x */ OutFile '${OUT}'`, /OUTFILE/],
    ];
    for (const [sql, why] of cases) await expect(run({ sql, analyze: true })).rejects.toThrow(why);
    expect(existsSync(OUT)).toBe(false);
    expect(await state()).toBe(before);
  });

  it('an analysed write to a MyISAM table stays refused', async () => {
    const before = await state();
    await expect(run({ sql: `UPDATE ${M} SET v = v + 1`, analyze: true })).rejects.toThrow(/MyISAM/);
    expect(await state()).toBe(before);
  });
});
