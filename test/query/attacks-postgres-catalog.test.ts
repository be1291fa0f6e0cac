import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeIn, fixtureName, PG_URL } from './helpers.js';
import { lacking } from '../helpers/system.js';

/**
 * User code reached through the catalog rather than named in the statement (issue 13, second
 * audit, real PostgreSQL 15): expression indexes and partial-index predicates (evaluated on
 * every INSERT/UPDATE, and constant parts folded by the planner on every plan of the table),
 * DOMAIN checks (nested, arrays of domains), column defaults and generated columns, identity
 * columns, partition keys, row-security policies (run on reads) and foreign-key SET DEFAULT
 * actions. Each function here moves a sequence — sequences are not rolled back — so "nothing
 * changed" is checked on the sequence as well as on every table's count and sum.
 */
const lack = lacking(import.meta.url, 'hypopg');
const P = fixtureName('atk_pgc'); // schema of every fixture
const SEQ = `${P}.seq`;
let admin: pg.Client;

const TABLES = ['idx', 'pidx', 'dom', 'domarr', 'domseq', 'def', 'gen', 'ident', 'part', 'rls', 'fkparent', 'fkchild', 'plain'];

async function state(): Promise<string> {
  const parts: unknown[] = [];
  for (const t of TABLES) {
    const r = await admin.query(`SELECT count(*) || ':' || md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) AS c FROM ${P}.${t} x`);
    parts.push(r.rows[0].c);
  }
  for (const s of [SEQ, `${P}.ident_id_seq`, `${P}.fkseq`]) parts.push((await admin.query(`SELECT last_value, is_called FROM ${s}`)).rows[0]);
  return JSON.stringify(parts);
}

const run = (input: Record<string, unknown>, trustedFunctions: string[] = []) => analyzeIn(PG_URL, input, { trustedFunctions });

/** A function that moves the shared sequence to `mark` — a side effect no rollback undoes. */
function bumping(name: string, args: string, returns: string, body: string, mark: number): string {
  return `CREATE FUNCTION ${P}.${name}(${args}) RETURNS ${returns} IMMUTABLE LANGUAGE plpgsql AS $$ BEGIN PERFORM setval('${SEQ}', ${mark}); ${body} END $$`;
}

beforeAll(async () => {
  if (lack) return;
  admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${P} CASCADE; CREATE SCHEMA ${P}; CREATE SEQUENCE ${SEQ}; SELECT nextval('${SEQ}')`);
  const ddl = [
    bumping('idx_fn', 'int', 'int', 'RETURN $1;', 100),
    bumping('pred_fn', 'int', 'boolean', 'RETURN $1 > 0;', 200),
    bumping('dom_fn', 'int', 'boolean', 'RETURN $1 > 0;', 300),
    bumping('def_fn', '', 'int', 'RETURN 7;', 400),
    bumping('gen_fn', 'int', 'int', 'RETURN $1 * 2;', 500),
    bumping('part_fn', 'int', 'int', 'RETURN $1;', 600),
    bumping('rls_fn', 'int', 'boolean', 'RETURN true;', 700),
    // Expression index over a user function: every inserted row evaluates it.
    `CREATE TABLE ${P}.idx (id int PRIMARY KEY, v int); CREATE INDEX ON ${P}.idx ((${P}.idx_fn(v)))`,
    // Partial index whose predicate calls a user function.
    `CREATE TABLE ${P}.pidx (id int PRIMARY KEY, v int); CREATE INDEX ON ${P}.pidx (id) WHERE ${P}.pred_fn(v)`,
    // A DOMAIN check calling a user function, reached through a nested domain and an array of it.
    `CREATE DOMAIN ${P}.pos AS int CHECK (${P}.dom_fn(VALUE)); CREATE DOMAIN ${P}.pos2 AS ${P}.pos`,
    `CREATE TABLE ${P}.dom (id int PRIMARY KEY, d ${P}.pos2); INSERT INTO ${P}.dom VALUES (1, NULL)`,
    `CREATE TABLE ${P}.domarr (id int PRIMARY KEY, d ${P}.pos[])`,
    // A DOMAIN check calling a side-effect built-in directly.
    `CREATE DOMAIN ${P}.seqdom AS bigint CHECK (VALUE < nextval('${SEQ}') + 1000000)`,
    `CREATE TABLE ${P}.domseq (id int PRIMARY KEY, d ${P}.seqdom)`,
    `CREATE TABLE ${P}.def (id int PRIMARY KEY, v int DEFAULT ${P}.def_fn())`,
    `CREATE TABLE ${P}.gen (id int PRIMARY KEY, v int, g int GENERATED ALWAYS AS (${P}.gen_fn(v)) STORED)`,
    `CREATE TABLE ${P}.ident (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v int)`,
    `CREATE TABLE ${P}.part (id int, v int) PARTITION BY RANGE (${P}.part_fn(v))`,
    `CREATE TABLE ${P}.part_a PARTITION OF ${P}.part FOR VALUES FROM (MINVALUE) TO (MAXVALUE)`,
    `CREATE TABLE ${P}.rls (id int PRIMARY KEY, v int); INSERT INTO ${P}.rls SELECT g, g FROM generate_series(1, 10) g`,
    `ALTER TABLE ${P}.rls ENABLE ROW LEVEL SECURITY; ALTER TABLE ${P}.rls FORCE ROW LEVEL SECURITY`,
    `CREATE POLICY rls_p ON ${P}.rls USING (${P}.rls_fn(id))`,
    `GRANT USAGE ON SCHEMA ${P} TO PUBLIC; GRANT SELECT ON ALL TABLES IN SCHEMA ${P} TO PUBLIC`,
    // ON DELETE SET DEFAULT: deleting a parent row fills the child's default — a nextval.
    `CREATE SEQUENCE ${P}.fkseq; CREATE TABLE ${P}.fkparent (id int PRIMARY KEY); INSERT INTO ${P}.fkparent SELECT generate_series(0, 5)`,
    `CREATE TABLE ${P}.fkchild (id int PRIMARY KEY, p int DEFAULT nextval('${P}.fkseq') % 1 REFERENCES ${P}.fkparent ON DELETE SET DEFAULT)`,
    `INSERT INTO ${P}.fkchild VALUES (1, 3)`,
    `CREATE TABLE ${P}.plain (id int PRIMARY KEY, v int); INSERT INTO ${P}.plain SELECT g, g FROM generate_series(1, 100) g`,
    // User-defined operators over built-in functions: one harmless, one a side effect.
    `CREATE OPERATOR ${P}.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = int4eq, RESTRICT = eqsel)`,
    `CREATE OPERATOR ${P}.### (LEFTARG = regclass, RIGHTARG = bigint, FUNCTION = setval)`,
  ];
  for (const statement of ddl) await admin.query(statement);
  await admin.query(`SELECT setval('${SEQ}', 1)`);
});

afterAll(async () => {
  if (lack) return;
  await admin?.query(`DROP SCHEMA IF EXISTS ${P} CASCADE`);
  await admin?.end();
});

describe.skipIf(!!lack)('analyze_query: user code the catalog attaches to a table is refused, nothing changes', () => {
  it('analysed writes: expression index, partial-index predicate, domain checks (nested, arrays, built-ins), defaults, generated and identity columns, partition keys, SET DEFAULT cascades', async () => {
    const before = await state();
    const cases: Array<[string, RegExp]> = [
      [`INSERT INTO ${P}.idx SELECT g, g FROM generate_series(1, 500) g`, new RegExp(`${P}\\.idx_fn\\(integer\\)`)],
      [`UPDATE ${P}.idx SET v = v + 1`, /idx_fn/],
      [`INSERT INTO ${P}.pidx VALUES (1, 1)`, /pred_fn/],
      [`INSERT INTO ${P}.dom VALUES (2, 5)`, /dom_fn/],
      [`UPDATE ${P}.dom SET d = 6 WHERE id = 1`, /dom_fn/],
      [`INSERT INTO ${P}.domarr VALUES (1, ARRAY[1, 2])`, /dom_fn/],
      [`INSERT INTO ${P}.domseq VALUES (1, 5)`, /nextval\(\)/],
      [`INSERT INTO ${P}.def (id) VALUES (1)`, /def_fn/],
      [`INSERT INTO ${P}.gen (id, v) VALUES (1, 1)`, /gen_fn/],
      [`INSERT INTO ${P}.ident (v) VALUES (1)`, /identity column id of .*sequence/],
      [`INSERT INTO ${P}.part VALUES (1, 1)`, /part_fn/],
      [`DELETE FROM ${P}.fkparent WHERE id = 3`, /nextval\(\)/],
    ];
    for (const [sql, why] of cases) await expect(run({ sql, analyze: true }), sql).rejects.toThrow(why);
    expect(await state()).toBe(before);
  });

  it('reads: planning folds constant parts of index expressions and partition keys, row-security policies run — refused, with and without analyze', async () => {
    const before = await state();
    const cases: Array<[string, RegExp]> = [
      [`SELECT * FROM ${P}.idx WHERE id = 1`, /idx_fn/],
      [`SELECT * FROM ${P}.pidx WHERE id = 1`, /pred_fn/],
      [`SELECT * FROM ${P}.part WHERE v = 1`, /part_fn/],
      [`SELECT count(*) FROM ${P}.rls`, /rls_fn/],
      [`SELECT p.id FROM ${P}.plain p JOIN ${P}.rls r USING (id)`, /rls_fn/],
    ];
    for (const [sql, why] of cases) {
      for (const analyze of [false, true]) await expect(run({ sql, analyze }), sql).rejects.toThrow(why);
    }
    expect(await state()).toBe(before);
  });

  it('the refusal names the code and how to trust it; a domain-typed column read does not run the check and is allowed', async () => {
    const before = await state();
    await expect(run({ sql: `INSERT INTO ${P}.dom VALUES (3, 7)`, analyze: true })).rejects.toThrow(/query\.trustedFunctions/);
    const read = await run({ sql: `SELECT d FROM ${P}.dom WHERE id = 1`, analyze: true });
    expect(read.structured.analyzed).toBe(true);
    const plain = await run({ sql: `UPDATE ${P}.plain SET v = v + 1 WHERE id < 50`, analyze: true });
    expect(plain.structured.analyzed).toBe(true);
    expect(plain.structured.protection?.transaction).toMatch(/rolled back/);
    expect(await state()).toBe(before);
  });

  it('a user-defined operator is judged by the functions it calls: over int4eq it is planned, over setval it is refused', async () => {
    const before = await state();
    const bump = `(('${SEQ}'::regclass) OPERATOR(${P}.###) 900)`;
    const cases: Array<[string, boolean]> = [
      [`SELECT ${bump}`, false],
      [`SELECT ${bump}`, true],
      [`SELECT id FROM ${P}.plain WHERE id = ${bump}::int`, true],
      [`UPDATE ${P}.plain SET v = v WHERE id = ${bump}::int`, true],
    ];
    for (const [sql, analyze] of cases) {
      await expect(run({ sql, analyze }), sql).rejects.toThrow(new RegExp(`operator ${P}\\.###\\(regclass,bigint\\) calls setval\\(\\)`));
    }
    for (const analyze of [false, true]) {
      const { structured } = await run({ sql: `SELECT id FROM ${P}.plain WHERE id OPERATOR(${P}.===) 5`, analyze });
      expect(structured.analyzed).toBe(analyze);
      expect(structured.protection?.catalog).toMatch(/no untrusted user code/);
    }
    expect(await state()).toBe(before);
  });

  it('trusting the function by its exact schema.name lets the analysed write through, rolled back', async () => {
    const { structured } = await run({ sql: `INSERT INTO ${P}.dom VALUES (4, 8)`, analyze: true }, [`${P}.dom_fn`]);
    expect(structured.analyzed).toBe(true);
    expect(structured.protection?.catalog).toMatch(new RegExp(`trusted functions run: ${P}\\.dom_fn`));
    // The trusted function did run (it moved the sequence); the row did not stay.
    expect((await admin.query(`SELECT count(*)::int AS n FROM ${P}.dom`)).rows[0].n).toBe(1);
    await admin.query(`SELECT setval('${SEQ}', 1)`);
  });
});
