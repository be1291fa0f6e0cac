import { describe, expect, it } from 'vitest';
import { analyseRun, representativeRun, summarise } from '../../src/vitals/analyse.js';
import { findChromium } from '../../src/vitals/chromium.js';
import { pickFilmstrip, screenshotsFromTrace } from '../../src/vitals/filmstrip.js';
import { normaliseUrl } from '../../src/vitals/index.js';
import type { RunObservation } from '../../src/vitals/measure-run.js';
import {
  blockingTime,
  cumulativeLayoutShift,
  interactionLatencies,
  interactionToNextPaint,
  totalBlockingTime,
  type EventEntry,
  type ShiftEntry,
} from '../../src/vitals/metrics.js';
import { blockRules, isSubresourceAllowed } from '../../src/vitals/network-guard.js';
import { defaultThresholds, evaluateThresholds, parseThreshold, type RunValues } from '../../src/vitals/thresholds.js';
import { defaultConfig } from '../../src/store/config.js';

const shift = (startTime: number, value: number, hadRecentInput = false): ShiftEntry => ({ startTime, value, hadRecentInput, sources: [] });

describe('CLS session windows (web.dev/articles/evolving-cls)', () => {
  it('takes the largest window, not the sum of all shifts', () => {
    // Window 1: 0.05 + 0.05 (gap 500 ms); window 2 starts after a 2 s gap: 0.08.
    const result = cumulativeLayoutShift([shift(100, 0.05), shift(600, 0.05), shift(2600, 0.08)]);
    expect(result.value).toBeCloseTo(0.1, 10);
    expect(result.window).toHaveLength(2);
  });
  it('closes a window once it spans 5 s even without a 1 s gap', () => {
    const shifts = Array.from({ length: 12 }, (_, i) => shift(i * 900, 0.01)); // 0 … 9900 ms
    // 0–4500 ms holds 6 shifts (0, 900, …, 4500); 5400 starts a new window.
    expect(cumulativeLayoutShift(shifts).value).toBeCloseTo(0.06, 10);
  });
  it('ignores shifts right after input', () => {
    expect(cumulativeLayoutShift([shift(100, 0.3, true), shift(200, 0.02)]).value).toBeCloseTo(0.02, 10);
  });
  it('is 0 without shifts', () => {
    expect(cumulativeLayoutShift([]).value).toBe(0);
  });
});

const event = (interactionId: number, startTime: number, duration: number, name = 'click'): EventEntry => ({
  name,
  startTime,
  duration,
  processingStart: startTime + 5,
  processingEnd: startTime + duration - 20,
  interactionId,
  target: 'button#b',
});

describe('INP (web.dev/articles/inp)', () => {
  it('groups entries by interactionId and keeps the longest', () => {
    const latencies = interactionLatencies([event(1, 100, 40, 'pointerdown'), event(1, 102, 320, 'click'), event(2, 900, 24)]);
    expect(latencies.map((l) => l.latency)).toEqual([320, 24]);
    expect(latencies[0]!.inputDelay).toBeCloseTo(5, 5);
    expect(interactionToNextPaint(latencies)).toBe(320);
  });
  it('drops the single worst interaction for every 50 (≈ p98)', () => {
    const entries = Array.from({ length: 100 }, (_, i) => event(i + 1, i * 100, i === 0 ? 900 : i === 1 ? 800 : 40 + i));
    // 100 interactions → skip the 2 worst (900, 800); the third worst is 40 + 99.
    expect(interactionToNextPaint(interactionLatencies(entries))).toBe(139);
  });
  it('is undefined without interactions', () => {
    expect(interactionToNextPaint([])).toBeUndefined();
  });
});

describe('TBT (Lighthouse tbt-utils)', () => {
  it('counts the part of each long task beyond 50 ms, clipped to the window', () => {
    expect(blockingTime({ startTime: 1000, duration: 300 }, 500)).toBe(250);
    expect(blockingTime({ startTime: 1000, duration: 40 }, 500)).toBe(0);
    // Starts 100 ms before FCP: only the 200 ms after FCP count → 150.
    expect(blockingTime({ startTime: 400, duration: 300 }, 500)).toBe(150);
    // Entirely before FCP.
    expect(blockingTime({ startTime: 0, duration: 300 }, 500)).toBe(0);
    expect(
      totalBlockingTime(
        [
          { startTime: 1000, duration: 300 },
          { startTime: 2000, duration: 120 },
          { startTime: 9000, duration: 500 },
        ],
        500,
        5000,
      ),
    ).toBe(320);
  });
});

describe('thresholds', () => {
  const values: RunValues = {
    lcp: [1200, 1500, 3000],
    fcp: [800, 900, 1000],
    ttfb: [50, 60, 70],
    tbt: [0, 10, 400],
    inp: [undefined, undefined, undefined],
    load: [1000, 1100, 1200],
    cls: [0.05, 0.12, 0.2],
    bytes: [1_500_000, 1_500_000, 1_500_000],
    requests: [10, 10, 12],
  };
  it('parses metrics, statistics and units', () => {
    expect(parseThreshold('fcp<1.8s')).toMatchObject({ metric: 'fcp', stat: 'median', op: '<', limit: 1800 });
    expect(parseThreshold('lcp.max <= 3000ms')).toMatchObject({ metric: 'lcp', stat: 'max', op: '<=', limit: 3000 });
    expect(parseThreshold('bytes<1MB')).toMatchObject({ limit: 1_000_000 });
    expect(parseThreshold('bytes<1MiB')).toMatchObject({ limit: 1_048_576 });
  });
  it('refuses what it cannot judge, with a hint', () => {
    expect(() => parseThreshold('speed<3')).toThrow(/unknown metric "speed".*lcp<2500/);
    expect(() => parseThreshold('cls<0.1s')).toThrow(/unit "s" does not fit cls/);
    expect(() => parseThreshold('lcp 2500')).toThrow(/invalid threshold/);
  });
  it('judges medians by default and other statistics on request', () => {
    const results = evaluateThresholds(
      ['lcp<2500', 'lcp.max<2500', 'cls<=0.1', 'tbt.p75<=200', 'bytes<1MB', 'requests<=12', 'inp<200'].map(parseThreshold),
      values,
    );
    expect(results.map((r) => [r.expression, r.actual, r.ok])).toEqual([
      ['lcp<2500', 1500, true],
      ['lcp.max<2500', 3000, false],
      ['cls<=0.1', 0.12, false],
      ['tbt.p75<=200', 400, false],
      ['bytes<1MB', 1_500_000, false],
      ['requests<=12', 10, true],
      // Never reported: cannot pass.
      ['inp<200', null, false],
    ]);
  });
  it('defaults to the config targets, INP only with interactions', () => {
    const targets = defaultConfig().targets;
    expect(defaultThresholds(targets, 200, false)).toEqual(['lcp<=2500', 'cls<=0.1', 'tbt<=200']);
    expect(defaultThresholds(targets, 200, true)).toEqual(['lcp<=2500', 'cls<=0.1', 'inp<=200']);
  });
});

describe('network guard: which subresources a page may fetch', () => {
  // Judged by name or literal address only: nothing here is resolved or contacted.
  it('allows loopback, the page host, allow-listed hosts and local schemes', () => {
    for (const url of [
      'http://127.0.0.1:8080/a.js',
      'http://127.5.6.7/x',
      'http://[::1]:3000/',
      'http://localhost/x',
      'http://app.localhost/x',
      'data:text/plain,hi',
      'blob:http://127.0.0.1/abc',
      'file:///tmp/x.png',
    ]) {
      expect(isSubresourceAllowed(url, '127.0.0.1', []), url).toBe(true);
    }
    expect(isSubresourceAllowed('https://myapp.test/app.js', 'myapp.test', [])).toBe(true);
    expect(isSubresourceAllowed('https://cdn.staging.example.com/x.js', undefined, ['*.example.com'])).toBe(true);
    expect(isSubresourceAllowed('http://10.0.0.5/x', undefined, ['10.0.0.5'])).toBe(true);
  });
  it('blocks everything else, including names that might resolve to loopback', () => {
    for (const url of [
      'https://fonts.googleapis.com/css',
      'http://8.8.8.8/',
      'http://[2001:db8::1]/',
      'ws://socket.example.com/',
      'https://example.com.evil.test/',
      'ftp://127.0.0.1/x',
      'chrome-extension://abc/x.js',
      'not a url',
    ]) {
      expect(isSubresourceAllowed(url, '127.0.0.1', ['*.example.org']), url).toBe(false);
    }
  });
});

describe('page URL', () => {
  it('accepts http(s), file URLs and .html paths; refuses the rest', () => {
    expect(normaliseUrl('http://127.0.0.1:3000', '/p')).toBe('http://127.0.0.1:3000/');
    expect(normaliseUrl('site/index.html', '/p')).toBe('file:///p/site/index.html');
    expect(() => normaliseUrl('javascript:alert(1)', '/p')).toThrow(/unsupported URL scheme/);
    expect(() => normaliseUrl('127.0.0.1:3000', '/p')).toThrow(/unsupported URL scheme|not a URL/);
  });
});

describe('Chromium discovery', () => {
  it('names the setting that points at a missing binary', () => {
    expect(() => findChromium(undefined, { PERFENG_CHROMIUM: '/nonexistent/chrome' })).toThrow(/PERFENG_CHROMIUM/);
    expect(() => findChromium('/nonexistent/chrome', {})).toThrow(/vitals\.chromium/);
  });
});

describe('filmstrip from trace screenshots', () => {
  it('aligns frames to the main-frame navigation and picks what was on screen', () => {
    const events = [
      { name: 'navigationStart', ts: 500_000, args: { data: { isLoadingMainFrame: true, documentLoaderURL: 'about:blank' } } },
      { name: 'navigationStart', ts: 1_000_000, args: { data: { isLoadingMainFrame: true, documentLoaderURL: 'http://127.0.0.1/' } } },
      { name: 'Screenshot', ts: 1_300_000, args: { snapshot: 'A' } },
      { name: 'Screenshot', ts: 1_700_000, args: { snapshot: 'B' } },
    ];
    const frames = screenshotsFromTrace(events, 'http://127.0.0.1/');
    expect(frames).toEqual([
      { timeMs: 300, image: 'A' },
      { timeMs: 700, image: 'B' },
    ]);
    expect(pickFilmstrip(frames, 1000, 4).map((f) => f.image)).toEqual([null, 'A', 'B', 'B']);
  });
});

describe('per-run analysis', () => {
  const observation = (index: number, lcp: number, task: number): RunObservation => ({
    index,
    status: 200,
    navigation: { responseStart: 40, domContentLoadedEventEnd: 300, loadEventEnd: 500, activationStart: 0 },
    settledAtMs: 3000,
    measuresInp: true,
    quiet: true,
    marks: [{ step: 1, startMs: 3100, endMs: 3600 }],
    observations: {
      lcp: [{ startTime: lcp, size: 1000, element: { selector: 'img#hero', tag: 'img' } }],
      shifts: [],
      events: [event(7, 3200, 330)],
      firstInput: [event(7, 3200, 330)],
      longTasks: [
        { startTime: 1000, duration: task },
        { startTime: 3205, duration: 300 },
      ],
      frames: [{ startTime: 990, duration: task + 20, blockingDuration: task - 50, source: 'work @ app.js:10' }],
      paints: [{ name: 'first-contentful-paint', startTime: 200 }],
      unsupported: [],
    },
    requests: [
      { url: 'http://127.0.0.1/', type: 'document', bytes: 1000, status: 200 },
      { url: 'http://127.0.0.1/a.png', type: 'image', bytes: 5000, status: 200 },
      { url: 'http://x.invalid/t.png', type: 'image', bytes: 0, failed: 'net::ERR_BLOCKED_BY_CLIENT', blocked: true },
    ],
    blocked: ['http://x.invalid/t.png'],
    pageErrors: [],
    warnings: [],
  });
  it('derives each metric, keeps interaction tasks out of TBT and attributes long tasks', () => {
    const run = analyseRun(observation(0, 1200, 200));
    expect(run).toMatchObject({ ttfbMs: 40, fcpMs: 200, lcpMs: 1200, tbtMs: 150, inpMs: 330, loadMs: 500, requests: 2, bytes: 6000 });
    expect(run.byType).toEqual({ document: { count: 1, bytes: 1000 }, image: { count: 1, bytes: 5000 } });
    expect(run.longTasks[0]).toMatchObject({ durationMs: 200, blockingMs: 150, source: 'work @ app.js:10' });
    expect(run.steps[0]?.latency).toBe(330);
  });
  it('picks the run closest to the medians and summarises per-run values', () => {
    const runs = [observation(0, 3000, 600), observation(1, 1200, 200), observation(2, 1100, 180)].map(analyseRun);
    expect(representativeRun(runs)).toBe(1);
    expect(summarise(runs.map((r) => r.lcpMs))).toEqual({ median: 1200, min: 1100, max: 3000, values: [3000, 1200, 1100] });
  });
});

describe('network guard: rules for Chromium request blocking', () => {
  it('allows loopback, the page host and allow-listed hosts as URLPatterns, then blocks everything', () => {
    const rules = blockRules('myapp.test', ['*.example.com', 'fe80::1']);
    expect(rules.urls).toEqual(['*']);
    expect(rules.urlPatterns.every((p) => p.block === false)).toBe(true);
    expect(rules.urlPatterns.map((p) => p.urlPattern)).toEqual([
      '*://127.0.0.1:*/*',
      '*://localhost:*/*',
      '*://*.localhost:*/*',
      '*://[\\:\\:1]:*/*',
      '*://myapp.test:*/*',
      '*://*.example.com:*/*',
      '*://[fe80\\:\\:1]:*/*',
      'file:///*',
      'data:*',
      'blob:*',
    ]);
  });
});
