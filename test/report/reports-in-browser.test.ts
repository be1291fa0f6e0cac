/// <reference lib="dom" />
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunContext } from '../../src/common/context.js';
import { runDemo, type DemoOutput } from '../../src/demo/index.js';
import { REPO_ROOT } from '../helpers/mcp-client.js';
import { lacking } from '../helpers/system.js';

/**
 * Every tool's report.html from real runs (one short demo produces all of them: load,
 * profile flame graph, query plan, compare, and the demo's index), opened from file:// in
 * real Chromium (apt `chromium`) with playwright-core. Screenshots go to test-artifacts/.
 */
const CHROMIUM = process.env.PERFENG_CHROMIUM ?? '/usr/bin/chromium';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'reports');

interface Opened {
  page: Page;
  errors: string[];
  /** Requests that left file:// (a CDN script, a font…): a self-contained report makes none. */
  external: string[];
}

describe.skipIf(!!lacking(import.meta.url, 'chromium'))('reports in Chromium', () => {
  let browser: Browser;
  /** One context per mode, a fresh page per report: contexts are the slow part to create. */
  const contexts: Partial<Record<'js' | 'nojs', BrowserContext>> = {};
  const pages: Page[] = [];
  let projectDir: string;
  let demo: DemoOutput;
  const reports: Record<string, string> = {};

  beforeAll(async () => {
    projectDir = await mkdtemp(join(tmpdir(), 'perfeng-reports-'));
    await mkdir(ARTIFACTS, { recursive: true });
    const context = await createRunContext({ projectDir });
    // Two endpoints keep the run short and still produce every kind of report.
    ({ structured: demo } = await runDemo({ quick: true, durationS: 0.5, connections: 4, endpoints: ['sales-report', 'catalog'] }, context));
    const report = (tool: string) => demo.steps.find((s) => s.tool === tool && s.status === 'ok' && s.report)?.report;
    reports.load = report('run_load_test')!;
    reports.profile = report('profile_process')!;
    reports.query = report('analyze_query')!;
    reports.compare = report('compare_benchmarks')!;
    reports.index = demo.artifacts.index;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run'],
    });
  }, 120_000);

  afterAll(async () => {
    for (const page of pages) await page.close().catch(() => undefined);
    await browser?.close();
    if (projectDir) await rm(projectDir, { recursive: true, force: true });
  });

  async function open(file: string, options: { javaScript?: boolean } = {}): Promise<Opened> {
    expect(file, 'the run did not produce this report').toBeTruthy();
    const mode = options.javaScript === false ? 'nojs' : 'js';
    contexts[mode] ??= await browser.newContext({ viewport: { width: 1280, height: 900 }, javaScriptEnabled: mode === 'js' });
    const page = await contexts[mode].newPage();
    pages.push(page);
    const errors: string[] = [];
    const external: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (request) => {
      if (!/^(file|data|blob|about):/.test(request.url())) external.push(request.url());
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    return { page, errors, external };
  }

  /** The visible part only: a full-page capture of a long report costs seconds on a busy machine. */
  async function screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
  }

  /** Share of a canvas's pixels that are drawn (alpha > 0): 0 means the chart never rendered. */
  async function paintedCanvases(page: Page): Promise<number[]> {
    return page.$$eval('canvas', (canvases) =>
      canvases.map((canvas) => {
        const c = canvas as HTMLCanvasElement;
        const ctx = c.getContext('2d');
        if (!ctx || !c.width || !c.height) return 0;
        const data = ctx.getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
        return painted / (c.width * c.height);
      }),
    );
  }

  it('load report: charts over time and the percentile distribution render, no console errors', async () => {
    const { page, errors, external } = await open(reports.load!);
    await page.waitForSelector('#chart-latency canvas');
    const painted = await paintedCanvases(page);
    expect(painted.length).toBeGreaterThanOrEqual(3);
    expect(painted.filter((share) => share > 0.001).length).toBeGreaterThanOrEqual(3);
    expect(await page.$('#chart-percentiles canvas')).not.toBeNull();
    await screenshot(page, 'load');
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
  });

  it('profile report: the flame graph draws frames and clicking a frame zooms into it', async () => {
    const { page, errors, external } = await open(reports.profile!);
    await page.waitForSelector('#flame g.frame');
    const frames = await page.$$eval('#flame g.frame', (nodes) => nodes.length);
    expect(frames).toBeGreaterThan(5);
    expect(await page.getAttribute('#flame', 'data-zoom')).toBe('0');
    // Zoom into the demo's hot function when it is drawn, else the widest non-root frame.
    const target = await page.$$eval('#flame g.frame', (nodes) => {
      const candidates = nodes
        .map((n) => ({
          id: n.getAttribute('data-id')!,
          name: n.getAttribute('data-name') ?? '',
          width: Number(n.querySelector('rect')?.getAttribute('width') ?? 0),
        }))
        .filter((f) => f.id !== '0');
      const hot = candidates.find((f) => (f.name === 'rankProductsNaive' || f.name === 'normaliseRowsNaive') && f.width > 4);
      return (hot ?? candidates.sort((a, b) => b.width - a.width).find((f) => f.width > 4 && f.width < 1000))!;
    });
    const widthBefore = target.width;
    await page.click(`#flame g.frame[data-id="${target.id}"] rect`);
    await page.waitForFunction((id) => document.getElementById('flame')!.getAttribute('data-zoom') === id, target.id);
    const widthAfter = Number(await page.getAttribute(`#flame g.frame[data-id="${target.id}"] rect`, 'width'));
    expect(widthAfter).toBeGreaterThan(widthBefore);
    expect(await page.$(`#flame g.frame.zoomed[data-id="${target.id}"]`)).not.toBeNull();
    await screenshot(page, 'profile-zoomed');
    await page.click('#flame-reset');
    await page.waitForFunction(() => document.getElementById('flame')!.getAttribute('data-zoom') === '0');
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
  });

  it('query report: the plan tree with the heavy node highlighted and the findings beside it', async () => {
    const { page, errors, external } = await open(reports.query!);
    const planRows = await page.$$eval('table.plan tbody tr', (rows) => rows.length);
    expect(planRows).toBeGreaterThan(0);
    const highlighted = await page.$$eval('table.plan tbody tr[class^="sev-"]', (rows) => rows.map((r) => r.textContent ?? ''));
    expect(highlighted.some((text) => /orders/i.test(text))).toBe(true);
    expect(await page.textContent('body')).toMatch(/reference/);
    await screenshot(page, 'query');
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
  });

  it("compare report: the table draws each row's confidence intervals", async () => {
    const { page, errors, external } = await open(reports.compare!);
    const intervals = await page.$$eval('svg[aria-label="medians with confidence intervals"]', (svgs) => svgs.map((s) => s.querySelectorAll('line').length));
    expect(intervals.length).toBeGreaterThan(0);
    expect(intervals.every((lines) => lines === 2)).toBe(true);
    const box = await page.$eval('svg[aria-label="medians with confidence intervals"]', (s) => s.getBoundingClientRect().width);
    expect(box).toBeGreaterThan(0);
    await screenshot(page, 'compare');
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
  });

  it('demo index: every link opens an existing report and the table is there', async () => {
    const { page, errors, external } = await open(reports.index!);
    const hrefs = await page.$$eval('a[href]', (links) => links.map((a) => (a as HTMLAnchorElement).href));
    expect(hrefs.length).toBeGreaterThanOrEqual(8);
    for (const href of hrefs) {
      expect(href.startsWith('file://')).toBe(true);
      expect(existsSync(decodeURIComponent(new URL(href).pathname)), href).toBe(true);
    }
    expect(await page.$$eval('#summary tbody tr', (rows) => rows.length)).toBe(2);
    await screenshot(page, 'demo-index');
    // Following a link really opens the run's report.
    await page.click('#steps a[href]');
    await page.waitForLoadState('load');
    expect(page.url()).toMatch(/report\.html$|flamegraph\.html$/);
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
  });

  it('every report shows its verdict and key numbers without JavaScript', async () => {
    for (const [name, file] of Object.entries(reports)) {
      const { page } = await open(file, { javaScript: false });
      const verdict = (await page.textContent('.verdict'))?.trim() ?? '';
      expect(verdict.length, name).toBeGreaterThan(3);
      const text = (await page.textContent('main')) ?? '';
      expect(text, name).toMatch(/\d/);
      expect(await page.$$eval('main table', (t) => t.length), name).toBeGreaterThan(0);
      if (name === 'load') await screenshot(page, 'load-no-js');
      await page.close();
    }
    expect(dirname(resolve(reports.index!))).toBe(demo.artifacts.dir);
  });
});
