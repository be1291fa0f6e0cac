import { describe, expect, it } from 'vitest';
import { fingerprintSql } from '../../src/query/fingerprint.js';

describe('fingerprintSql', () => {
  it('replaces literals and placeholders by ? and folds case and whitespace', () => {
    expect(fingerprintSql("SELECT * FROM users WHERE id=1 AND name = 'it''s'")).toBe('select * from users where id = ? and name = ?');
    expect(fingerprintSql('select *\n  from USERS where ID = $1')).toBe('select * from users where id = ?');
    expect(fingerprintSql('select * from users where id = :id and x = %s and y = ?')).toBe('select * from users where id = ? and x = ? and y = ?');
  });

  it('gives the same fingerprint for the same shape with other values, spacing and comments', () => {
    const a = fingerprintSql("select o.id from orders o where o.customer_id = 42 and o.status = 'paid' -- page 1");
    const b = fingerprintSql("SELECT o.id   FROM orders o\nWHERE o.customer_id=7 AND o.status='open' /* page 2 */");
    expect(a).toBe(b);
  });

  it('collapses IN lists of any length and multi-row VALUES', () => {
    expect(fingerprintSql('select * from t where id in (1, 2, 3)')).toBe(fingerprintSql('select * from t where id IN (4)'));
    expect(fingerprintSql('select * from t where id in (1,2,3)')).toBe('select * from t where id in (?)');
    expect(fingerprintSql("insert into t (a, b) values (1, 'x'), (2, 'y'), (3, 'z')")).toBe('insert into t (a, b) values (?, ?)');
  });

  it('keeps quoted identifiers, casts and operators; distinguishes different shapes', () => {
    expect(fingerprintSql('select "Name" from t where a::int > 5')).toBe('select "Name" from t where a::int > ?');
    expect(fingerprintSql('select a from t where b = 1')).not.toBe(fingerprintSql('select a from t where c = 1'));
    expect(fingerprintSql('select a from t where b = 1')).not.toBe(fingerprintSql('select a from t where b > 1'));
  });

  it('handles numbers in every form, E-strings and dollar quoting', () => {
    expect(fingerprintSql("select 1.5e3, 0x1f, .5, E'a\\'b', $$body$$, $tag$x$tag$ from t")).toBe('select ?, ?, ?, ?, ?, ? from t');
    expect(fingerprintSql('select t1.c2 from t1')).toBe('select t1.c2 from t1');
  });
});
