import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './servers.js';
import { tempProject } from './helpers.js';
import { runScript, writeFiles } from './k6-helpers.js';

/**
 * Each k6 executor against a real loopback server that counts requests and when they
 * arrived. Totals must match exactly; timings get tolerances for a busy 2-core machine.
 */
let project: Awaited<ReturnType<typeof tempProject>>;
let server: TestServer;
let arrivals: number[] = [];
const delayMs = 0;
beforeAll(async () => {
  project = await tempProject();
  server = await startServer((req, res) => {
    arrivals.push(performance.now());
    const ms = Number(new URL(req.url!, 'http://x').searchParams.get('delay') ?? delayMs);
    if (ms > 0) setTimeout(() => res.end('ok'), ms);
    else res.end('ok');
  });
});
afterAll(async () => {
  await server.close();
  await project.cleanup();
});

async function run(name: string, options: string, body = "http.get(__ENV.BASE_URL + '/');", extra: Record<string, unknown> = {}) {
  arrivals = [];
  server.requests = 0;
  await writeFiles(project.dir, {
    [`load-test/${name}.js`]: `import http from 'k6/http';\nimport { sleep } from 'k6';\nexport const options = ${options};\nexport default function () { ${body} }\n`,
  });
  const started = performance.now();
  const { structured } = await runScript(project.dir, { script: `load-test/${name}.js`, env: { BASE_URL: server.url }, ...extra });
  return { r: structured, wallMs: performance.now() - started };
}

describe('k6 executors', () => {
  it('shared-iterations: exactly the iterations, shared by the VUs', async () => {
    const { r } = await run('shared', `{ scenarios: { s: { executor: 'shared-iterations', vus: 4, iterations: 30 } } }`);
    expect(server.requests).toBe(30);
    expect(r.requests.total).toBe(30);
    expect(r.iterations?.total).toBe(30);
    expect(r.vusMax).toBe(4);
  });

  it('per-vu-iterations: iterations × VUs', async () => {
    const { r } = await run(
      'pervu',
      `{ scenarios: { s: { executor: 'per-vu-iterations', vus: 3, iterations: 4 } } }`,
      "http.get(__ENV.BASE_URL + '/?vu=' + __VU);",
    );
    expect(server.requests).toBe(12);
    expect(r.iterations?.total).toBe(12);
    expect(r.endpoints.length).toBe(3);
    for (const e of r.endpoints) expect(e.requests).toBe(4);
  });

  it('constant-vus: runs for the duration with the VUs, server count equals ours', async () => {
    const { r, wallMs } = await run('constant', `{ vus: 5, duration: '1500ms' }`, "http.get(__ENV.BASE_URL + '/?delay=50');");
    expect(server.requests).toBe(r.requests.total);
    // 5 VUs × ~1.5 s / 50 ms ≈ 150; the sleep-free loop cannot exceed it, a busy machine lowers it.
    expect(r.requests.total).toBeGreaterThan(40);
    expect(r.requests.total).toBeLessThanOrEqual(155);
    expect(r.vusMax).toBe(5);
    expect(wallMs).toBeGreaterThan(1400);
  });

  it('constant-arrival-rate: iterations start on schedule (rate × duration) whatever the latency', async () => {
    const { r } = await run(
      'car',
      `{ scenarios: { s: { executor: 'constant-arrival-rate', rate: 20, timeUnit: '1s', duration: '3s', preAllocatedVUs: 10, maxVUs: 20 } } }`,
      "http.get(__ENV.BASE_URL + '/?delay=200');",
    );
    expect(server.requests).toBe(60);
    expect(r.iterations).toEqual({ total: 60, dropped: 0 });
    expect(r.model).toBe('open');
    // Open model: 200 ms responses do not slow the arrivals (a closed loop of 10 VUs would send 150 at most… but spaced 50 ms apart, 60 in 3 s).
    const span = arrivals.at(-1)! - arrivals[0]!;
    expect(span).toBeGreaterThan(2600);
    expect(span).toBeLessThan(3600);
    const firstSecond = arrivals.filter((t) => t - arrivals[0]! < 1000).length;
    expect(firstSecond).toBeGreaterThanOrEqual(17);
    expect(firstSecond).toBeLessThanOrEqual(23);
  });

  it('arrival rate with too few VUs: iterations are dropped, never delayed (started + dropped = scheduled)', async () => {
    const { r } = await run(
      'drops',
      `{ scenarios: { s: { executor: 'constant-arrival-rate', rate: 20, duration: '2s', preAllocatedVUs: 1, maxVUs: 2 } } }`,
      "http.get(__ENV.BASE_URL + '/?delay=400');",
    );
    expect(r.iterations!.total + r.iterations!.dropped).toBe(40);
    expect(r.iterations!.dropped).toBeGreaterThan(20);
    expect(server.requests).toBe(r.iterations!.total);
    expect(r.vusMax).toBe(2);
  });

  it('ramping-arrival-rate: the integral of the rate (0→20/s over 2 s, then 20/s for 1 s = 40)', async () => {
    const { r } = await run(
      'rar',
      `{ scenarios: { s: { executor: 'ramping-arrival-rate', startRate: 0, timeUnit: '1s', preAllocatedVUs: 10, stages: [{ duration: '2s', target: 20 }, { duration: '1s', target: 20 }] } } }`,
    );
    expect(server.requests).toBe(40);
    expect(r.iterations?.total).toBe(40);
    const t0 = arrivals[0]!;
    // First second of a linear ramp 0→20/s carries 5 of them, the last second 20.
    const firstSecond = arrivals.filter((t) => t - t0 < 1000).length;
    expect(firstSecond).toBeGreaterThanOrEqual(3);
    expect(firstSecond).toBeLessThanOrEqual(8);
  });

  it('ramping-vus: follows the stages (peak VUs) and interrupts after gracefulRampDown', async () => {
    const { r } = await run(
      'rv',
      `{ scenarios: { s: { executor: 'ramping-vus', startVUs: 0, gracefulRampDown: '0s', stages: [{ duration: '1s', target: 4 }, { duration: '1s', target: 4 }, { duration: '500ms', target: 0 }] } } }`,
      "http.get(__ENV.BASE_URL + '/'); sleep(0.1);",
    );
    expect(r.vusMax).toBe(4);
    expect(server.requests).toBe(r.requests.total);
    // ~ (0.5 + 1 + 0.25) s × 4 VUs × 10/s ≈ 70 at most
    expect(r.requests.total).toBeGreaterThan(20);
    expect(r.requests.total).toBeLessThan(90);
    expect(Math.max(...r.timeline.map((p) => p.active))).toBe(4);
  });

  it('gracefulStop: an iteration still running is interrupted and not counted', async () => {
    const { r, wallMs } = await run(
      'graceful',
      `{ scenarios: { s: { executor: 'constant-vus', vus: 2, duration: '500ms', gracefulStop: '300ms' } } }`,
      "http.get(__ENV.BASE_URL + '/'); sleep(5);",
    );
    expect(server.requests).toBe(2);
    expect(r.iterations?.total).toBe(0);
    expect(wallMs).toBeLessThan(3000);
    expect(r.warnings.join(' ')).toMatch(/2 iterations were interrupted/);
  });

  it('scenarios run side by side with startTime, exec, env and tags; setup data reaches every VU', async () => {
    await writeFiles(project.dir, {
      'load-test/multi.js': `import http from 'k6/http';
export const options = {
  scenarios: {
    browse: { executor: 'per-vu-iterations', vus: 2, iterations: 3, exec: 'browse', env: { PAGE: 'list' }, tags: { flow: 'b' } },
    buy: { executor: 'shared-iterations', vus: 1, iterations: 2, exec: 'buy', startTime: '300ms' },
  },
  thresholds: { 'http_reqs{flow:b}': ['count==6'], 'http_reqs{scenario:buy}': ['count==2'], 'iterations{scenario:buy}': ['count==2'] },
};
export function setup() { const r = http.get(__ENV.BASE_URL + '/setup'); return { token: 'tk-' + r.status }; }
export function browse(data) { http.get(__ENV.BASE_URL + '/' + __ENV.PAGE + '?t=' + data.token); }
export function buy(data) { http.post(__ENV.BASE_URL + '/buy?t=' + data.token); }
export function teardown(data) { http.get(__ENV.BASE_URL + '/teardown?t=' + data.token); }
`,
    });
    arrivals = [];
    server.requests = 0;
    const { structured: r } = await runScript(project.dir, { script: 'load-test/multi.js', env: { BASE_URL: server.url } });
    expect(server.requests).toBe(1 + 6 + 2 + 1);
    expect(r.requests.total).toBe(10);
    expect(r.endpoints.map((e) => [e.name.replace(server.url, ''), e.requests]).sort()).toEqual(
      [
        ['/buy?t=tk-200', 2],
        ['/list?t=tk-200', 6],
        ['/setup', 1],
        ['/teardown?t=tk-200', 1],
      ].sort(),
    );
    expect(r.thresholds.every((t) => t.ok)).toBe(true);
    expect(r.thresholds).toHaveLength(3);
  });

  it('CLI-style overrides: vus + iterations replace the script scenarios', async () => {
    const { r } = await run('override', `{ scenarios: { s: { executor: 'constant-vus', vus: 9, duration: '30s' } } }`, undefined, { vus: 2, iterations: 5 });
    expect(server.requests).toBe(5);
    expect(r.vusMax).toBe(2);
  });
});
