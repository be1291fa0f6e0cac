import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUserError } from '../../src/common/errors.js';
import { defaultConfig } from '../../src/store/config.js';
import { load, tempProject } from './helpers.js';
import { startServer, type TestServer } from './servers.js';

let project: Awaited<ReturnType<typeof tempProject>>;
let server: TestServer;
beforeAll(async () => {
  project = await tempProject();
  server = await startServer((req, res) => {
    if (req.url === '/slow') setTimeout(() => res.end('slow'), 50);
    else if (req.url === '/cached') {
      res.setHeader('cache-control', 'public, max-age=300');
      res.setHeader('etag', '"abc"');
      res.setHeader('x-cache', server.requests % 4 === 0 ? 'MISS' : 'HIT from edge');
      res.end('cached');
    } else if (req.url === '/close') {
      // like nginx's keepalive_requests: close the connection every 5th response
      if (server.requests % 5 === 0) res.setHeader('connection', 'close');
      res.end('x');
    } else setTimeout(() => res.end('ok'), 5);
  });
});
afterAll(async () => {
  await server.close();
  await project.cleanup();
});

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('thresholds', () => {
  it('passes and fails k6 expressions, including tagged ones', async () => {
    const { structured: r } = await load(project.dir, {
      requests: [
        { name: 'fast', url: `${server.url}/` },
        { name: 'slow', url: `${server.url}/slow` },
      ],
      connections: 2,
      duration: '1s',
      thresholds: {
        http_req_duration: ['p(95)<5000', 'avg<10000'],
        'http_req_duration{name:slow}': ['p(50)<10'],
        'http_req_duration{name:fast}': ['max<5000'],
        http_req_failed: ['rate<0.01'],
        http_reqs: ['count>5'],
      },
    });
    const verdict = (metric: string, expression: string) => r.thresholds.find((t) => t.metric === metric && t.expression === expression);
    expect(verdict('http_req_duration', 'p(95)<5000')!.ok).toBe(true);
    expect(verdict('http_req_duration{name:slow}', 'p(50)<10')).toMatchObject({ ok: false });
    expect(verdict('http_req_duration{name:slow}', 'p(50)<10')!.actual).toBeGreaterThan(45);
    expect(verdict('http_req_duration{name:fast}', 'max<5000')!.ok).toBe(true);
    expect(verdict('http_reqs', 'count>5')!.ok).toBe(true);
    expect(r.passed).toBe(false);
    const summary = JSON.parse(await readFile(r.artifacts.k6Summary, 'utf8'));
    expect(summary.metrics['http_req_duration{name:slow}'].thresholds['p(50)<10'].ok).toBe(false);
  });

  it('uses the project targets when no thresholds are given', async () => {
    const config = defaultConfig();
    config.targets.p95Ms = 1; // nothing on loopback with a 5 ms handler meets 1 ms
    const { structured: r } = await load(project.dir, { url: `${server.url}/`, rate: 50, duration: '1s' }, { config });
    expect(r.thresholds.map((t) => t.expression)).toContain('p(95)<1');
    expect(r.thresholds.some((t) => t.metric === 'http_reqs')).toBe(false); // open model: rate is chosen
    expect(r.passed).toBe(false);
  });

  it('aborts early on abortOnFail after delayAbortEval, with the reason', async () => {
    const started = Date.now();
    const { structured: r, summary } = await load(project.dir, {
      url: `${server.url}/slow`,
      connections: 2,
      duration: '20s',
      thresholds: { http_req_duration: [{ threshold: 'p(95)<10', abortOnFail: true, delayAbortEval: '1s' }] },
    });
    expect(Date.now() - started).toBeLessThan(8000);
    expect(r.aborted).toBe(true);
    expect(r.passed).toBe(false);
    expect(r.abortReason).toMatch(/p\(95\)<10/);
    expect(r.durationS).toBeGreaterThanOrEqual(1);
    expect(r.durationS).toBeLessThan(5);
    expect(summary).toMatch(/ABORTED/);
  });

  it('rejects invalid expressions, metrics, stages and URLs with the bad part quoted', async () => {
    const e1 = await rejection(load(project.dir, { url: server.url, thresholds: { http_req_duration: ['p95 < 500'] } }));
    expect(isUserError(e1)).toBe(true);
    expect(e1.message).toContain('"p95 < 500"');
    const e2 = await rejection(load(project.dir, { url: server.url, thresholds: { http_req_failed: ['p(95)<1'] } }));
    expect(e2.message).toMatch(/does not apply to http_req_failed/);
    const e3 = await rejection(load(project.dir, { url: server.url, thresholds: { http_req_duraton: ['avg<1'] } }));
    expect(e3.message).toContain('"http_req_duraton"');
    const e4 = await rejection(load(project.dir, { url: server.url, stages: [{ duration: '10 parsecs', target: 5 }] }));
    expect(e4.message).toContain('"10 parsecs"');
    const e5 = await rejection(load(project.dir, { url: 'http//nope' }));
    expect(e5.message).toContain('"http//nope"');
    const e6 = await rejection(load(project.dir, { url: server.url, thresholds: { 'http_req_duration{name:nosuch}': ['avg<1'] } }));
    expect(e6.message).toMatch(/names no request/);
  });
});

describe('safety', () => {
  it('refuses non-loopback hosts, naming the config key, before sending anything', async () => {
    const error = await rejection(load(project.dir, { url: 'http://10.1.2.3:8080/', duration: '1s' }));
    expect(isUserError(error)).toBe(true);
    expect(error.message).toContain('load.allowHosts');
  });

  it('enforces the caps from config', async () => {
    const config = defaultConfig();
    config.load.maxDurationS = 5;
    config.load.maxConnections = 50;
    config.load.maxRate = 100;
    expect((await rejection(load(project.dir, { url: server.url, duration: '6s' }, { config }))).message).toContain('load.maxDurationS');
    expect((await rejection(load(project.dir, { url: server.url, connections: 51, duration: '1s' }, { config }))).message).toContain('load.maxConnections');
    expect((await rejection(load(project.dir, { url: server.url, rate: 101, duration: '1s' }, { config }))).message).toContain('load.maxRate');
  });
});

describe('stages', () => {
  it('ramps virtual users to each stage target (counted server-side) and back down', async () => {
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(server.openSockets()), 50);
    server.resetPeak();
    const { structured: r } = await load(project.dir, {
      url: `${server.url}/`,
      stages: [
        { duration: '1s', target: 6 },
        { duration: '1s', target: 6 },
        { duration: '1s', target: 0 },
      ],
      thresholds: {},
    });
    clearInterval(sampler);
    expect(server.peakSockets()).toBe(6);
    expect(Math.max(...r.timeline.map((p) => p.active))).toBe(6);
    expect(r.timeline[1]!.active).toBe(6);
    expect(r.timeline[1]!.target).toBe(6);
    // Ramp-down closes the retired users' connections.
    expect(samples.at(-1)).toBeLessThanOrEqual(1);
    expect(r.durationS).toBeCloseTo(3, 0);
  });

  it('ramps the arrival rate linearly (open model)', async () => {
    const { structured: r } = await load(project.dir, {
      url: `${server.url}/`,
      rate: 1,
      stages: [
        { duration: '2s', target: 200 },
        { duration: '1s', target: 200 },
      ],
      thresholds: {},
    });
    // ∫ = 2 s × 100 avg + 1 s × 200 = 400 arrivals.
    expect(r.requests.total + r.requests.dropped).toBeGreaterThan(380);
    expect(r.requests.total + r.requests.dropped).toBeLessThan(420);
    expect(r.timeline[0]!.rps).toBeLessThan(r.timeline[2]!.rps);
    expect(r.timeline[2]!.target).toBe(200);
    expect(r.timeline[1]!.target).toBe(150);
  });
});

describe('cancellation', () => {
  it('stops within a second, closes every socket, and returns the partial result marked aborted', async () => {
    // Cancel once the run is well under way (1 s of requests), not at a wall-clock time that a
    // busy machine's slow worker start-up could eat: the promise is about what follows the cancel.
    const controller = new AbortController();
    const before = server.requests;
    let cancelledAt = 0;
    const watch = setInterval(() => {
      if (server.requests - before > 10 && !cancelledAt) setTimeout(() => ((cancelledAt = Date.now()), controller.abort()), 1000);
      if (server.requests - before > 10) clearInterval(watch);
    }, 20);
    const { structured: r } = await load(project.dir, { url: `${server.url}/`, connections: 8, duration: '30s' }, { signal: controller.signal });
    clearInterval(watch);
    expect(cancelledAt).toBeGreaterThan(0);
    expect(Date.now() - cancelledAt).toBeLessThan(1500);
    expect(r.aborted).toBe(true);
    expect(r.abortReason).toBe('cancelled');
    expect(r.passed).toBe(false);
    expect(r.requests.total).toBeGreaterThan(10);
    expect(r.durationS).toBeGreaterThan(0.9);
    expect(r.durationS).toBeLessThan(30);
    // The server sees every socket closed.
    for (let i = 0; i < 20 && server.openSockets() > 0; i++) await new Promise((res) => setTimeout(res, 50));
    expect(server.openSockets()).toBe(0);
    const saved = JSON.parse(await readFile(r.artifacts.result, 'utf8'));
    expect(saved.result.aborted).toBe(true);
  });
});

describe('connections and caching', () => {
  it('reconnects transparently when the server closes keep-alive connections (nginx keepalive_requests)', async () => {
    const { structured: r } = await load(project.dir, { url: `${server.url}/close`, connections: 4, pipelining: 3, duration: '1s', thresholds: {} });
    expect(r.requests.total).toBeGreaterThan(100);
    expect(r.requests.failed).toBe(0);
    expect(r.errors).toEqual([]);
  });

  it('reports cacheability evidence per endpoint', async () => {
    const { structured: r, summary } = await load(project.dir, {
      requests: [{ url: `${server.url}/cached` }, { url: `${server.url}/` }],
      connections: 2,
      duration: '1s',
      thresholds: {},
    });
    const cached = r.endpoints.find((e) => e.url.endsWith('/cached'))!.cache;
    expect(cached.withCacheControl).toBe(1);
    expect(cached.cacheable).toBe(1);
    expect(cached.withEtag).toBe(1);
    expect(cached.hitRatio).toBeGreaterThan(0.6);
    expect(cached.hitRatio).toBeLessThan(0.9);
    const plain = r.endpoints.find((e) => e.url.endsWith(':' + server.port + '/'))!.cache;
    expect(plain.withCacheControl).toBe(0);
    expect(plain.hitRatio).toBeNull();
    expect(summary).toMatch(/no Cache-Control\/ETag\/Last-Modified/);
  });
});
