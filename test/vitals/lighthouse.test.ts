import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunContext } from '../../src/common/context.js';
import { measureWebVitals } from '../../src/vitals/index.js';
import { type Lhr, type LhrAudit, summariseLighthouse } from '../../src/vitals/lighthouse-result.js';
import { vitalsInputSchema, vitalsOutputSchema } from '../../src/vitals/schema.js';
import { lacking } from '../helpers/system.js';
import { startBloatServer, type BloatServer } from './bloat-fixture.js';

const audit = (id: string, score: number | null, extra: Partial<LhrAudit> = {}): LhrAudit => ({
  id,
  title: `title of ${id}`,
  score,
  scoreDisplayMode: 'metricSavings',
  ...extra,
});
const opportunity = (id: string, score: number, ms: number, bytes: number, urls: string[] = []) =>
  audit(id, score, {
    details: { type: 'opportunity', overallSavingsMs: ms, overallSavingsBytes: bytes, items: urls.map((url, i) => ({ url, wastedBytes: 100 * (i + 1) })) },
  });

describe('summariseLighthouse', () => {
  const lhr: Lhr = {
    lighthouseVersion: '12.8.2',
    configSettings: { formFactor: 'mobile', throttlingMethod: 'simulate', throttling: {} },
    categories: {
      performance: {
        score: 0.734,
        auditRefs: [
          { id: 'first-contentful-paint', group: 'metrics' },
          { id: 'unused-css-rules', group: 'diagnostics' },
          { id: 'render-blocking-resources', group: 'diagnostics' },
          { id: 'unused-javascript', group: 'diagnostics' },
          { id: 'uses-optimized-images', group: 'diagnostics' },
          { id: 'offscreen-images', group: 'diagnostics' },
          { id: 'largest-contentful-paint-element', group: 'diagnostics' },
          { id: 'dom-size', group: 'diagnostics' },
          { id: 'layout-shifts', group: 'diagnostics' },
        ],
      },
    },
    audits: {
      'first-contentful-paint': audit('first-contentful-paint', 0.5, { numericValue: 2345.6 }),
      'unused-css-rules': opportunity('unused-css-rules', 0.5, 0, 99_000, ['http://127.0.0.1/a.css']),
      'render-blocking-resources': opportunity('render-blocking-resources', 0, 910, 0, [
        'http://127.0.0.1/a.css',
        'http://127.0.0.1/b.js',
        'http://127.0.0.1/c.js',
        'http://127.0.0.1/d.js',
      ]),
      'unused-javascript': opportunity('unused-javascript', 0, 150, 160_000, ['http://127.0.0.1/b.js']),
      // Passed, or no savings: not opportunities.
      'uses-optimized-images': opportunity('uses-optimized-images', 1, 0, 0),
      'offscreen-images': opportunity('offscreen-images', 0.95, 20, 0),
      'largest-contentful-paint-element': audit('largest-contentful-paint-element', 1, {
        scoreDisplayMode: 'informative',
        displayValue: '2,350 ms',
        details: { type: 'list', items: [{ type: 'table', items: [{ node: { selector: 'body > h1.used', nodeLabel: 'A page' } }] }] },
      }),
      'dom-size': audit('dom-size', 0.3, { displayValue: '2,100 elements' }),
      'layout-shifts': audit('layout-shifts', null, { scoreDisplayMode: 'notApplicable' }),
      'network-requests': audit('network-requests', 1, {
        details: { type: 'table', items: [{ url: 'http://127.0.0.1/' }, { url: 'http://x.example.invalid/p.png' }] },
      }),
    },
  };

  it('keeps failed opportunities with savings, sorted by time then bytes, with their top 3 URLs', () => {
    const s = summariseLighthouse(lhr);
    expect(s.performanceScore).toBe(73);
    expect(s.opportunities.map((o) => o.id)).toEqual(['render-blocking-resources', 'unused-javascript', 'unused-css-rules']);
    expect(s.opportunities[0]).toMatchObject({ savingsMs: 910, items: ['http://127.0.0.1/d.js', 'http://127.0.0.1/c.js', 'http://127.0.0.1/b.js'] });
    expect(s.opportunities[0]).not.toHaveProperty('savingsBytes');
    expect(s.opportunities[2]).toEqual({ id: 'unused-css-rules', title: 'title of unused-css-rules', savingsBytes: 99_000, items: ['http://127.0.0.1/a.css'] });
  });

  it('lists failed diagnostics first, then the LCP element with its selector; metrics and request URLs', () => {
    const s = summariseLighthouse(lhr);
    expect(s.diagnostics).toEqual([
      { id: 'dom-size', title: 'title of dom-size', value: '2,100 elements' },
      { id: 'largest-contentful-paint-element', title: 'title of largest-contentful-paint-element', value: '2,350 ms: body > h1.used' },
    ]);
    expect(s.metrics).toEqual({ fcpMs: 2346 });
    expect(s.requestUrls).toContain('http://x.example.invalid/p.png');
  });
});

const lack = lacking(import.meta.url, 'chromium');

/**
 * Real Lighthouse (the npm package, as a library) against pages on 127.0.0.1, in the same
 * Chromium the runs use. Each Lighthouse run takes 30-60 s on this shared machine.
 */
describe.skipIf(!!lack)('Lighthouse beside the vitals (real Chromium and Lighthouse)', () => {
  let server: BloatServer;
  let projectDir: string;
  beforeAll(async () => {
    server = await startBloatServer();
    projectDir = await mkdtemp(join(tmpdir(), 'perfeng-lighthouse-'));
  });
  afterAll(async () => {
    await server?.close();
    await rm(projectDir, { recursive: true, force: true });
  });
  const run = async (raw: Record<string, unknown>) => {
    const outcome = await measureWebVitals(vitalsInputSchema.parse(raw), await createRunContext({ projectDir }));
    expect(vitalsOutputSchema.safeParse(outcome.structured).success).toBe(true);
    return outcome;
  };

  it('names the render-blocking, mostly unused stylesheet and script, and blocks the foreign image', async () => {
    const { structured: r, summary } = await run({ url: `${server.origin}/bloat`, runs: 1, trace: false, quietMs: 300, device: 'mobile', lighthouse: true });
    const lh = r.lighthouse!;
    expect(lh, r.warnings.join('\n')).toBeDefined();
    expect(lh.performanceScore).toBeLessThan(100);
    const ids = lh.opportunities.map((o) => o.id);
    expect(ids).toContain('render-blocking-resources');
    expect(ids.some((id) => id === 'unused-javascript' || id === 'unused-css-rules')).toBe(true);
    const blocking = lh.opportunities.find((o) => o.id === 'render-blocking-resources')!;
    expect(blocking.savingsMs).toBeGreaterThan(0);
    expect(blocking.items!.some((u) => u.endsWith('/bloat.css'))).toBe(true);
    // Sorted by savings: time first, then bytes.
    const ms = lh.opportunities.map((o) => o.savingsMs ?? 0);
    expect(ms).toEqual([...ms].sort((a, b) => b - a));
    expect(lh.diagnostics.map((d) => d.id)).toContain('largest-contentful-paint-element');
    expect(lh.metrics.fcpMs).toBeGreaterThan(0);
    expect(lh.note).toMatch(/median of 1 measured/);
    // Artefacts: Lighthouse's own HTML report and the full JSON result.
    expect(readFileSync(lh.report, 'utf8')).toMatch(/<html[\s\S]*Lighthouse/);
    expect(JSON.parse(readFileSync(lh.lhr, 'utf8')).categories.performance.id).toBe('performance');
    expect(readFileSync(r.artifacts.report, 'utf8')).toContain('render-blocking-resources');
    // The image on a .invalid host never left the machine in Lighthouse's page either.
    expect(r.resources.blocked.some((u) => u.includes('tracker.example.invalid'))).toBe(true);
    expect(r.warnings.some((w) => /Lighthouse's page asked for \d+ URL\(s\) outside the allow-list/.test(w))).toBe(true);
    expect(summary).toMatch(
      /Lighthouse performance \d+\/100; opportunities: render-blocking-resources|Lighthouse performance \d+\/100; opportunities: .*render-blocking-resources/,
    );
    expect(JSON.stringify(r).length).toBeLessThan(6000);
  }, 300_000);

  it('names neither on a clean page (desktop preset)', async () => {
    const { structured: r } = await run({ url: `${server.origin}/clean`, runs: 1, trace: false, quietMs: 300, lighthouse: true });
    const lh = r.lighthouse!;
    expect(lh, r.warnings.join('\n')).toBeDefined();
    const ids = lh.opportunities.map((o) => o.id);
    expect(ids).not.toContain('render-blocking-resources');
    expect(ids).not.toContain('unused-javascript');
    expect(ids).not.toContain('unused-css-rules');
    expect(lh.performanceScore).toBeGreaterThanOrEqual(90);
    expect(existsSync(lh.report)).toBe(true);
  }, 300_000);
});
