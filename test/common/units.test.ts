import { describe, expect, it } from 'vitest';
import { formatBytes, formatMs, formatPct, parseDurationMs, slugify } from '../../src/common/units.js';

describe('units', () => {
  it('parses k6-style durations', () => {
    expect(parseDurationMs('10s')).toBe(10_000);
    expect(parseDurationMs('2m')).toBe(120_000);
    expect(parseDurationMs('1m30s')).toBe(90_000);
    expect(parseDurationMs('250ms')).toBe(250);
    expect(parseDurationMs('1h')).toBe(3_600_000);
    expect(parseDurationMs('1.5s')).toBe(1500);
    expect(parseDurationMs(30)).toBe(30_000);
  });

  it('quotes the bad part of an invalid duration', () => {
    expect(() => parseDurationMs('10 seconds')).toThrow(/"10 seconds"/);
    expect(() => parseDurationMs('s')).toThrow(/invalid duration/);
    expect(() => parseDurationMs('')).toThrow(/invalid duration/);
  });

  it('formats numbers for people', () => {
    expect(formatMs(0.0421)).toBe('0.042 ms');
    expect(formatMs(20.04)).toBe('20.0 ms');
    expect(formatMs(2350)).toBe('2.35 s');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatPct(0.0523)).toBe('5.23%');
    expect(formatPct(0.25, { signed: true })).toBe('+25.0%');
    expect(slugify('GET http://127.0.0.1:3000/api/users?id=1')).toBe('get-http-127-0-0-1-3000-api-users-id-1'.slice(0, 40).replace(/-+$/, ''));
  });
});
