import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './servers.js';
import { load, tempProject } from './helpers.js';
import { runScript, writeFiles } from './k6-helpers.js';

/**
 * Whole k6 scripts: local modules, open()/SharedArray, array callbacks that block, error
 * lines, refusals (unsupported modules, non-loopback hosts), hosts mapping, thresholds that
 * fail or abort the run, cancellation, handleSummary, and the round trip of the k6 script a
 * plain run exports.
 */
let project: Awaited<ReturnType<typeof tempProject>>;
let server: TestServer;
const hostHeaders: string[] = [];
beforeAll(async () => {
  project = await tempProject();
  server = await startServer((req, res) => {
    hostHeaders.push(String(req.headers.host));
    const url = new URL(req.url!, 'http://x');
    const delay = Number(url.searchParams.get('delay') ?? 0);
    const status = Number(url.searchParams.get('status') ?? 200);
    setTimeout(() => {
      res.statusCode = status;
      res.end(url.pathname === '/login' ? '{"token":"abc"}' : 'ok');
    }, delay);
  });
});
afterAll(async () => {
  await server.close();
  await project.cleanup();
});

const reset = () => {
  server.requests = 0;
  hostHeaders.length = 0;
};

describe('k6 scripts', () => {
  it('local modules, open() + SharedArray, and blocking callbacks in forEach/map keep k6 order and counts', async () => {
    reset();
    await writeFiles(project.dir, {
      'load-test/lib/auth.js': `import http from 'k6/http';
export function login(base, user) {
  const res = http.post(base + '/login', JSON.stringify(user));
  return res.json('token');
}
export const api = { ping(base) { return http.get(base + '/ping').status; } };
`,
      'load-test/users.json': '[{"name":"ann"},{"name":"bob"},{"name":"cy"}]',
      'load-test/main.js': `import http from 'k6/http';
import { check } from 'k6';
import { SharedArray } from 'k6/data';
import { login, api } from './lib/auth.js';
const users = new SharedArray('users', () => JSON.parse(open('./users.json')));
export const options = { iterations: 3 };
export default function () {
  const base = __ENV.BASE_URL;
  const user = users[__ITER % users.length];
  const token = login(base, user);
  const statuses = ['/a', '/b'].map((p) => http.get(base + p + '?u=' + user.name).status);
  ['/c', '/d'].forEach((p) => { http.get(base + p); });
  check(token, { 'token from module': (t) => t === 'abc', 'statuses': () => statuses.join() === '200,200', 'ping': () => api.ping(base) === 200 });
}
`,
    });
    const { structured: r } = await runScript(project.dir, { script: 'load-test/main.js', env: { BASE_URL: server.url } });
    expect(server.requests).toBe(3 * 6);
    expect(r.requests.total).toBe(18);
    expect(r.checks.every((c) => c.fails === 0 && c.passes === 3)).toBe(true);
    // Top endpoints by count (the result keeps 8): the four every iteration hits.
    const top = r.endpoints.slice(0, 4).map((e) => [e.name.replace(server.url, ''), e.requests]);
    expect(top.sort()).toEqual([
      ['/c', 3],
      ['/d', 3],
      ['/login', 3],
      ['/ping', 3],
    ]);
    expect(r.endpoints).toHaveLength(8);
  });

  it('a higher-order helper that calls a blocking callback returns the response, not a promise', async () => {
    reset();
    await writeFiles(project.dir, {
      'load-test/retry.js': `import http from 'k6/http';
import { check } from 'k6';
export const options = { iterations: 2 };
function retry(fn, attempts) {
  let res;
  for (let i = 0; i < attempts; i++) {
    res = fn(i);
    if (res.status === 200) break;
  }
  return res;
}
export default function () {
  const res = retry((i) => http.get(__ENV.BASE_URL + '/?status=' + (i < 2 ? 503 : 200)), 5);
  check(res, { 'retried to 200': (r) => r.status === 200 });
}
`,
    });
    const { structured: r } = await runScript(project.dir, { script: 'load-test/retry.js', env: { BASE_URL: server.url } });
    expect(server.requests).toBe(2 * 3);
    expect(r.checks).toEqual([{ name: 'retried to 200', passes: 2, fails: 0 }]);
  });

  it('an exception names the script line; the run goes on with the next iteration', async () => {
    reset();
    await writeFiles(project.dir, {
      'load-test/boom.js': `import http from 'k6/http';
export const options = { iterations: 4 };

export default function () {
  http.get(__ENV.BASE_URL + '/');
  if (__ITER % 2 === 1) {
    throw new Error('broken on purpose');
  }
}
`,
    });
    const { structured: r } = await runScript(project.dir, { script: 'load-test/boom.js', env: { BASE_URL: server.url } });
    expect(server.requests).toBe(4);
    const scriptErrors = r.errors.find((e) => e.kind === 'script_error');
    expect(scriptErrors?.count).toBe(2);
    expect(scriptErrors?.example).toMatch(/broken on purpose at .*boom\.js:7:/);
  });

  it('refuses unsupported features before the run, naming the feature and the line', async () => {
    await writeFiles(project.dir, {
      'load-test/ws.js': `import http from 'k6/http';\n\nimport ws from 'k6/ws';\nexport default function () {}\n`,
      'load-test/remote.js': `import { textSummary } from 'https://jslib.k6.io/k6-summary/0.0.2/index.js';\nexport default function () {}\n`,
      'load-test/grpc.js': `// grpc\nimport grpc from 'k6/net/grpc';\nexport default function () {}\n`,
      'load-test/browser.js': `import { browser } from 'k6/browser';\nexport default function () {}\n`,
    });
    reset();
    await expect(runScript(project.dir, { script: 'load-test/ws.js' })).rejects.toThrow(/ws\.js:3: WebSockets/);
    await expect(runScript(project.dir, { script: 'load-test/remote.js' })).rejects.toThrow(/remote\.js:1: remote module imports/);
    await expect(runScript(project.dir, { script: 'load-test/grpc.js' })).rejects.toThrow(/grpc\.js:2: gRPC/);
    await expect(runScript(project.dir, { script: 'load-test/browser.js' })).rejects.toThrow(/browser testing/);
    expect(server.requests).toBe(0);
  });

  it('refuses a non-loopback host with a hint (hosts or BASE_URL); `hosts` maps it to the local server', async () => {
    await writeFiles(project.dir, {
      'load-test/remote-host.js': `import http from 'k6/http';
export const options = { iterations: 2, hosts: JSON.parse(__ENV.HOSTS || '{}') };
export default function () { http.get('https://api.example.com/products'.replace('https://api.example.com', __ENV.BASE_URL || 'https://api.example.com')); }
`,
      'load-test/mapped.js': `import http from 'k6/http';
export const options = { iterations: 3, hosts: { 'api.example.com': __ENV.TARGET } };
export default function () { http.get('http://api.example.com/products'); }
`,
    });
    // A lookup stub stands in for DNS: the name "resolves" to a public address, as it would.
    const lookup = async () => ['93.184.216.34'];
    reset();
    await expect(runScript(project.dir, { script: 'load-test/remote-host.js' }, { lookup })).rejects.toThrow(
      /refusing to send traffic to "api\.example\.com".*not loopback/,
    );
    await expect(runScript(project.dir, { script: 'load-test/remote-host.js' }, { lookup })).rejects.toMatchObject({
      hint: expect.stringMatching(/hosts.*BASE_URL/),
    });
    expect(server.requests).toBe(0);
    const viaEnv = await runScript(project.dir, { script: 'load-test/remote-host.js', env: { BASE_URL: server.url } }, { lookup });
    expect(viaEnv.structured.requests.total).toBe(2);
    reset();
    const mapped = await runScript(project.dir, { script: 'load-test/mapped.js', env: { TARGET: `127.0.0.1:${server.port}` } }, { lookup });
    expect(server.requests).toBe(3);
    expect(mapped.structured.requests.total).toBe(3);
    expect(hostHeaders).toEqual(['api.example.com', 'api.example.com', 'api.example.com']);
  });

  it('thresholds: a failing built-in threshold fails the run; abortOnFail stops it early', async () => {
    await writeFiles(project.dir, {
      'load-test/failing.js': `import http from 'k6/http';
export const options = { iterations: 10, thresholds: { http_req_failed: ['rate<0.01'], 'http_req_duration{status:500}': ['max<5000'] } };
export default function () { http.get(__ENV.BASE_URL + '/?status=' + (__ITER % 2 ? 500 : 200)); }
`,
      'load-test/abort.js': `import http from 'k6/http';
export const options = { vus: 2, duration: '20s', thresholds: { http_req_duration: [{ threshold: 'p(95)<5', abortOnFail: true }] } };
export default function () { http.get(__ENV.BASE_URL + '/?delay=60'); }
`,
    });
    reset();
    const failing = (await runScript(project.dir, { script: 'load-test/failing.js', env: { BASE_URL: server.url } })).structured;
    expect(failing.passed).toBe(false);
    expect(failing.thresholds).toEqual([
      { metric: 'http_req_failed', expression: 'rate<0.01', actual: 0.5, ok: false },
      { metric: 'http_req_duration{status:500}', expression: 'max<5000', actual: expect.any(Number), ok: true },
    ]);
    const started = performance.now();
    const aborted = (await runScript(project.dir, { script: 'load-test/abort.js', env: { BASE_URL: server.url } })).structured;
    expect(performance.now() - started).toBeLessThan(8000);
    expect(aborted.aborted).toBe(true);
    expect(aborted.passed).toBe(false);
    expect(aborted.abortReason).toMatch(/http_req_duration "p\(95\)<5" failed/);
  });

  it('cancellation stops every VU within a second and leaves no sockets', async () => {
    await writeFiles(project.dir, {
      'load-test/long.js': `import http from 'k6/http';\nimport { sleep } from 'k6';\nexport const options = { vus: 20, duration: '30s' };\nexport default function () { http.get(__ENV.BASE_URL + '/?delay=20'); sleep(0.05); }\n`,
    });
    reset();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 800);
    const started = performance.now();
    const { structured: r } = await runScript(project.dir, { script: 'load-test/long.js', env: { BASE_URL: server.url } }, { signal: controller.signal });
    expect(performance.now() - started).toBeLessThan(1800);
    expect(r.aborted).toBe(true);
    expect(r.requests.total).toBeGreaterThan(20);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(server.openSockets()).toBe(0);
  });

  it('handleSummary receives k6-summary.json data and writes what it returns', async () => {
    await writeFiles(project.dir, {
      'load-test/summary.js': `import http from 'k6/http';
import { check, group } from 'k6';
export const options = { iterations: 5, thresholds: { 'http_req_duration{group:::shop}': ['p(99)<3000'] } };
export default function () { group('shop', () => { check(http.get(__ENV.BASE_URL + '/'), { ok: (r) => r.status === 200 }); }); }
export function handleSummary(data) {
  return { 'out/summary.json': JSON.stringify({ reqs: data.metrics.http_reqs.values.count, checks: data.root_group.groups[0].checks[0].passes, th: data.metrics['http_req_duration{group:::shop}'].thresholds }), stdout: 'done' };
}
`,
    });
    reset();
    const { structured: r } = await runScript(project.dir, { script: 'load-test/summary.js', env: { BASE_URL: server.url } });
    const written = JSON.parse(readFileSync(join(project.dir, 'out/summary.json'), 'utf8'));
    expect(written).toEqual({ reqs: 5, checks: 5, th: { 'p(99)<3000': { ok: true } } });
    const summary = JSON.parse(readFileSync(r.artifacts.k6Summary, 'utf8'));
    expect(summary.metrics.http_reqs.values.count).toBe(5);
    expect(r.artifacts.handleSummary).toHaveLength(2);
    expect(existsSync(r.artifacts.k6Script)).toBe(true);
  });

  it('round trip: the k6-script.js a plain open-model run exports runs here with the same request total', async () => {
    reset();
    const plain = (await load(project.dir, { url: `${server.url}/rt`, rate: 20, duration: '2s', thresholds: {} })).structured;
    expect(plain.requests.total).toBe(40);
    const scriptPath = plain.artifacts.k6Script;
    reset();
    const { structured: viaScript } = await runScript(project.dir, { script: scriptPath });
    expect(server.requests).toBe(40);
    expect(viaScript.requests.total).toBe(plain.requests.total);
    expect(viaScript.iterations).toEqual({ total: 40, dropped: 0 });
  });
});
