import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFlameTree } from '../../src/profile/flame-tree.js';
import { ProfileBuilder, type Profile } from '../../src/profile/model.js';
import { renderFlamegraphPage } from '../../src/profile/render-flamegraph.js';
import { lacking } from '../helpers/system.js';

const CHROMIUM = '/usr/bin/chromium';

function syntheticProfile(hotWeight: number, coldWeight: number): Profile {
  const b = new ProfileBuilder();
  const f = (name: string, line: number) => b.frame({ name, file: 'app.js', line, column: 1, category: 'app' });
  const main = f('main', 1);
  const handler = f('handleRequest', 10);
  const samples = [b.path([main, handler, f('hotLoop', 20)]), b.path([main, handler, f('coldLoop', 30)]), b.path([main, f('startup', 40)])];
  return {
    runtime: 'node',
    kind: 'cpu',
    unit: 'microseconds',
    profiler: 'test',
    frames: b.frames,
    nodes: b.nodes,
    samples,
    weights: [hotWeight, coldWeight, 50_000],
    durationUs: 1e6,
    processes: [],
  };
}

describe.skipIf(!!lacking(import.meta.url, 'chromium'))('flamegraph.html in a real browser (Chromium via playwright-core)', () => {
  let browser: Browser;
  let dir: string;
  let url: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'perfeng-flame-'));
    const tree = buildFlameTree(syntheticProfile(800_000, 150_000), { baseline: syntheticProfile(200_000, 750_000) });
    const html = renderFlamegraphPage({ title: 't', verdict: { status: 'info', text: 'v' }, stats: [], tree, sections: [] });
    await writeFile(join(dir, 'flamegraph.html'), html);
    url = pathToFileURL(join(dir, 'flamegraph.html')).href;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('click zooms, search highlights, hover shows self/total, diff colours red/blue', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 600 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    const svgWidth = await page.locator('#flame').evaluate((el) => el.getBoundingClientRect().width);
    const cold = page.locator('#flame g.frame[data-name="coldLoop"]');
    const widthBefore = await cold.locator('rect').evaluate((el) => Number(el.getAttribute('width')));
    expect(widthBefore).toBeLessThan(svgWidth * 0.3);

    // Differential colours: hotLoop grew (red), coldLoop shrank (blue).
    const fill = (name: string) => page.locator(`#flame g.frame[data-name="${name}"] rect`).getAttribute('fill');
    expect(await fill('hotLoop')).toMatch(/^rgb\(240,/);
    expect(await fill('coldLoop')).toMatch(/,240\)$/);
    expect(Number(await page.locator('#flame g.frame[data-name="hotLoop"]').getAttribute('data-delta'))).toBeGreaterThan(0);

    // Hover: the tooltip shows self and total.
    await cold.hover();
    const tip = await page.locator('#flame-tooltip').innerText();
    expect(tip).toContain('coldLoop');
    expect(tip).toMatch(/self: .*ms/);
    expect(tip).toMatch(/total: .*%/);

    // Click: the frame becomes full width and the svg records the zoom.
    const id = await cold.getAttribute('data-id');
    await cold.click();
    expect(await page.locator('#flame').getAttribute('data-zoom')).toBe(id);
    const widthAfter = await page.locator('#flame g.frame.zoomed rect').evaluate((el) => Number(el.getAttribute('width')));
    expect(widthAfter).toBeGreaterThan(svgWidth * 0.9);
    expect(await page.locator('#flame g.frame[data-name="hotLoop"]').count()).toBe(0); // outside the zoomed range
    await page.locator('#flame-reset').click();
    expect(await page.locator('#flame').getAttribute('data-zoom')).toBe('0');

    // Search highlights matches and sums their share.
    await page.locator('#flame-search').fill('Loop$');
    expect(await page.locator('#flame g.frame.match').count()).toBe(2);
    expect(await page.locator('#flame-matched').innerText()).toMatch(/matched: 95\.00%/);
    expect(errors).toEqual([]);
  });
});
