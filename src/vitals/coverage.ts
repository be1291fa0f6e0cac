import type { Browser } from 'playwright-core';
import type { NetworkGuard } from './network-guard.js';
import { DEVICE_PROFILES } from './profiles.js';
import type { VitalsInput } from './schema.js';

/**
 * JavaScript and CSS bytes per resource and how much of each the page load used, from
 * Chromium's own coverage (V8 block coverage for scripts, CSS rule usage for stylesheets),
 * through Playwright's page.coverage. It runs in one extra cold load after the measured runs:
 * precise coverage makes V8 keep per-block counters, which would slow the runs we time.
 * Bytes are source characters (what DevTools' Coverage panel shows), not transferred bytes.
 */
interface CoverageFile {
  url: string;
  type: 'js' | 'css';
  bytes: number;
  unusedBytes: number;
}

export interface CoverageResult {
  files: CoverageFile[];
  warnings: string[];
}

interface V8Range {
  startOffset: number;
  endOffset: number;
  count: number;
}

/**
 * Bytes of a script that never ran. V8 reports each function as nested ranges, the first
 * covering the whole function, inner ones the blocks whose count differs; the innermost range
 * around a byte decides. Sorting by start (and, at equal starts, outer first) and painting in
 * that order lets inner ranges overwrite outer ones — what puppeteer's convertToDisjointRanges
 * does. Hand-written because neither Playwright nor a small library returns this number.
 */
export function unusedScriptBytes(length: number, functions: ReadonlyArray<{ ranges: readonly V8Range[] }>): number {
  const used = new Uint8Array(length);
  const ranges = functions.flatMap((f) => f.ranges).sort((a, b) => a.startOffset - b.startOffset || b.endOffset - a.endOffset);
  for (const r of ranges) used.fill(r.count > 0 ? 1 : 0, Math.max(0, r.startOffset), Math.min(length, r.endOffset));
  let unused = 0;
  for (let i = 0; i < length; i++) if (used[i] === 0) unused++;
  return unused;
}

/** Bytes of a stylesheet outside the used rule ranges (Playwright merges them, but overlap is harmless here). */
export function unusedStyleBytes(length: number, usedRanges: ReadonlyArray<{ start: number; end: number }>): number {
  const used = new Uint8Array(length);
  for (const r of usedRanges) used.fill(1, Math.max(0, r.start), Math.min(length, r.end));
  let unused = 0;
  for (let i = 0; i < length; i++) if (used[i] === 0) unused++;
  return unused;
}

/** Adds up entries of the same URL (several inline scripts of one page share its URL). */
function mergeByUrl(files: CoverageFile[]): CoverageFile[] {
  const byKey = new Map<string, CoverageFile>();
  for (const f of files) {
    const key = `${f.type} ${f.url}`;
    const seen = byKey.get(key);
    if (seen) {
      seen.bytes += f.bytes;
      seen.unusedBytes += f.unusedBytes;
    } else byKey.set(key, { ...f });
  }
  return [...byKey.values()];
}

export async function measureCoverage(
  browser: Browser,
  guard: NetworkGuard,
  settings: { url: string; device: VitalsInput['device']; browserVersion: string; timeoutMs: number; quietMs: number },
): Promise<CoverageResult> {
  const device = DEVICE_PROFILES[settings.device];
  const warnings: string[] = [];
  const context = await browser.newContext({
    viewport: device.viewport,
    deviceScaleFactor: device.deviceScaleFactor,
    isMobile: device.isMobile,
    hasTouch: device.hasTouch,
    userAgent: device.userAgent?.(settings.browserVersion),
    serviceWorkers: 'block',
  });
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    // Same allow-list as the measured runs (network-guard.ts); the proxy backstop also applies.
    await cdp
      .send('Network.setBlockedURLs', guard.blockRules() as never)
      .catch(() => warnings.push('coverage: this Chromium cannot block by URL pattern; only the network-level guard applied'));
    await page.coverage.startJSCoverage({ resetOnNavigation: false });
    await page.coverage.startCSSCoverage({ resetOnNavigation: false });
    try {
      await page.goto(settings.url, { waitUntil: 'load', timeout: settings.timeoutMs });
      // Scripts that load after the load event count too; give them the same quiet period as the runs.
      await page.waitForLoadState('networkidle', { timeout: Math.max(settings.quietMs, 1000) + 1000 }).catch(() => undefined);
    } catch (error) {
      warnings.push(
        `coverage: the page did not finish loading (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); coverage shows what had run by then`,
      );
    }
    const [js, css] = await Promise.all([page.coverage.stopJSCoverage(), page.coverage.stopCSSCoverage()]);
    const files: CoverageFile[] = [];
    for (const e of js) {
      if (!e.url || e.url.startsWith('data:') || e.source === undefined) continue;
      files.push({ url: e.url, type: 'js', bytes: e.source.length, unusedBytes: unusedScriptBytes(e.source.length, e.functions) });
    }
    for (const e of css) {
      if (e.text === undefined) continue;
      files.push({ url: e.url || `${settings.url} (inline style)`, type: 'css', bytes: e.text.length, unusedBytes: unusedStyleBytes(e.text.length, e.ranges) });
    }
    return { files: mergeByUrl(files).sort((a, b) => b.unusedBytes - a.unusedBytes || b.bytes - a.bytes), warnings };
  } finally {
    await context.close().catch(() => undefined);
  }
}

/** The result's `coverage` field: totals per type and the files with the most unused bytes. */
export function summariseCoverage(files: readonly CoverageFile[], limit: number) {
  const total = (type: 'js' | 'css') => {
    const of = files.filter((f) => f.type === type);
    const bytes = of.reduce((s, f) => s + f.bytes, 0);
    const unusedBytes = of.reduce((s, f) => s + f.unusedBytes, 0);
    return { files: of.length, bytes, unusedBytes, unusedPercent: percent(unusedBytes, bytes) };
  };
  return {
    js: total('js'),
    css: total('css'),
    files: files
      .slice(0, limit)
      .map((f) => ({ url: shortUrl(f.url), type: f.type, bytes: f.bytes, unusedBytes: f.unusedBytes, unusedPercent: percent(f.unusedBytes, f.bytes) })),
  };
}

const percent = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1000) / 10 : 0);

/** Keeps long URLs (query strings, data) from eating the result's size budget. */
export function shortUrl(url: string, max = 120): string {
  return url.length > max ? `${url.slice(0, max - 1)}…` : url;
}
