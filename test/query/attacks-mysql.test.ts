import { existsSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeIn, fixtureName, MYSQL_URL } from './helpers.js';

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
const run = (input: Record<string, unknown>, options: { trustedFunctions?: string[] } = {}) => analyzeIn(MYSQL_URL, input, options);

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

/**
 * Non-transactional tables reached indirectly (issue 13 class 3): MyISAM/Aria behind views,
 * triggers on an InnoDB table, stored functions (declared harmless, which is not trusted),
 * statements our parser cannot read, tables in another schema (also with no database in the
 * URL), sequences. Each case asserts CHECKSUM TABLE of every fixture and the sequence's next
 * value are unchanged, and that the refusal names the object and the reason.
 */
describe('analyze_query on MariaDB: the server catalog decides what an executed write may reach', () => {
  const pid = process.pid;
  const A = `atk_my_aria_${pid}`;
  const I = `atk_my_inno_${pid}`;
  const IT = `atk_my_trig_${pid}`;
  const V = `atk_my_v_${pid}`;
  const VV = `atk_my_vv_${pid}`;
  const VI = `atk_my_vi_${pid}`;
  const VF = `atk_my_vf_${pid}`;
  const F = `atk_my_f_${pid}`;
  const PURE = `atk_my_pure_${pid}`;
  const S = `atk_my_seq_${pid}`;
  const ID = `atk_my_seqdef_${pid}`;
  const OTHER = `perfeng_atk_other_${pid}`;
  const O = `atk_my_o_${pid}`;
  const NO_DB_URL = MYSQL_URL.replace(/\/test$/, '');

  async function checksums(): Promise<string> {
    const [sums] = await admin.query(`CHECKSUM TABLE ${M}, ${A}, ${I}, ${IT}, ${OTHER}.${O} EXTENDED`);
    const [seq] = await admin.query(`SELECT next_not_cached_value AS n FROM ${S}`);
    return JSON.stringify([sums, seq]);
  }

  beforeAll(async () => {
    for (const sql of [
      `DROP DATABASE IF EXISTS ${OTHER}`,
      `CREATE DATABASE ${OTHER}`,
      `CREATE TABLE ${OTHER}.${O} (id INT PRIMARY KEY, v INT) ENGINE=MyISAM`,
      `INSERT INTO ${OTHER}.${O} VALUES (1, 100), (2, 200)`,
      `CREATE OR REPLACE TABLE ${A} (id INT PRIMARY KEY, v INT) ENGINE=Aria`,
      `INSERT INTO ${A} VALUES (1, 1), (2, 2)`,
      `CREATE OR REPLACE TABLE ${I} (id INT PRIMARY KEY, v INT) ENGINE=InnoDB`,
      `INSERT INTO ${I} SELECT seq, seq * 10 FROM seq_1_to_200`,
      `CREATE OR REPLACE TABLE ${IT} (id INT PRIMARY KEY, v INT) ENGINE=InnoDB`,
      `INSERT INTO ${IT} VALUES (1, 1)`,
      `CREATE OR REPLACE TRIGGER ${IT}_au AFTER UPDATE ON ${IT} FOR EACH ROW UPDATE ${M} SET v = v + 1000`,
      `CREATE OR REPLACE TRIGGER ${IT}_ai AFTER INSERT ON ${IT} FOR EACH ROW INSERT INTO ${A} VALUES (NEW.id + 100, NEW.v)`,
      `CREATE OR REPLACE VIEW ${V} AS SELECT id, v FROM ${M}`,
      `CREATE OR REPLACE VIEW ${VV} AS SELECT id, v FROM ${V} UNION ALL SELECT id, v FROM ${A}`,
      `CREATE OR REPLACE VIEW ${VI} AS SELECT id, v FROM ${I} WHERE id > 0`,
      // Declared DETERMINISTIC READS SQL DATA, and it writes: declarations are not trusted.
      `CREATE OR REPLACE FUNCTION ${F}() RETURNS INT DETERMINISTIC READS SQL DATA BEGIN UPDATE ${M} SET v = v + 1; UPDATE ${OTHER}.${O} SET v = v + 1; RETURN 1; END`,
      `CREATE OR REPLACE VIEW ${VF} AS SELECT ${F}() AS x`,
      `CREATE OR REPLACE FUNCTION ${PURE}(x INT) RETURNS INT DETERMINISTIC NO SQL RETURN x * 2`,
      `CREATE OR REPLACE SEQUENCE ${S}`,
      `CREATE OR REPLACE TABLE ${ID} (id INT PRIMARY KEY DEFAULT NEXTVAL(${S}), v INT) ENGINE=InnoDB`,
    ])
      await admin.query(sql);
  });
  afterAll(async () => {
    for (const sql of [
      `DROP VIEW IF EXISTS ${VF}, ${VV}, ${V}, ${VI}`,
      `DROP FUNCTION IF EXISTS ${F}`,
      `DROP FUNCTION IF EXISTS ${PURE}`,
      `DROP TABLE IF EXISTS ${A}, ${I}, ${IT}, ${ID}`,
      `DROP SEQUENCE IF EXISTS ${S}`,
      `DROP DATABASE IF EXISTS ${OTHER}`,
    ])
      await admin?.query(sql).catch(() => undefined);
  });

  const attacks: Array<{ what: string; sql: string; analyze?: boolean; database?: string; why: RegExp }> = [
    {
      what: 'a MyISAM table through a view',
      sql: `UPDATE ${V} SET v = v + 1`,
      why: new RegExp(`test\\.${M} \\(reached through the view test\\.${V}\\) uses the MyISAM engine`),
    },
    { what: 'an Aria table through a view over a view', sql: `DELETE FROM ${VV} WHERE id = 1`, why: /uses the (MyISAM|Aria) engine/ },
    {
      what: 'a MyISAM table through the UPDATE trigger of an InnoDB table',
      sql: `UPDATE ${IT} SET v = v + 1`,
      why: new RegExp(`has the trigger test\\.${IT}_a[ui]`),
    },
    {
      what: 'an Aria table through the INSERT trigger of an InnoDB table',
      sql: `INSERT INTO ${IT} VALUES (5, 5)`,
      why: new RegExp(`has the trigger test\\.${IT}_ai`),
    },
    { what: 'a stored function in an analysed write', sql: `UPDATE ${I} SET v = ${F}() WHERE id = 1`, why: new RegExp(`stored function test\\.${F}\\(\\)`) },
    {
      what: 'a stored function, backquoted and spaced, in a plain EXPLAIN',
      sql: `SELECT * FROM ${I} WHERE id = \`${F}\` /* x */ ()`,
      analyze: false,
      why: /stored function/,
    },
    {
      what: 'a stored function, schema-qualified in upper case, in a plain EXPLAIN of a write',
      sql: `UPDATE ${I} SET v = 0 WHERE id = TEST.${F.toUpperCase()}()`,
      analyze: false,
      why: /stored function/,
    },
    {
      what: 'a stored function hidden in a view that a read selects from',
      sql: `SELECT * FROM ${VF}`,
      why: new RegExp(`the view test\\.${VF} it reads calls the stored function`),
    },
    { what: 'a write our parser cannot read', sql: `UPDATE LOW_PRIORITY IGNORE ${M} SET v = 0`, why: /our parser cannot read it/ },
    {
      what: 'a MyISAM table in another schema',
      sql: `UPDATE \`${OTHER}\`.\`${O}\` SET v = 0`,
      why: new RegExp(`table ${OTHER}\\.${O} uses the MyISAM engine`),
    },
    {
      what: 'a MyISAM table in another schema, URL without a database',
      sql: `DELETE FROM ${OTHER}.${O}`,
      database: NO_DB_URL,
      why: new RegExp(`table ${OTHER}\\.${O} uses the MyISAM engine`),
    },
    {
      what: 'an InnoDB write joined to a MyISAM table in another schema',
      sql: `UPDATE ${I} JOIN ${OTHER}.${O} USING (id) SET ${O}.v = 0`,
      why: /uses the MyISAM engine/,
    },
    {
      what: 'a sequence advanced by NEXT VALUE FOR in a plain EXPLAIN of a write',
      sql: `UPDATE ${I} SET v = NEXT VALUE FOR ${S} WHERE id = 1`,
      analyze: false,
      why: /sequence .* outside the transaction/,
    },
    { what: 'a sequence advanced by a read (the READ ONLY transaction refuses it)', sql: `SELECT NEXTVAL(${S})`, why: /NEXTVAL\(\)/ },
    { what: 'a sequence advanced through NEXT VALUE FOR in a read', sql: `SELECT NEXT VALUE FOR ${S}`, why: /READ ONLY transaction/ },
    {
      what: 'an InnoDB insert whose column default takes NEXTVAL of a sequence',
      sql: `INSERT INTO ${ID} (v) VALUES (1)`,
      why: /defaults to nextval.* outside the transaction/,
    },
    { what: 'a write the server finds no table for', sql: 'UPDATE no_such_table_anywhere SET v = 0', why: /server knows none of the tables/ },
    { what: 'an executable comment with a version', sql: `UPDATE ${I} SET v = 1 /*!50000 , id = id */ WHERE id = 1`, why: /executable comment/ },
    { what: 'a MariaDB-only executable comment', sql: `SELECT 1 /*M!100100 , (SELECT ${F}()) */`, why: /executable comment/ },
    { what: 'an executable comment on its own line', sql: `SELECT 1\n/*!\nUNION SELECT ${F}() */`, why: /executable comment/ },
  ];

  it.each(attacks)('refuses $what, and every table is unchanged', async ({ sql, analyze, database, why }) => {
    const before = await checksums();
    await expect(run({ sql, analyze: analyze ?? true, ...(database ? { database } : {}) })).rejects.toThrow(why);
    expect(await checksums()).toBe(before);
  });

  it('ordinary reads, and analysed InnoDB writes on plain tables or through a view, still run and are rolled back', async () => {
    const before = await checksums();
    const join = await run({ sql: `SELECT i.id, t.v FROM ${I} i JOIN ${IT} t ON t.id = i.id WHERE i.v > 5` });
    expect(join.structured.analyzed).toBe(true);
    expect(join.structured.protection?.transaction).toMatch(/READ ONLY/);
    expect(join.structured.protection?.role).toMatch(/cannot drop any/);
    const cte = await run({ sql: `WITH big AS (SELECT id FROM ${I} WHERE v > 1000) SELECT count(*) FROM big` });
    expect(cte.structured.plan.summary.some((n) => n.relation === I)).toBe(true);
    const write = await run({ sql: `UPDATE ${I} SET v = v + 1 WHERE id < 50`, analyze: true });
    expect(write.structured.analyzed).toBe(true);
    expect(write.structured.protection?.catalog).toMatch(new RegExp(`test\\.${I} \\(InnoDB\\)`));
    expect(write.structured.protection?.transaction).toMatch(/rolled back/);
    const viaView = await run({ sql: `DELETE FROM ${VI} WHERE id = 3`, analyze: true });
    expect(viaView.structured.protection?.catalog).toMatch(new RegExp(`views expanded: test\\.${VI}`));
    const otherSchemaRead = await run({ sql: `SELECT v FROM ${OTHER}.${O} WHERE id = 1`, database: NO_DB_URL });
    expect(otherSchemaRead.structured.analyzed).toBe(true);
    expect(await checksums()).toBe(before);
  });

  it('query.trustedFunctions lets a listed function be planned; a trusted function that writes is still stopped by READ ONLY', async () => {
    const before = await checksums();
    await expect(run({ sql: `SELECT id FROM ${I} WHERE v = ${PURE}(id)` })).rejects.toThrow(new RegExp(`stored function test\\.${PURE}\\(\\)`));
    const { structured } = await run({ sql: `SELECT id FROM ${I} WHERE v = ${PURE}(id)` }, { trustedFunctions: [`test.${PURE}`] });
    expect(structured.analyzed).toBe(true);
    expect(structured.protection?.catalog).toMatch(new RegExp(`except trusted test\\.${PURE}`));
    // Listed by mistake: MariaDB evaluates the constant call while planning, inside our READ ONLY transaction, which refuses its UPDATE.
    await expect(run({ sql: `SELECT id FROM ${I} WHERE v = ${F}()`, analyze: false }, { trustedFunctions: [`test.${F}`] })).rejects.toThrow(
      /READ ONLY transaction/,
    );
    expect(await checksums()).toBe(before);
  });
});
