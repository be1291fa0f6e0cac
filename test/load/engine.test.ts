import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/common/spawn.js';
import { BUILT_CLI } from '../helpers/mcp-client.js';
import { errorEvery, periodicStall, startChildServer, startServer, type TestServer } from './servers.js';
import { load, tempProject } from './helpers.js';
import { lacking } from '../helpers/system.js';

/**
 * The engine against real loopback servers with known behaviour. Tolerances are set for a
 * loaded 2-core machine (other processes compete for the CPU); each bound still fails for
 * the bug it guards against (e.g. naive latency measurement, lost errors).
 */
/** wrk prints "20.31ms", "1.02s", "850.00us". */
function parseWrkMs(text: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text ?? '');
  if (!m) throw new Error(`cannot read wrk latency "${text}"`);
  return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
}

let project: Awaited<ReturnType<typeof tempProject>>;
beforeAll(async () => {
  project = await tempProject();
});
afterAll(async () => {
  await project.cleanup();
});

describe.skipIf(!!lacking(import.meta.url, 'wrk'))('latency measurement', () => {
  let server: Awaited<ReturnType<typeof startChildServer>>;
  beforeAll(async () => {
    server = await startChildServer('delay-server.mjs', { DELAY_MS: '20' });
  });
  afterAll(() => server.close());

  it('reports p50 within 0.5 ms of a server that answers after exactly 20 ms (closed model, µs resolution)', async () => {
    // On a shared, loaded machine every client sees the server a little late. The yardstick
    // is wrk (C, the accuracy anchor) measuring the same server at the same time: our p50
    // must be within 0.5 ms of wrk's and never below the true 20 ms.
    // Up to three paired attempts: scheduler noise on a loaded machine can push one run
    // past 0.5 ms, a systematic bias (client overhead in the measurement) fails all three.
    let r!: Awaited<ReturnType<typeof load>>['structured'];
    let wrkP50 = NaN;
    for (let attempt = 0; attempt < 3; attempt++) {
      const wrk = runCommand('wrk', ['-c2', '-t1', '-d2s', '--latency', `${server.url}/`], { timeoutMs: 20_000 });
      // Ours runs as its own process too (the built CLI), so both clients compete for the CPU
      // alike — not one of them inside a test runner that is busy with other files.
      const ours = await runCommand(process.execPath, [BUILT_CLI, 'load', `${server.url}/`, '-c', '2', '-d', '2s', '--json'], {
        cwd: project.dir,
        env: { PERFENG_PROJECT_DIR: project.dir },
        timeoutMs: 60_000,
      });
      r = JSON.parse(ours.stdout);
      const wrkOut = await wrk;
      wrkP50 = parseWrkMs(/^\s+50%\s+(\S+)/m.exec(wrkOut.stdout)?.[1]);
      if (r.latencyMs.p50 <= wrkP50 + 0.5) break;
    }
    expect(r.model).toBe('closed');
    expect(r.requests.failed).toBe(0);
    expect(r.latencyMs.p50).toBeGreaterThanOrEqual(19.95);
    expect(r.latencyMs.p50).toBeLessThanOrEqual(wrkP50 + 0.5);
    expect(r.latencyMs.min).toBeGreaterThanOrEqual(19.95);
    // Microsecond resolution: values are not whole milliseconds.
    expect(Number.isInteger(r.latencyMs.p50 * 10)).toBe(false);
    expect(r.timeline.length).toBe(2);
  });

  it('measures the open model from the intended send time', async () => {
    const { structured: r } = await load(project.dir, { url: `${server.url}/`, rate: 100, duration: '2s', warmup: '300ms' });
    expect(r.model).toBe('open');
    expect(r.requests.total).toBeGreaterThanOrEqual(190);
    expect(r.requests.total).toBeLessThanOrEqual(205);
    expect(r.requests.dropped).toBe(0);
    expect(r.latencyMs.p50).toBeGreaterThanOrEqual(19.95);
    expect(r.latencyMs.p50).toBeLessThan(2000); // accuracy is checked against wrk above; a starved generator shows here as lateness
    // Requests sent ahead of their slot (the pump wakes on a 1 ms grid) are timed from when
    // they went out: timing them from the later intended time would read below 20 ms.
    expect(r.latencyMs.min).toBeGreaterThanOrEqual(19.95);
  });

  it('paces the open model on timers: the generator idles between arrivals instead of spinning', async () => {
    // A spinning pump kept the busiest generator thread ~100 % busy at any rate ≥ 1000/s
    // (and starved the server on a 2-core machine); paced on timers it is a few percent.
    const { structured: r } = await load(project.dir, { url: `${server.url}/`, rate: 1000, duration: '2s', thresholds: {} });
    expect(r.requests.total).toBeGreaterThan(1900);
    expect(r.generator.eventLoopUtilization).toBeLessThan(0.6);
  });
});

describe('a server that stalls (coordinated omission)', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Stalls 600 ms out of every 2 s: 30 % of arrivals land in a stall.
    server = await startServer(periodicStall(2000, 600));
  });
  afterAll(() => server.close());

  it('open model: p99 reflects the stall; closed model hides it and says so', async () => {
    const open = (await load(project.dir, { url: server.url, rate: 100, duration: '4s', thresholds: {} })).structured;
    const closed = (await load(project.dir, { url: server.url, connections: 2, duration: '4s', thresholds: {} })).structured;
    // Open: every arrival during a stall waits for its end — p90 and p99 sit inside the stall.
    expect(open.latencyMs.p99).toBeGreaterThan(450);
    expect(open.latencyMs.p90).toBeGreaterThan(150);
    // Closed: two users each wait out the stall once; the thousands of fast requests in
    // between dominate, so p99 looks fine — the classic understatement.
    expect(closed.latencyMs.p90).toBeLessThan(50);
    expect(closed.latencyMs.max).toBeGreaterThan(300);
    expect(closed.warnings.join(' ')).toMatch(/coordinated omission/);
    expect(open.warnings.join(' ')).not.toMatch(/coordinated omission/);
  });

  it('counts arrivals that find every in-flight slot busy as dropped', async () => {
    const r = (await load(project.dir, { url: server.url, rate: 100, connections: 5, duration: '3s', thresholds: {} })).structured;
    expect(r.requests.dropped).toBeGreaterThan(20);
    expect(r.timeline.some((p) => (p.dropped ?? 0) > 0)).toBe(true);
    expect(r.warnings.join(' ')).toMatch(/dropped/);
    // Dropped arrivals are not requests: total + dropped ≈ the schedule.
    expect(r.requests.total + r.requests.dropped).toBeGreaterThan(280);
  });
});

describe('errors and checks', () => {
  it('reports a fixed error ratio by status and fails the default error-rate target', async () => {
    const server = await startServer(errorEvery(10, 503));
    try {
      const { structured: r } = await load(project.dir, { url: server.url, connections: 4, duration: '1500ms' });
      const ratio = r.requests.failed / r.requests.total;
      expect(ratio).toBeGreaterThan(0.08);
      expect(ratio).toBeLessThan(0.12);
      expect(r.errors).toContainEqual(expect.objectContaining({ kind: 'http_status', status: 503 }));
      expect(r.passed).toBe(false);
      expect(r.thresholds.find((t) => t.metric === 'http_req_failed')).toMatchObject({ ok: false });
    } finally {
      await server.close();
    }
  });

  it('evaluates checks (status, body, latency)', async () => {
    const server = await startServer((req, res) => {
      if (req.url === '/slow') setTimeout(() => res.end('slow'), 30);
      else res.end('hello world');
    });
    try {
      const { structured: r } = await load(project.dir, {
        requests: [
          { name: 'fast', url: `${server.url}/`, expect: { status: 200, bodyIncludes: 'world' } },
          { name: 'slow', url: `${server.url}/slow`, expect: { bodyIncludes: 'nope', maxLatencyMs: 5 } },
        ],
        connections: 2,
        duration: '1s',
        thresholds: { checks: ['rate>0.99'] },
      });
      const byName = Object.fromEntries(r.checks.map((c) => [c.name, c]));
      expect(byName['fast: status is 200']!.fails).toBe(0);
      expect(byName['fast: body includes "world"']!.passes).toBeGreaterThan(0);
      expect(byName['slow: body includes "nope"']!.passes).toBe(0);
      expect(byName['slow: latency < 5 ms']!.passes).toBe(0);
      expect(r.passed).toBe(false);
      expect(r.endpoints.map((e) => e.name)).toEqual(['fast', 'slow']);
    } finally {
      await server.close();
    }
  });

  it('counts refused connections, resets and timeouts by kind without crashing', async () => {
    // Listening when the run starts (a port with nothing on it fails before the run), gone
    // 300 ms in: every reconnect after that is refused.
    const gone = await startServer((_req, res) => res.end('ok'));
    const deadPort = gone.port;
    setTimeout(() => void gone.close(), 300);
    const server = await startServer((req, res) => {
      if (req.url === '/reset') req.socket.destroy();
      else if (req.url === '/hang')
        return; // never answers
      else res.end('ok');
    });
    try {
      const { structured: r } = await load(project.dir, {
        requests: [
          { name: 'refused', url: `http://127.0.0.1:${deadPort}/` },
          { name: 'reset', url: `${server.url}/reset` },
          { name: 'hang', url: `${server.url}/hang` },
          { name: 'ok', url: `${server.url}/` },
        ],
        connections: 4,
        duration: '1500ms',
        timeoutMs: 300,
      });
      const kinds = new Set(r.errors.map((e) => e.kind));
      expect(kinds).toContain('connection_refused');
      expect(kinds).toContain('reset');
      expect(kinds).toContain('timeout');
      expect(r.endpoints.find((e) => e.name === 'ok')!.errorRate).toBe(0);
      expect(r.endpoints.find((e) => e.name === 'hang')!.latencyMs.min).toBeGreaterThanOrEqual(299);
    } finally {
      await server.close();
    }
  });
});
