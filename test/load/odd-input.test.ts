import { describe, expect, it } from 'vitest';
import { isUserError } from '../../src/common/errors.js';
import { classifyError } from '../../src/load/connection.js';
import { Sink } from '../../src/load/k6/metrics.js';
import { buildPlan } from '../../src/load/plan.js';
import { loadTestInputSchema } from '../../src/load/schema.js';
import { defaultConfig } from '../../src/store/config.js';

// Inputs the schema or the engine's own invariants usually keep out, handled as real checks (#20).
describe('odd input to the load generator', () => {
  it('refuses an empty request list when buildPlan is called without the schema', () => {
    const input = { ...loadTestInputSchema.parse({ url: 'http://127.0.0.1:1/' }), url: undefined, requests: [] };
    let error: unknown;
    try {
      buildPlan(input, defaultConfig());
    } catch (e) {
      error = e;
    }
    expect(isUserError(error)).toBe(true);
    expect((error as Error).message).toMatch(/`requests` is empty/);
  });

  it('gives a p(N) over 100 of a non-time trend as its maximum, as a time trend does', () => {
    const values = new Sink('trend', false);
    const times = new Sink('trend', true);
    for (const v of [3, 1, 2]) {
      values.add(v);
      times.add(v);
    }
    expect(values.stat('p(150)')).toBe(3);
    expect(times.stat('p(150)')).toBeCloseTo(3, 2);
    expect(values.stat('p(50)')).toBe(2);
  });

  it('does not take an error code that names an Object.prototype member for a known kind', () => {
    expect(classifyError(Object.assign(new Error('x'), { code: 'constructor' })).kind).toBe('other');
    expect(classifyError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })).kind).toBe('connection_refused');
  });
});
