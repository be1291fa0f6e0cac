import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './servers.js';
import { tempProject } from './helpers.js';
import { runScript, writeFiles } from './k6-helpers.js';

/**
 * The k6 API as scripts use it, against a real loopback server that counts what it receives.
 */
let project: Awaited<ReturnType<typeof tempProject>>;
let server: TestServer;
const seen: Array<{ method: string; url: string; headers: Record<string, unknown>; body: string }> = [];
beforeAll(async () => {
  project = await tempProject();
  server = await startServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const url = new URL(req.url!, 'http://x');
      if (url.pathname === '/login') {
        res.setHeader('set-cookie', 'session=abc123; Path=/');
        res.end('{"token":"t-1"}');
      } else if (url.pathname === '/whoami') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ cookie: req.headers.cookie ?? null, items: [{ id: 7 }, { id: 9 }] }));
      } else if (url.pathname === '/redirect') {
        res.statusCode = 302;
        res.setHeader('location', '/whoami');
        res.end();
      } else if (url.pathname === '/missing') {
        res.statusCode = 404;
        res.end('nope');
      } else if (url.pathname === '/echo') {
        res.end(JSON.stringify({ method: req.method, body, ct: req.headers['content-type'] ?? null }));
      } else res.end('ok');
    });
  });
});
afterAll(async () => {
  await server.close();
  await project.cleanup();
});

describe('k6 API', () => {
  it('runs http, check, group, cookies, redirects, json selectors and custom metrics with exact counts', async () => {
    seen.length = 0;
    server.requests = 0;
    await writeFiles(project.dir, {
      'load-test/api.js': `
import http from 'k6/http';
import { check, group, sleep } from 'k6';
import { Counter, Trend, Rate, Gauge } from 'k6/metrics';
import encoding from 'k6/encoding';
import crypto from 'k6/crypto';
import exec from 'k6/execution';

const logins = new Counter('logins');
const itemId = new Trend('item_id');
const okRate = new Rate('ok_rate');
const lastVu = new Gauge('last_vu');

export const options = {
  vus: 2,
  iterations: 6,
  thresholds: {
    logins: ['count==6'],
    'http_req_duration{name:whoami}': ['p(95)<2000'],
    'checks{group:::auth}': ['rate==1'],
    http_req_failed: ['rate<0.5'],
  },
};

function login(base) {
  const res = http.post(base + '/login', { user: 'a', pass: 'b' });
  logins.add(1);
  return res;
}

export default function () {
  const base = __ENV.BASE_URL;
  group('auth', () => {
    const res = login(base);
    check(res, { 'login 200': (r) => r.status === 200, 'token': (r) => r.json('token') === 't-1' });
  });
  const me = http.get(base + '/whoami', { tags: { name: 'whoami' } });
  check(me, {
    'cookie sent': (r) => r.json().cookie === 'session=abc123',
    'items': (r) => r.json('items.#') === 2 && r.json('items.1.id') === 9,
    'header': (r) => r.headers['Content-Type'] === 'application/json',
    'stringified': (r) => JSON.parse(JSON.stringify(r)).headers['Content-Type'] === 'application/json' && JSON.parse(JSON.stringify(r)).body === r.body,
  });
  itemId.add(me.json('items.0.id'));
  const red = http.get(base + '/redirect');
  check(red, { 'redirect followed': (r) => r.status === 200 && r.url.endsWith('/whoami') });
  const miss = http.get(base + '/missing');
  okRate.add(miss.status === 200);
  check(miss, { '404 code': (r) => r.status === 404 && r.error_code === 1404 });
  const echo = http.put(base + '/echo', JSON.stringify({ a: 1 }), { headers: { 'Content-Type': 'application/json' } });
  check(echo, { 'put body': (r) => r.json('body') === '{"a":1}' && r.json('method') === 'PUT' });
  const [b1, b2] = http.batch([['GET', base + '/a'], { method: 'GET', url: base + '/b' }]);
  const named = http.batch({ c: base + '/c' });
  check(null, { 'batch': () => b1.status === 200 && b2.status === 200 && named.c.status === 200 });
  check(null, {
    'encoding': () => encoding.b64encode('hi') === 'aGk=' && encoding.b64decode('aGk=', 'std', 's') === 'hi',
    'crypto': () => crypto.sha256('abc', 'hex') === 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    'vu ids': () => __VU >= 1 && __VU <= 2 && exec.vu.idInTest === __VU,
  });
  lastVu.add(__VU);
  sleep(0.01);
}
`,
    });
    const { structured: r } = await runScript(project.dir, { script: 'load-test/api.js', env: { BASE_URL: server.url } });
    // 6 iterations × (login, whoami, redirect (2 hops), missing, echo, 3 batch) = 6 × 9
    expect(server.requests).toBe(54);
    expect(r.requests.total).toBe(54);
    expect(r.iterations).toEqual({ total: 6, dropped: 0 });
    expect(r.vusMax).toBe(2);
    for (const c of r.checks) expect(c, c.name).toMatchObject({ fails: 0 });
    expect(r.checks.reduce((s, c) => s + c.passes, 0)).toBe(6 * 13);
    expect(r.checks.find((c) => c.name === 'auth › login 200')?.passes).toBe(6);
    expect(r.metrics?.logins).toEqual({ type: 'counter', values: { count: 6, rate: expect.any(Number) } });
    expect(r.metrics?.item_id?.values.avg).toBe(7);
    expect(r.metrics?.ok_rate?.values.rate).toBe(0);
    expect(r.thresholds.map((t) => [t.metric, t.ok])).toEqual([
      ['logins', true],
      ['http_req_duration{name:whoami}', true],
      ['checks{group:::auth}', true],
      ['http_req_failed', true],
    ]);
    // 404s are failed requests (k6's default expected statuses 200–399)
    expect(r.requests.failed).toBe(6);
    const auth = r.groups?.find((g) => g.name === 'auth');
    expect(auth).toMatchObject({ path: '::auth', requests: 6, checks: { passes: 12, fails: 0 } });
    const login = seen.find((s) => s.url === '/login')!;
    expect(login.body).toBe('user=a&pass=b');
    expect(login.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(r.passed).toBe(true);
  });
});
