import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunContext } from '../../src/common/context.js';
import { listDescendants } from '../../src/common/spawn.js';
import { measureWebVitals } from '../../src/vitals/index.js';
import { vitalsInputSchema, vitalsOutputSchema } from '../../src/vitals/schema.js';
import { EXPECTED_SHIFT_CLS, HERO_DELAY_MS, LONG_TASK_MS, startFixtureServer, type FixtureServer } from './fixtures.js';
import { lacking } from '../helpers/system.js';

interface TraceEvent {
  name: string;
  ts: number;
  args?: { data?: { documentLoaderURL?: string; cumulative_score?: number } };
}

/**
 * Real Chromium against real pages on 127.0.0.1. Tolerances are one-sided where the machine
 * can only make things slower (two shared cores): a delayed image cannot paint before its
 * delay, a 300 ms handler cannot respond in under 300 ms.
 */
const lack = lacking(import.meta.url, 'chromium');

describe.skipIf(!!lack)('measure_web_vitals in Chromium: LCP, CLS, INP, artefacts, cancellation', () => {
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

  it('measures a late hero image, a known layout shift and a 300 ms click handler', async () => {
    const { structured: r, summary } = await run({
      url: `${server.origin}/combo`,
      runs: 2,
      quietMs: 800,
      interactions: [{ action: 'click', selector: '#buy' }],
    });
    expect(r.runs).toBe(2);
    // LCP: the hero, which cannot paint before its delay; and not absurdly later.
    expect(r.lcpElement?.selector).toBe('img#hero');
    expect(r.lcpElement?.url).toMatch(/\/hero\.svg$/);
    expect(r.metrics.lcpMs!.values).toHaveLength(2);
    for (const lcp of r.metrics.lcpMs!.values) {
      expect(lcp!).toBeGreaterThanOrEqual(HERO_DELAY_MS);
      expect(lcp!).toBeLessThan(HERO_DELAY_MS + 6000);
    }
    // CLS: (700/940) × (300/1350) = 0.1655, computed by Chromium from the geometry.
    expect(r.metrics.cls.median).toBeCloseTo(EXPECTED_SHIFT_CLS, 2);
    expect(r.layoutShifts[0]?.sources).toContain('div#content');
    // INP: at least the handler's 300 ms, reported per step with its phases.
    expect(r.metrics.inpMs!.median).toBeGreaterThanOrEqual(LONG_TASK_MS);
    expect(r.metrics.inpMs!.median).toBeLessThan(LONG_TASK_MS + 1500);
    expect(r.interactions).toHaveLength(1);
    expect(r.interactions[0]!.processingMs!).toBeGreaterThanOrEqual(LONG_TASK_MS - 10);
    // The click's long task is attributed to its handler and kept out of TBT (a load metric).
    const clickTask = r.longTasks.find((t) => t.durationMs >= LONG_TASK_MS);
    expect(clickTask?.source).toMatch(/buy/i);
    expect(clickTask?.blockingMs).toBe(0);
    // Defaults from config: LCP ≤ 2500 may pass on a quiet machine, CLS and INP must fail.
    expect(r.thresholds.map((t) => t.expression)).toEqual(['lcp<=2500', 'cls<=0.1', 'inp<=200']);
    expect(r.thresholds.find((t) => t.metric === 'cls')?.ok).toBe(false);
    expect(r.thresholds.find((t) => t.metric === 'inp')?.ok).toBe(false);
    expect(r.passed).toBe(false);
    expect(summary.split('\n')[0]).toMatch(/^FAILED — .*cls<=0\.1/);
    // Resources: the document and the image, counted with their bytes on the wire.
    expect(r.resources.byType.document?.count).toBe(1);
    expect(r.resources.byType.image?.bytes).toBeGreaterThan(10_000);
    // Artefacts: report with filmstrip frames, one DevTools trace per run.
    const html = readFileSync(r.artifacts.report, 'utf8');
    expect(html).toContain('img#hero');
    expect(html).toContain('data:image/jpeg;base64,');
    expect(r.artifacts.traces).toHaveLength(2);
    const trace = JSON.parse(readFileSync(r.artifacts.trace!, 'utf8')) as { traceEvents: TraceEvent[] };
    expect(trace.traceEvents.some((e) => e.name === 'Screenshot')).toBe(true);
    // Cross-check against Chromium's own record of the same load (what DevTools and
    // Lighthouse read): the last LCP candidate, FCP and the cumulative layout-shift score.
    const events = trace.traceEvents;
    const navigation = events.find((e) => e.name === 'navigationStart' && e.args?.data?.documentLoaderURL === `${server.origin}/combo`)!;
    const sinceNavigation = (e: TraceEvent | undefined) => (e!.ts - navigation.ts) / 1000;
    const rep = r.representativeRun - 1;
    const lcpCandidate = events.filter((e) => e.name === 'largestContentfulPaint::Candidate').at(-1);
    expect(Math.abs(sinceNavigation(lcpCandidate) - r.metrics.lcpMs!.values[rep]!)).toBeLessThan(25);
    expect(Math.abs(sinceNavigation(events.find((e) => e.name === 'firstContentfulPaint')) - r.metrics.fcpMs!.values[rep]!)).toBeLessThan(25);
    const shifts = events.filter((e) => e.name === 'LayoutShift');
    expect(shifts.at(-1)?.args?.data?.cumulative_score).toBeCloseTo(r.metrics.cls.values[rep]!, 3);
    const other = r.artifacts.traces.find((t) => t.endsWith('.gz'))!;
    expect(JSON.parse(gunzipSync(readFileSync(other)).toString('utf8')).traceEvents.length).toBeGreaterThan(100);
    const stored = JSON.parse(readFileSync(r.artifacts.result, 'utf8')) as { perRun: unknown[] };
    expect(stored.perRun).toHaveLength(2);
    // Two traced loads plus a browser start: 25–55 s when the shared two cores are busy.
  }, 120_000);

  it('stops promptly on cancellation and leaves no browser process behind', async () => {
    const controller = new AbortController();
    let abortedAt = 0;
    const context = await createRunContext({
      projectDir,
      signal: controller.signal,
      report: (_progress, _total, message) => {
        if (message?.startsWith('run 1') && !abortedAt) {
          setTimeout(() => {
            abortedAt = Date.now();
            controller.abort();
          }, 300);
        }
      },
    });
    const input = vitalsInputSchema.parse({ url: `${server.origin}/combo`, runs: 3, quietMs: 2000 });
    const error = await measureWebVitals(input, context).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.name).toBe('CancelledError');
    expect(abortedAt).toBeGreaterThan(0);
    expect(Date.now() - abortedAt).toBeLessThan(10_000);
    const browsers = listDescendants(process.pid).filter((pid) => {
      try {
        return /chrom/i.test(readFileSync(`/proc/${pid}/comm`, 'utf8'));
      } catch {
        return false;
      }
    });
    expect(browsers).toEqual([]);
  });
});
