import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectNPlusOne } from '../../src/query/n-plus-one.js';
import { callSiteOf, parseQueryLog, readQueryLog } from '../../src/query/query-log.js';

const loop = (n: number, extra: (i: number) => Array<{ sql: string; durationMs?: number; stack?: string }> = () => []) => [
  { sql: 'select id, customer_id from orders order by id desc limit 100', durationMs: 2 },
  ...Array.from({ length: n }, (_, i) => [
    { sql: `select * from customers where id = ${i + 1}`, durationMs: 0.5, stack: 'at loadCustomer (app/orders.js:42:11)' },
    ...extra(i),
  ]).flat(),
];

describe('N+1 detection', () => {
  it('reports a run of the same lookup with count, total time, call site and a batched rewrite', () => {
    const [item, ...rest] = detectNPlusOne(loop(100), { minCount: 3, dialect: 'postgres' });
    expect(rest).toHaveLength(0);
    expect(item!.count).toBe(100);
    expect(item!.totalMs).toBeCloseTo(50, 6);
    expect(item!.fingerprint).toBe('select * from customers where id = ?');
    expect(item!.callSite).toBe('loadCustomer (app/orders.js:42:11)');
    expect(item!.suggestion).toContain('where id = any($1)');
    expect(item!.suggestion).toContain('JOIN customers');
    expect(item!.suggestion).toContain('select id, customer_id from orders order by id desc limit ?');
  });

  it('catches interleaved per-row lookups of two tables (A B A B …) as two patterns', () => {
    const items = detectNPlusOne(
      loop(50, (i) => [{ sql: `select name from products where id = ${i}`, durationMs: 0.2 }]),
      { minCount: 3, dialect: 'sqlite' },
    );
    expect(items.map((i) => [i.fingerprint, i.count])).toEqual([
      ['select * from customers where id = ?', 50],
      ['select name from products where id = ?', 50],
    ]);
    expect(items[1]!.suggestion).toContain('in (?, ?, …)');
  });

  it('does not report repeats below the minimum, far-apart repeats, or one batched query', () => {
    expect(detectNPlusOne(loop(2), { minCount: 3 })).toEqual([]);
    const spread = Array.from({ length: 30 }, (_, i) => [
      { sql: `select * from users where id = ${i}` },
      ...Array.from({ length: 6 }, (_, j) => ({ sql: `select ${j} from t${j}` })),
    ]).flat();
    expect(detectNPlusOne(spread, { minCount: 3 })).toEqual([]);
    expect(detectNPlusOne([{ sql: 'select * from customers where id in (1,2,3,4,5)' }], { minCount: 3 })).toEqual([]);
  });

  it('keeps call sites apart when the log has stacks', () => {
    const queries = [
      ...Array.from({ length: 5 }, (_, i) => ({
        sql: `select * from users where id = ${i}`,
        stack: ['at a (node_modules/orm/x.js:1)', 'at pageA (src/a.ts:10)'],
      })),
      ...Array.from({ length: 5 }, (_, i) => ({ sql: `select * from users where id = ${i}`, stack: ['at pageB (src/b.ts:20)'] })),
    ];
    const items = detectNPlusOne(queries, { minCount: 3 });
    expect(items.map((i) => i.callSite).sort()).toEqual(['pageA (src/a.ts:10)', 'pageB (src/b.ts:20)']);
  });

  it('suggests a multi-row INSERT for repeated single-row inserts', () => {
    const items = detectNPlusOne(
      Array.from({ length: 10 }, (_, i) => ({ sql: `insert into events (a) values (${i})` })),
      { minCount: 3, dialect: 'postgres' },
    );
    expect(items[0]!.suggestion).toMatch(/multi-row INSERT/);
  });
});

describe('query logs', () => {
  it('reads JSON lines, PostgreSQL duration logs and plain statements', () => {
    expect(parseQueryLog('{"sql":"select 1","durationMs":1.5,"stack":"at x (a.js:1)"}\n\n{"query":"select 2","duration_ms":2}\n')).toEqual([
      { sql: 'select 1', durationMs: 1.5, stack: 'at x (a.js:1)' },
      { sql: 'select 2', durationMs: 2 },
    ]);
    const pg = [
      '2024-05-01 10:00:00.123 UTC [42] LOG:  duration: 0.512 ms  statement: SELECT * FROM users',
      '\tWHERE id = 1',
      '2024-05-01 10:00:00.124 UTC [42] LOG:  duration: 1.250 ms  execute <unnamed>: SELECT * FROM users WHERE id = $1',
      "2024-05-01 10:00:00.124 UTC [42] DETAIL:  parameters: $1 = '5'",
      '2024-05-01 10:00:01.000 UTC [42] LOG:  checkpoint starting: time',
    ].join('\n');
    expect(parseQueryLog(pg)).toEqual([
      { sql: 'SELECT * FROM users\nWHERE id = 1', durationMs: 0.512 },
      { sql: 'SELECT * FROM users WHERE id = $1', durationMs: 1.25 },
    ]);
    expect(parseQueryLog('select 1\n-- comment\n\nselect 2\n')).toEqual([{ sql: 'select 1' }, { sql: 'select 2' }]);
  });

  it('names the bad line of a JSON-lines log and a missing file', async () => {
    expect(() => parseQueryLog('{"sql":"select 1"}\n{broken\n')).toThrow(/line 2 is not valid JSON/);
    const dir = await mkdtemp(join(tmpdir(), 'perfeng-log-'));
    try {
      await expect(readQueryLog('missing.jsonl', dir)).rejects.toThrow(/cannot read the query log .*missing\.jsonl \(ENOENT\)/);
      await writeFile(join(dir, 'q.log'), 'select 1\n');
      await expect(readQueryLog('q.log', dir)).resolves.toEqual([{ sql: 'select 1' }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('takes the first application frame as the call site', () => {
    expect(callSiteOf('Error\n    at Query.run (node_modules/pg/lib/query.js:1:1)\n    at getUser (src/users.ts:12:5)')).toBe('getUser (src/users.ts:12:5)');
    expect(callSiteOf(undefined)).toBeUndefined();
  });
});

describe('analyze_query with only a query log', () => {
  it('needs no database: N+1 groups, no plan, dialect none', async () => {
    const { analyzeQuery } = await import('../../src/query/index.js');
    const { makeContext } = await import('./helpers.js');
    const { context, cleanup } = await makeContext();
    try {
      const { structured, summary } = await analyzeQuery({ queries: loop(30) }, context);
      expect(structured).toMatchObject({ dialect: 'none', statementKind: 'none', plan: { summary: [], compact: '' } });
      expect(structured.nPlusOne[0]).toMatchObject({ count: 30 });
      expect(summary.split('\n')[0]).toMatch(/^NEEDS WORK: .*1 N\+1 pattern/);
    } finally {
      await cleanup();
    }
  });
  it('refuses an empty request with what to give instead', async () => {
    const { analyzeQuery } = await import('../../src/query/index.js');
    const { makeContext } = await import('./helpers.js');
    const { context, cleanup } = await makeContext();
    try {
      await expect(analyzeQuery({}, context)).rejects.toThrow(/nothing to analyse — give `sql`/);
    } finally {
      await cleanup();
    }
  });
});
