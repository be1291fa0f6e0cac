import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunContext } from '../../src/common/context.js';
import { measureWebVitals } from '../../src/vitals/index.js';
import { vitalsInputSchema, vitalsOutputSchema } from '../../src/vitals/schema.js';
import { LONG_TASK_MS, startFixtureServer, type FixtureServer } from './fixtures.js';
import { lacking } from '../helpers/system.js';

/**
 * Real Chromium against real pages on 127.0.0.1. Tolerances are one-sided where the machine
 * can only make things slower (two shared cores): a delayed image cannot paint before its
 * delay, a 300 ms handler cannot respond in under 300 ms.
 */
const lack = lacking(import.meta.url, 'chromium');

describe.skipIf(!!lack)('measure_web_vitals in Chromium: clean page, TBT, network guard', () => {
  let server: FixtureServer;
  let projectDir: string;
  beforeAll(async () => {
    server = await startFixtureServer();
    projectDir = await mkdtemp(join(tmpdir(), 'perfeng-vitals-'));
  });
  afterAll(async () => {
    await server?.close();
    await rm(projectDir, { recursive: true, force: true });
  });
  const run = async (raw: Record<string, unknown>) => {
    const context = await createRunContext({ projectDir });
    const outcome = await measureWebVitals(vitalsInputSchema.parse(raw), context);
    expect(vitalsOutputSchema.safeParse(outcome.structured).success).toBe(true);
    return outcome;
  };

  // TBT is CPU time of the page: another process hogging the 2 cores can push a clean page's
  // parse over the 200 ms target once; a second and third run are the same-run yardstick.
  it('passes a clean page with the default targets', { retry: 2 }, async () => {
    const { structured: r, summary } = await run({ url: `${server.origin}/clean`, runs: 1, trace: false, quietMs: 500 });
    expect(r.passed).toBe(true);
    expect(summary.split('\n')[0]).toMatch(/^PASSED/);
    expect(r.metrics.cls.median).toBe(0);
    expect(r.metrics.tbtMs.median).toBeLessThan(200);
    expect(r.metrics.inpMs).toBeUndefined();
    expect(r.lcpElement?.tag).toMatch(/^(h1|p)$/);
    expect(r.metrics.fcpMs!.median).toBeLessThanOrEqual(r.metrics.lcpMs!.median);
    expect(r.metrics.ttfbMs.median).toBeLessThanOrEqual(r.metrics.fcpMs!.median);
    expect(r.artifacts.trace).toBeUndefined();
    expect(r.warnings.filter((w) => !/only 1 run/.test(w))).toEqual([]);
    expect(existsSync(r.artifacts.report)).toBe(true);
  });

  it('applies the Lighthouse mobile preset and runs tap, type and key-press interactions', async () => {
    const { structured: r } = await run({
      url: `${server.origin}/clean`,
      runs: 1,
      trace: false,
      quietMs: 300,
      device: 'mobile',
      throttling: 'mobile-slow-4g',
      interactions: [
        { action: 'click', selector: '#title' },
        { action: 'type', selector: '#q', text: 'ab' },
        { action: 'press', selector: '#q', key: 'Enter' },
      ],
    });
    expect(r.device).toBe('mobile');
    expect(r.throttling).toEqual({ profile: 'mobile-slow-4g', cpuSlowdown: 4, latencyMs: 562.5, downloadKbps: 1474.56, uploadKbps: 675 });
    // CDP adds 562.5 ms to every request's round trip: the first byte cannot come sooner.
    expect(r.metrics.ttfbMs.median).toBeGreaterThanOrEqual(562);
    expect(r.interactions.map((s) => s.action)).toEqual(['click', 'type', 'press']);
    expect(r.metrics.inpMs).toBeDefined();
    expect(r.thresholds.map((t) => t.metric)).toEqual(['lcp', 'cls', 'inp']);
  });

  it('reports load-time blocking as TBT and blocks every request that leaves loopback', async () => {
    const before = server.requests.length;
    const { structured: r } = await run({ url: `${server.origin}/busy`, runs: 1, trace: false, quietMs: 800, thresholds: ['tbt<200', 'requests<10'] });
    // 300 ms task after FCP → 250 ms blocking (more if the machine stretches it).
    expect(r.metrics.tbtMs.median).toBeGreaterThanOrEqual(LONG_TASK_MS - 50 - 5);
    expect(r.thresholds.find((t) => t.expression === 'tbt<200')).toMatchObject({ ok: false });
    expect(r.passed).toBe(false);
    // The image and the script were stopped by route interception and named.
    expect(r.resources.blocked).toEqual(expect.arrayContaining(['http://example.invalid/tracker.png', 'https://cdn.example.invalid/lib.js']));
    expect(r.warnings.join('\n')).toMatch(/blocked 2 request\(s\) to hosts outside the allow-list \(example\.invalid, cdn\.example\.invalid\)/);
    // The WebSocket, which routing cannot see, reached only the loopback backstop.
    expect(r.warnings.join('\n')).toMatch(/stopped at the network level: socket\.example\.invalid/);
    expect(server.requests.slice(before)).toContain('/busy');
  });

  it('refuses a page outside the allow-list before starting a browser', async () => {
    // An IP literal is judged without any lookup or connection.
    await expect(run({ url: 'http://192.0.2.10/', runs: 1 })).rejects.toThrow(/not loopback and not listed in load\.allowHosts/);
    await expect(run({ url: `${server.origin}/clean`, runs: 1, thresholds: ['speed<1'] })).rejects.toThrow(/unknown metric "speed"/);
  });
});
