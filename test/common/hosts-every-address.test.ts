import { describe, expect, it } from 'vitest';
import { checkHostAllowed, type HostLookup } from '../../src/common/hosts.js';

// A stand-in resolver (no real DNS, no traffic): names with several addresses.
const fakeDns: Record<string, string[]> = {
  'split.example': ['198.51.100.7', '10.0.0.9'],
  'mixed.example': ['127.0.0.1', '198.51.100.1'],
  'pair.example': ['198.51.100.7', '198.51.100.8'],
};
const lookup: HostLookup = async (host) => fakeDns[host] ?? Promise.reject(Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' }));

describe('the allow-list must cover every resolved address (issue 13)', () => {
  it('an IP entry matching one address does not let the others through', async () => {
    const verdict = await checkHostAllowed('http://split.example/', { allowHosts: ['198.51.100.7'], lookup });
    expect(verdict.allowed).toBe(false);
    expect(verdict.reason).toMatch(/10\.0\.0\.9.*does not cover/);
    const mixed = await checkHostAllowed('http://mixed.example/', { allowHosts: ['127.0.0.1'], lookup });
    expect(mixed.allowed).toBe(false);
  });

  it('IP entries covering every address, or the name itself, allow it; the pinned (first) address is always an allowed one', async () => {
    const both = await checkHostAllowed('http://pair.example/', { allowHosts: ['198.51.100.7', '198.51.100.8'], lookup });
    expect(both.allowed).toBe(true);
    expect(['198.51.100.7', '198.51.100.8']).toContain(both.addresses[0]);
    const byName = await checkHostAllowed('http://split.example/', { allowHosts: ['split.example'], lookup });
    expect(byName.allowed).toBe(true);
    const wildcard = await checkHostAllowed('http://split.example/', { allowHosts: ['*.example'], lookup });
    expect(wildcard.allowed).toBe(true);
  });
});
