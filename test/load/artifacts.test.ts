import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/common/spawn.js';
import { decodeHistogram } from '../../src/load/histogram.js';
import { load, tempProject } from './helpers.js';
import { startServer, type TestServer } from './servers.js';

let project: Awaited<ReturnType<typeof tempProject>>;
let server: TestServer;
beforeAll(async () => {
  project = await tempProject();
  server = await startServer((req, res) => {
    if (req.url === '/bad') res.statusCode = 500;
    res.end('ok');
  });
});
afterAll(async () => {
  await server.close();
  await project.cleanup();
});

describe('artefacts', () => {
  it('writes result.json with decodable µs histograms, a k6 handleSummary-shaped summary, a valid k6 script and a self-contained report', async () => {
    const progress: Array<[number, number | undefined, string | undefined]> = [];
    const { structured: r } = await load(
      project.dir,
      {
        requests: [
          { name: 'home', url: `${server.url}/`, weight: 3, expect: { status: 200 } },
          { name: 'bad', url: `${server.url}/bad`, weight: 1 },
        ],
        rate: 80,
        duration: '2s',
        thresholds: {
          http_req_duration: ['p(95)<10000', { threshold: 'p(99)<20000', abortOnFail: true, delayAbortEval: '1s' }],
          http_req_failed: ['rate<0.5'],
        },
      },
      { report: (p, t, m) => progress.push([p, t, m]) },
    );
    // result.json
    const saved = JSON.parse(await readFile(r.artifacts.result, 'utf8'));
    expect(saved.tool).toBe('run_load_test');
    expect(saved.version).toBe(1);
    expect(saved.input.rate).toBe(80);
    const overall = decodeHistogram(saved.histograms.overall);
    expect(overall.totalCount).toBe(r.requests.total);
    expect(overall.getValueAtPercentile(50) / 1000).toBeCloseTo(r.latencyMs.p50, 1);
    expect(decodeHistogram(saved.histograms.endpoints.home).totalCount).toBe(r.endpoints[0]!.requests);

    // k6-summary.json has the handleSummary data shape
    const k6 = JSON.parse(await readFile(r.artifacts.k6Summary, 'utf8'));
    expect(k6.metrics.http_req_duration.type).toBe('trend');
    expect(k6.metrics.http_req_duration.contains).toBe('time');
    expect(k6.metrics.http_req_duration.values['p(95)']).toBe(r.latencyMs.p95);
    expect(k6.metrics.http_req_duration.values).toHaveProperty('med');
    expect(k6.metrics.http_req_duration.thresholds['p(95)<10000']).toEqual({ ok: true });
    expect(k6.metrics.http_reqs.values.count).toBe(r.requests.total);
    expect(k6.metrics.http_req_failed.values.passes).toBe(r.requests.failed); // k6 counts failures as "passes" of this rate
    expect(k6.metrics.checks.values.rate).toBeGreaterThan(0);
    expect(k6.metrics.dropped_iterations.values.count).toBe(0);
    expect(k6.root_group.checks[0].name).toBe('home: status is 200');
    expect(k6.state.testRunDurationMs).toBeGreaterThan(1900);

    // k6-script.js parses as an ES module and carries the scenario and thresholds
    const script = await readFile(r.artifacts.k6Script, 'utf8');
    expect(script).toContain('"executor": "constant-arrival-rate"');
    expect(script).toContain('"rate": 80');
    expect(script).toContain('"abortOnFail": true');
    const copy = join(project.dir, 'k6-check.mjs');
    await copyFile(r.artifacts.k6Script, copy);
    const check = await runCommand(process.execPath, ['--check', copy]);
    expect(check.exitCode, check.stderr).toBe(0);

    // report.html: self-contained, numbers readable without JS
    const html = await readFile(r.artifacts.report, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);
    expect(html).toContain('uPlot');
    expect(html).toContain('p(95)&lt;10000');
    expect(html).toContain('home');

    // progress: once a second with elapsed/total, rps and p99
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.some(([, total, message]) => total === 2 && /req\/s · p99/.test(message ?? ''))).toBe(true);
  });

  it('writes a k6 ramping-vus script for closed-model stages', async () => {
    const { structured: r } = await load(project.dir, { url: `${server.url}/`, stages: [{ duration: '500ms', target: 2 }], thresholds: {} });
    const script = await readFile(r.artifacts.k6Script, 'utf8');
    expect(script).toContain('"executor": "ramping-vus"');
    expect(script).toContain('"duration": "500ms"');
  });
});
