import { describe, expect, it } from 'vitest';
import { assertHostAllowed, checkHostAllowed, hostOf, isLoopbackAddress, type HostLookup } from '../../src/common/hosts.js';

// A stand-in resolver: the table below includes public names, and tests must never send
// traffic (not even DNS look-ups we do not control) anywhere but loopback.
const fakeDns: Record<string, string[]> = {
  localhost: ['127.0.0.1', '::1'],
  'evil.example': ['127.0.0.1'],
  'localhost.evil.com': ['203.0.113.7'],
  'example.com': ['93.184.215.14'],
  'mixed.example': ['127.0.0.1', '198.51.100.1'],
  'staging.internal': ['10.1.2.3'],
};
const lookup: HostLookup = async (host) => {
  const found = fakeDns[host];
  if (!found) throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found;
};

describe('isLoopbackAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.5.5.5', true],
    ['127.255.255.254', true],
    ['::1', true],
    ['[::1]', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.1', false],
    ['192.168.1.1', false],
    ['0.0.0.0', false],
    ['::', false],
    ['::ffff:10.0.0.1', false],
    ['128.0.0.1', false],
    ['localhost', false], // a name, not an address: names are resolved first
  ])('%s → %s', (address, expected) => {
    expect(isLoopbackAddress(address)).toBe(expected);
  });
});

describe('checkHostAllowed', () => {
  it.each([
    ['http://127.0.0.1:8080/x', true],
    ['http://[::1]:3000/', true],
    ['http://localhost/', true],
    ['127.5.5.5', true],
    ['http://10.0.0.1/', false],
    ['https://example.com/', false],
    ['http://evil.example/', true], // resolves to loopback: fine
    ['http://localhost.evil.com/', false], // looks local, resolves elsewhere: refused
    ['http://mixed.example/', false], // one address elsewhere is enough to refuse
    ['http://nonexistent.invalid/', false],
  ])('%s → allowed=%s', async (target, expected) => {
    const verdict = await checkHostAllowed(target, { lookup });
    expect(verdict.allowed, verdict.reason).toBe(expected);
  });

  it('allows hosts listed in load.allowHosts, by name, address or wildcard', async () => {
    expect((await checkHostAllowed('https://example.com/', { lookup, allowHosts: ['example.com'] })).allowed).toBe(true);
    expect((await checkHostAllowed('http://staging.internal/', { lookup, allowHosts: ['10.1.2.3'] })).allowed).toBe(true);
    expect((await checkHostAllowed('http://staging.internal/', { lookup, allowHosts: ['*.internal'] })).allowed).toBe(true);
    expect((await checkHostAllowed('http://10.0.0.1/', { lookup, allowHosts: ['*.internal'] })).allowed).toBe(false);
  });

  it('resolves real loopback names with the system resolver', async () => {
    const verdict = await checkHostAllowed('http://localhost:1/');
    expect(verdict.allowed).toBe(true);
    expect(verdict.addresses.every(isLoopbackAddress)).toBe(true);
  });

  it('refuses with a message that names the config key', async () => {
    await expect(assertHostAllowed('http://10.0.0.1/', { lookup })).rejects.toThrow(/load\.allowHosts/);
  });

  it('extracts hosts from URLs and bare host:port', () => {
    expect(hostOf('http://User@Example.COM:80/a')).toBe('example.com');
    expect(hostOf('http://[::1]:80/')).toBe('::1');
    expect(hostOf('127.0.0.1:8080')).toBe('127.0.0.1');
    expect(() => hostOf('http://')).toThrow(/invalid URL/);
  });
});
