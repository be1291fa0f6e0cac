import { describe, expect, it } from 'vitest';
import { detectNPlusOne } from '../../src/query/n-plus-one.js';
import { parseQueryLog } from '../../src/query/query-log.js';

// A log recorded under load: each request runs its own queries, interleaved with others.
function line(sql: string, requestId: string, stack = 'at handler (app.js:10:5)'): string {
  return JSON.stringify({ sql, durationMs: 0.5, stack, requestId });
}

describe('N+1 with request ids', () => {
  it('does not call one lookup per request, repeated across requests, an N+1', () => {
    const log = Array.from({ length: 50 }, (_, i) => line(`select * from orders where reference = 'R${i}'`, `req-${i}`)).join('\n');
    const queries = parseQueryLog(log);
    expect(queries[0]!.requestId).toBe('req-0');
    expect(detectNPlusOne(queries, { minCount: 3 })).toEqual([]);
  });

  it('still finds an N+1 inside a request while other requests interleave', () => {
    const lines: string[] = [];
    for (let r = 0; r < 4; r++) {
      lines.push(line('select id from orders order by id desc limit 10', `n-${r}`));
      for (let i = 0; i < 10; i++) {
        lines.push(line(`select name from customers where id = ${i}`, `n-${r}`));
        lines.push(line(`select * from orders where reference = 'X${r}${i}'`, `other-${r}-${i}`));
      }
    }
    const found = detectNPlusOne(parseQueryLog(lines.join('\n')), { minCount: 3 });
    expect(found).toHaveLength(1);
    expect(found[0]!.fingerprint).toMatch(/from customers where id = \?/);
    expect(found[0]!.count).toBe(40);
    expect(found[0]!.runs).toBe(4);
    expect(found[0]!.suggestion).toMatch(/JOIN customers/);
  });

  it('without request ids keeps the back-to-back behaviour', () => {
    const log = Array.from({ length: 5 }, (_, i) => JSON.stringify({ sql: `select * from t where id = ${i}` })).join('\n');
    expect(detectNPlusOne(parseQueryLog(log), { minCount: 3 })).toHaveLength(1);
  });
});
