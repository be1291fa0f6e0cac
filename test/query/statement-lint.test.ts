import { describe, expect, it } from 'vitest';
import { lintStatement } from '../../src/query/lint.js';
import { parsePostgres, parseWithNodeSqlParser, splitStatements } from '../../src/query/statement.js';

async function lintPg(sql: string): Promise<string[]> {
  const p = await parsePostgres(sql);
  return lintStatement(sql, p.kind, p.shape, 'postgres').map((l) => l.rule);
}
function lintLite(sql: string): string[] {
  const p = parseWithNodeSqlParser(sql, 'sqlite');
  return lintStatement(sql, p.kind, p.shape, 'sqlite').map((l) => l.rule);
}

describe('statement gate (PostgreSQL parser)', () => {
  it('classifies reads and writes', async () => {
    expect(await parsePostgres('select 1')).toMatchObject({ kind: 'select', readOnly: true });
    expect(await parsePostgres('with x as (select 1) select * from x')).toMatchObject({ kind: 'select', readOnly: true });
    expect(await parsePostgres('with d as (delete from t returning *) select * from d')).toMatchObject({ kind: 'select', readOnly: false });
    expect(await parsePostgres('select * from t for update')).toMatchObject({ kind: 'select', readOnly: false });
    expect(await parsePostgres('update t set a = 1')).toMatchObject({ kind: 'update', readOnly: false });
    expect(await parsePostgres('merge into t using s on t.id = s.id when matched then delete')).toMatchObject({ kind: 'merge', readOnly: false });
  });

  it('refuses a second statement, naming it', async () => {
    await expect(parsePostgres('select 1; delete from orders')).rejects.toThrow(/more than one statement.*"delete from orders"/);
  });

  it.each([
    ['drop table orders', /Drop statement.*DDL/],
    ['create index on t (a)', /Index statement/],
    ['alter table t add column b int', /AlterTable/],
    ["copy t to '/tmp/x'", /Copy statement: COPY/],
    ['vacuum t', /Vacuum statement: VACUUM/],
    ['set work_mem = 1', /VariableSet statement: SET/],
    ['begin', /Transaction statement/],
    ['explain select 1', /Explain statement: give the statement without EXPLAIN/],
    ['truncate t', /Truncate statement: TRUNCATE/],
    ['select * into t2 from t', /SELECT … INTO/],
    ['call p()', /Call statement: CALL/],
  ])('refuses %s', async (sql, reason) => {
    await expect(parsePostgres(sql)).rejects.toThrow(reason);
  });

  it('reports a syntax error with the parser message and position', async () => {
    await expect(parsePostgres('select id from where x = 1')).rejects.toThrow(/syntax error at or near "where" at line 1, column 16 \(near "where x = 1"\)/);
  });
});

describe('statement gate (node-sql-parser: SQLite / MySQL)', () => {
  it('splits on top-level semicolons only', () => {
    expect(splitStatements("select ';' as a; -- x\n")).toEqual(["select ';' as a"]);
    expect(splitStatements('select 1; select 2')).toHaveLength(2);
  });
  it('refuses multiple statements, DDL, PRAGMA, ATTACH and INTO OUTFILE', () => {
    expect(() => parseWithNodeSqlParser('select 1; drop table t', 'sqlite')).toThrow(/second statement is "drop table t"/);
    expect(() => parseWithNodeSqlParser('DROP TABLE t', 'sqlite')).toThrow(/DROP statement: DDL/);
    expect(() => parseWithNodeSqlParser('pragma user_version = 3', 'sqlite')).toThrow(/PRAGMA can change/);
    expect(() => parseWithNodeSqlParser("attach 'x.db' as x", 'sqlite')).toThrow(/ATTACH/);
    expect(() => parseWithNodeSqlParser("select * from t into outfile '/tmp/x'", 'mysql')).toThrow(/OUTFILE/);
    expect(() => parseWithNodeSqlParser('set sql_mode = ""', 'mysql')).toThrow(/SET changes/);
  });
  it('falls back to the first keyword when the parser cannot read valid SQL, with a warning', () => {
    const p = parseWithNodeSqlParser('select id from t where x = 1 window w as ()', 'sqlite');
    expect(p.kind).toBe('select');
    expect(p.parsedFully).toBe(false);
    expect(p.warnings[0]).toMatch(/could not read the statement/);
  });
});

describe('lint rules', () => {
  const cases: Array<[string, string, string]> = [
    ['select-star', 'select * from t where id = 1', 'select id from t where id = 1'],
    ['leading-wildcard-like', "select id from t where name like '%son'", "select id from t where name like 'son%'"],
    ['function-on-column', "select id from t where lower(email) = 'a@b'", "select id from t where email = 'a@b'"],
    ['or-across-columns', 'select id from t where a = 1 or b = 2', 'select id from t where a = 1 or a = 2'],
    ['not-in-subquery', 'select id from t where id not in (select t_id from u)', 'select id from t where not exists (select 1 from u where u.t_id = t.id)'],
    ['order-by-random', 'select id from t order by random() limit 1', 'select id from t order by id limit 1'],
    ['deep-offset', 'select id from t order by id limit 20 offset 5000', 'select id from t order by id limit 20 offset 40'],
    ['implicit-cross-join', 'select a.id from a, b where a.x = 1', 'select a.id from a, b where a.id = b.a_id'],
    ['distinct-join-fanout', 'select distinct a.id from a join b on b.a_id = a.id', 'select distinct a.kind from a where a.x = 1'],
    ['missing-limit', 'select id from t', 'select id from t where id = 5'],
    ['count-for-existence', 'select (select count(*) from t where a = 1) > 0', 'select count(*) from t where a = 1'],
  ];
  it.each(cases)('%s triggers on the anti-pattern and not on the fix (PostgreSQL)', async (rule, bad, good) => {
    expect(await lintPg(bad)).toContain(rule);
    expect(await lintPg(good)).not.toContain(rule);
  });
  it.each(cases.filter(([rule]) => rule !== 'count-for-existence'))('%s triggers and not on the fix (SQLite)', (rule, bad, good) => {
    const liteBad = bad.replace('random()', 'random()');
    expect(lintLite(liteBad)).toContain(rule);
    expect(lintLite(good)).not.toContain(rule);
  });
  it('count-for-existence on MySQL/SQLite text and ORDER BY RAND()', () => {
    expect(lintLite('select case when count(*) > 0 then 1 end from t where a = 1')).toContain('count-for-existence');
    const p = parseWithNodeSqlParser('select id from t order by rand() limit 1', 'mysql');
    expect(lintStatement('', p.kind, p.shape, 'mysql').map((l) => l.rule)).toContain('order-by-random');
  });
});
