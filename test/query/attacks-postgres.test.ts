import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeIn, fixtureName, PG_URL } from './helpers.js';
import { lacking } from '../helpers/system.js';

/**
 * Hostile inputs against the real PostgreSQL 15 (issue 13): each one changed data or another
 * session before the database enforced "never changes data". Every case asserts the database
 * state afterwards — row count and checksum, a sequence's value, a log table, a victim
 * session still alive — and that the answer says why it refused.
 */
const lack = lacking(import.meta.url, 'hypopg');
const T = fixtureName('atk_pg_t');
const CHILD = fixtureName('atk_pg_child');
const LOG = fixtureName('atk_pg_log');
const SEQ = fixtureName('atk_pg_seq');
const SERIAL = fixtureName('atk_pg_serial');
const SCH = `AtkSch_${process.pid}`; // mixed case: needs quoting
const MIXED = `Sneaky_${process.pid}`;
const ROLE = fixtureName('atk_pg_scs_off');
const VIEW = fixtureName('atk_pg_view');
const RULED = fixtureName('atk_pg_ruled');
const TRIG = fixtureName('atk_pg_trig');
const SWALLOW = fixtureName('atk_pg_swallow');
let admin: pg.Client;
let victim: pg.Client;

async function state(): Promise<string> {
  const rows = await admin.query(
    `SELECT count(*) || ':' || coalesce(sum(v), 0) || ':' || md5(coalesce(string_agg(t::text, ',' ORDER BY id), '')) AS c FROM ${T} t`,
  );
  const child = await admin.query(`SELECT count(*) AS n FROM ${CHILD}`);
  const log = await admin.query(`SELECT count(*) AS n FROM ${LOG}`);
  const seq = await admin.query(`SELECT last_value, is_called FROM ${SEQ}`);
  const serial = await admin.query(`SELECT last_value, is_called FROM ${SERIAL}_id_seq`);
  return JSON.stringify([rows.rows[0].c, child.rows[0].n, log.rows[0].n, seq.rows[0], serial.rows[0]]);
}

const run = (input: Record<string, unknown>, trustedFunctions: string[] = []) => analyzeIn(PG_URL, input, { trustedFunctions });

async function victimAlive(): Promise<boolean> {
  return victim.query('SELECT 1').then(
    () => true,
    () => false,
  );
}

beforeAll(async () => {
  if (lack) return;
  admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  victim = new pg.Client({ connectionString: PG_URL, application_name: 'perfeng attack victim' });
  victim.on('error', () => undefined);
  await victim.connect();
  await admin.query(
    `DROP TABLE IF EXISTS ${CHILD}, ${T}, ${LOG}, ${RULED}, ${SERIAL} CASCADE; DROP SEQUENCE IF EXISTS ${SEQ}; DROP SCHEMA IF EXISTS "${SCH}" CASCADE`,
  );
  await admin.query(`CREATE TABLE ${T} AS SELECT g AS id, g * 10 AS v FROM generate_series(1, 1000) g; ALTER TABLE ${T} ADD PRIMARY KEY (id)`);
  await admin.query(
    `CREATE TABLE ${CHILD} (id int PRIMARY KEY, t_id int REFERENCES ${T}(id) ON DELETE CASCADE); INSERT INTO ${CHILD} SELECT g, g FROM generate_series(1, 100) g`,
  );
  await admin.query(`CREATE TABLE ${LOG} (n int); CREATE SEQUENCE ${SEQ}; SELECT nextval('${SEQ}')`);
  await admin.query(`CREATE TABLE ${SERIAL} (id serial PRIMARY KEY, v int)`);
  await admin.query(`CREATE TABLE ${RULED} (id int, v int); CREATE RULE ${RULED}_r AS ON UPDATE TO ${RULED} DO ALSO INSERT INTO ${LOG} VALUES (1)`);
  await admin.query(`CREATE SCHEMA "${SCH}"`);
  // Side effects that survive a rollback: a sequence jump and a terminated session.
  await admin.query(
    `CREATE FUNCTION "${SCH}"."${MIXED}"(int) RETURNS int STABLE LANGUAGE plpgsql AS $$ BEGIN PERFORM setval('${SEQ}', 1000); RETURN $1; END $$`,
  );
  await admin.query(
    `CREATE FUNCTION "${SCH}".now() RETURNS timestamptz IMMUTABLE LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'perfeng attack victim'; RETURN '2024-01-01'; END $$`,
  );
  await admin.query(
    `CREATE FUNCTION "${SCH}".eq_bump(int, int) RETURNS boolean IMMUTABLE LANGUAGE plpgsql AS $$ BEGIN PERFORM setval('${SEQ}', 2000); RETURN $1 = $2; END $$`,
  );
  await admin.query(`CREATE OPERATOR "${SCH}".=== (LEFTARG = int, RIGHTARG = int, FUNCTION = "${SCH}".eq_bump)`);
  await admin.query(`CREATE TYPE "${SCH}".wrap AS (v int)`);
  await admin.query(
    `CREATE FUNCTION "${SCH}".unwrap("${SCH}".wrap) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$ BEGIN PERFORM setval('${SEQ}', 3000); RETURN ($1).v; END $$`,
  );
  await admin.query(`CREATE CAST ("${SCH}".wrap AS int) WITH FUNCTION "${SCH}".unwrap("${SCH}".wrap)`);
  await admin.query(`CREATE VIEW ${VIEW} AS SELECT id, "${SCH}"."${MIXED}"(v) AS v FROM ${T}`);
  // A "trusted" function that hides its side effect behind an exception handler.
  await admin.query(
    `CREATE FUNCTION ${SWALLOW}(int) RETURNS int STABLE LANGUAGE plpgsql AS $$ BEGIN BEGIN PERFORM setval('${SEQ}', 4000); EXCEPTION WHEN others THEN NULL; END; RETURN $1; END $$`,
  );
  await admin.query(`CREATE FUNCTION ${TRIG}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM setval('${SEQ}', 5000); RETURN NEW; END $$`);
  await admin.query(`CREATE TRIGGER ${TRIG} BEFORE UPDATE ON ${CHILD} FOR EACH ROW EXECUTE FUNCTION ${TRIG}()`);
  // A login role whose sessions default to standard_conforming_strings = off.
  await admin.query(`DROP ROLE IF EXISTS ${ROLE}`);
  await admin.query(
    `CREATE ROLE ${ROLE} LOGIN; ALTER ROLE ${ROLE} SET standard_conforming_strings = off; GRANT SELECT, DELETE, UPDATE ON ${T}, ${CHILD} TO ${ROLE}`,
  );
  await admin.query(`ANALYZE ${T}`);
});

afterAll(async () => {
  if (lack) return;
  await victim?.end().catch(() => undefined);
  await admin?.query(
    `DROP TABLE IF EXISTS ${CHILD}, ${T}, ${LOG}, ${RULED}, ${SERIAL} CASCADE; DROP SEQUENCE IF EXISTS ${SEQ}; DROP SCHEMA IF EXISTS "${SCH}" CASCADE; DROP FUNCTION IF EXISTS ${SWALLOW}(int), ${TRIG}() CASCADE`,
  );
  await admin?.query(`DROP OWNED BY ${ROLE}; DROP ROLE IF EXISTS ${ROLE}`).catch(() => undefined);
  await admin?.end();
});

describe.skipIf(!!lack)('analyze_query against hostile PostgreSQL input: nothing changes', () => {
  it('session behaviour from the URL: options=, and any other parameter, refused naming the key', async () => {
    const before = await state();
    const hidden = `SELECT 'a\\', '; DELETE FROM ${T}; --'`;
    for (const param of [
      'options=-c%20standard_conforming_strings%3Doff',
      'options=--search_path%3Devil',
      'application_name=x',
      'client_encoding=SJIS',
      'replication=database',
    ]) {
      const key = param.split('=')[0]!;
      await expect(run({ sql: hidden, database: `${PG_URL}?${param}` })).rejects.toThrow(new RegExp(`refusing the database URL parameter "${key}"`));
    }
    expect(await state()).toBe(before);
  });

  it('a role (or database) whose sessions default to standard_conforming_strings = off: one statement, nothing hidden runs', async () => {
    const before = await state();
    const url = `postgres://${ROLE}@127.0.0.1:5432/test`;
    for (const sql of [
      `SELECT 'a\\', '; DELETE FROM ${T}; --'`,
      `SELECT 'a\\', '; COMMIT; DELETE FROM ${T}; --' AS x FROM ${T} WHERE id = 1`,
      `SELECT 'a\\' AS a, '; UPDATE ${T} SET v = 0; SELECT ''' AS b`,
    ]) {
      const { structured } = await run({ sql, database: url });
      expect(structured.statementKind).toBe('select');
      expect(structured.protection?.statement).toMatch(/extended protocol/);
      expect(structured.protection?.transaction).toMatch(/READ ONLY/);
    }
    for (const sql of [
      `UPDATE ${T} SET v = v WHERE 'a\\' = '; DELETE FROM ${T}; --'`,
      `UPDATE ${T} SET v = v WHERE id = 0 AND 'x\\' <> '; DELETE FROM ${CHILD}; --'`,
    ]) {
      const { structured } = await run({ sql, database: url, analyze: true });
      expect(structured.protection?.transaction).toMatch(/rolled back/);
    }
    expect(await state()).toBe(before);
  });

  it('user functions are refused by exact, case-preserving, schema-aware name, whatever their declared volatility — with and without analyze', async () => {
    const before = await state();
    const cases: Array<[string, RegExp]> = [
      [`SELECT id FROM ${T} WHERE v = "${SCH}"."${MIXED}"(10)`, new RegExp(`user-defined function "${SCH}"\\."${MIXED}"\\(integer\\) \\(STABLE\\)`)],
      [`SELECT "${SCH}"."${MIXED}"(id) FROM ${T} WHERE id < 3`, /STABLE.*query\.trustedFunctions/],
      [`SELECT id FROM ${T} WHERE "${SCH}".now() > '2020-01-01'`, new RegExp(`"${SCH}"\\.now\\(\\) \\(IMMUTABLE\\)`)],
      [`SELECT id FROM ${T} WHERE id OPERATOR("${SCH}".===) 5`, /eq_bump/],
      [`SELECT (ROW(1)::"${SCH}".wrap)::int`, /unwrap/],
      [`SELECT * FROM ${VIEW} WHERE id = 1`, new RegExp(`"${SCH}"\\."${MIXED}"`)],
      [`WITH x AS (SELECT "${SCH}"."${MIXED}"(1) AS y) SELECT * FROM x`, /user-defined function/],
      [`SELECT id FROM ${T} WHERE id IN (SELECT "${SCH}"."${MIXED}"(v) FROM ${T})`, /user-defined function/],
    ];
    for (const [sql, why] of cases) {
      for (const analyze of [false, true]) await expect(run({ sql, analyze })).rejects.toThrow(why);
    }
    expect(await state()).toBe(before);
  });

  it('side-effect built-ins are refused: setval, pg_terminate_backend, SQL given as text (query_to_xml, ts_stat), files', async () => {
    const before = await state();
    const victimPid = (await victim.query('SELECT pg_backend_pid() AS p')).rows[0].p;
    const cases: Array<[string, RegExp]> = [
      [`SELECT setval('${SEQ}', 42)`, /setval\(\)/],
      [`SELECT id FROM ${T} WHERE id = pg_catalog.setval('${SEQ}', 43)`, /setval\(\)/],
      [`SELECT pg_terminate_backend(${victimPid})`, /pg_terminate_backend\(\)/],
      [`SELECT id FROM ${T} WHERE pg_cancel_backend(${victimPid})`, /pg_cancel_backend\(\)/],
      [`SELECT query_to_xml('SELECT setval(''${SEQ}'', 44)', true, false, '')`, /query_to_xml\(\)/],
      [`SELECT * FROM ts_stat('SELECT setval(''${SEQ}'', 45)::text::tsvector')`, /ts_stat\(\)/],
      [`SELECT lo_export(0, '/tmp/perfeng-attack-${process.pid}')`, /lo_export\(\)/],
      [`SELECT pg_advisory_lock(1)`, /pg_advisory_lock\(\)/],
      [`SELECT set_config('role', 'postgres', false)`, /set_config\(\)/],
      [`SELECT nextval('${SEQ}')`, /nextval\(\)/],
    ];
    for (const [sql, why] of cases) {
      for (const analyze of [false, true]) await expect(run({ sql, analyze })).rejects.toThrow(why);
    }
    expect(await victimAlive()).toBe(true);
    expect(await state()).toBe(before);
  });

  it('a trusted function hiding a side effect behind an exception handler: every read path (index trials without HypoPG too) is READ ONLY', async () => {
    const before = await state();
    const trusted = [`public.${SWALLOW}`];
    const { structured } = await run({ sql: `SELECT id FROM ${T} WHERE v = ${SWALLOW}(500)`, suggestIndexes: true, useHypopg: false }, trusted);
    expect(structured.protection?.catalog).toMatch(new RegExp(`trusted functions run: public\\.${SWALLOW}`));
    expect(structured.protection?.transaction).toMatch(/READ ONLY/);
    expect(structured.indexSuggestions.some((s) => s.method === 'rollback')).toBe(true);
    await run({ sql: `SELECT id FROM ${T} WHERE v = ${SWALLOW}(600)`, suggestIndexes: true, useHypopg: true }, trusted);
    expect(await state()).toBe(before);
  });

  it('executed writes: refused when a trigger, a rule, a sequence default, a view over user code or a cascaded trigger would run', async () => {
    const before = await state();
    const cases: Array<[string, RegExp]> = [
      [`UPDATE ${CHILD} SET t_id = t_id WHERE id = 1`, new RegExp(`trigger "${TRIG}"`)],
      [`DELETE FROM ${T} WHERE id = 1`, new RegExp(`trigger "${TRIG}"`)], // ON DELETE CASCADE writes CHILD, which has a trigger (on UPDATE: refused all the same)
      [`UPDATE ${RULED} SET v = 1`, new RegExp(`rule "${RULED}_r"`)],
      [`INSERT INTO ${SERIAL} (v) VALUES (1)`, /nextval\(\)/],
      [`UPDATE ${VIEW} SET id = id WHERE id = 1`, /user-defined function|cannot update/],
    ];
    for (const [sql, why] of cases) await expect(run({ sql, analyze: true })).rejects.toThrow(why);
    // Plain EXPLAIN of the same writes is fine: nothing executes.
    const plain = await run({ sql: `UPDATE ${CHILD} SET t_id = t_id WHERE id = 1` });
    expect(plain.structured.analyzed).toBe(false);
    expect(plain.structured.protection?.transaction).toMatch(/READ ONLY/);
    expect(await state()).toBe(before);
  });

  it('an analysed write on a plain table still runs, rolled back, and says which protection applied', async () => {
    const before = await state();
    const { structured } = await run({ sql: `UPDATE ${T} SET v = v + 1 WHERE id < 100`, analyze: true });
    expect(structured.analyzed).toBe(true);
    expect(structured.protection).toMatchObject({ transaction: expect.stringMatching(/rolled back/), catalog: expect.stringMatching(/checked \d+ relation/) });
    const read = await run({ sql: `SELECT count(*) FROM ${T} WHERE v > 10` });
    expect(read.structured.protection?.role).toMatch(/perfeng_readonly/);
    expect(await state()).toBe(before);
  });
});
