import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { UserError } from '../common/errors.js';
import type { PageObservations } from './metrics.js';
import type { NetworkGuard } from './network-guard.js';
import { PAGE_OBSERVER_SCRIPT, READ_OBSERVATIONS_SCRIPT } from './page-observer.js';
import { DEVICE_PROFILES, kbpsToBytesPerSecond, type Throttling } from './profiles.js';

const firstLine = (text: string): string => text.split('\n', 1)[0] ?? '';
import type { Interaction, VitalsInput } from './schema.js';

/**
 * One cold page load, measured: a fresh browser context (empty cache, cookies, storage and
 * socket pool — what Lighthouse gets by clearing them), throttling applied through CDP on
 * the page's own session, the page observer installed before any page script, then load →
 * wait for quiet → scripted interactions → read what the page saw.
 */
export interface RequestRecord {
  url: string;
  type: string;
  status?: number;
  bytes: number;
  failed?: string;
  blocked?: boolean;
}

export interface InteractionMark {
  step: number;
  startMs: number;
  endMs: number;
}

export interface RunObservation {
  index: number;
  status: number | null;
  observations: PageObservations;
  navigation: { responseStart: number; domContentLoadedEventEnd: number; loadEventEnd: number; activationStart: number } | null;
  /** Whether a step could produce an INP interaction (click, type, press; not hover or wait). */
  measuresInp: boolean;
  /** Page time (ms) when the quiet wait ended and interactions began. */
  settledAtMs: number;
  quiet: boolean;
  marks: InteractionMark[];
  requests: RequestRecord[];
  blocked: string[];
  pageErrors: string[];
  warnings: string[];
  trace?: Buffer;
}

export interface RunSettings {
  url: string;
  device: VitalsInput['device'];
  throttling: Throttling;
  interactions: Interaction[];
  quietMs: number;
  timeoutMs: number;
  trace: boolean;
  browserVersion: string;
  signal: AbortSignal;
}

/** Trace categories: Playwright's defaults plus loading (LCP candidates) and screenshots. */
const TRACE_CATEGORIES = [
  '-*',
  'devtools.timeline',
  'v8.execute',
  'disabled-by-default-devtools.timeline',
  'disabled-by-default-devtools.timeline.frame',
  // 'toplevel' is left out: it logs every browser-process task and triples the file size.
  'blink.console',
  'blink.user_timing',
  'latencyInfo',
  'loading',
  'disabled-by-default-devtools.timeline.stack',
  'disabled-by-default-v8.cpu_profiler',
  'disabled-by-default-devtools.screenshot',
];

const ACTION_TIMEOUT_MS = 5000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface NetworkTracker {
  records: Map<string, RequestRecord>;
  inflight: Set<string>;
  lastActivity: number;
}

async function trackNetwork(cdp: CDPSession): Promise<NetworkTracker> {
  const tracker: NetworkTracker = { records: new Map(), inflight: new Set(), lastActivity: Date.now() };
  const touch = () => (tracker.lastActivity = Date.now());
  type Sent = { requestId: string; request: { url: string }; type?: string; redirectResponse?: { status: number; encodedDataLength?: number } };
  cdp.on('Network.requestWillBeSent', (event: Sent) => {
    touch();
    if (/^(data|blob):/i.test(event.request.url)) return;
    const previous = tracker.records.get(event.requestId);
    if (previous && event.redirectResponse) {
      // Each redirect hop is a request of its own; keep it under a distinct key.
      previous.status = event.redirectResponse.status;
      previous.bytes += event.redirectResponse.encodedDataLength ?? 0;
      tracker.records.set(`${event.requestId}#${tracker.records.size}`, previous);
    }
    tracker.records.set(event.requestId, { url: event.request.url, type: (event.type ?? 'Other').toLowerCase(), bytes: 0 });
    tracker.inflight.add(event.requestId);
  });
  cdp.on('Network.responseReceived', (event: { requestId: string; type?: string; response: { status: number } }) => {
    touch();
    const record = tracker.records.get(event.requestId);
    if (!record) return;
    record.status = event.response.status;
    if (event.type) record.type = event.type.toLowerCase();
  });
  cdp.on('Network.loadingFinished', (event: { requestId: string; encodedDataLength: number }) => {
    touch();
    const record = tracker.records.get(event.requestId);
    if (record) record.bytes += event.encodedDataLength;
    tracker.inflight.delete(event.requestId);
  });
  cdp.on('Network.loadingFailed', (event: { requestId: string; errorText: string; blockedReason?: string; canceled?: boolean }) => {
    touch();
    const record = tracker.records.get(event.requestId);
    if (record) {
      record.failed = event.errorText;
      // "inspector": Network.setBlockedURLs; BLOCKED_BY_CLIENT: our interceptor; PROXY/TUNNEL: the backstop.
      if (event.blockedReason === 'inspector' || /BLOCKED_BY_CLIENT|ERR_PROXY_CONNECTION_FAILED|ERR_TUNNEL_CONNECTION_FAILED/.test(event.errorText))
        record.blocked = true;
    }
    tracker.inflight.delete(event.requestId);
  });
  await cdp.send('Network.enable');
  return tracker;
}

/**
 * The host allow-list inside the browser (see network-guard.ts). Navigation requests are not
 * covered by Network.setBlockedURLs and not slowed by CDP network emulation, so when
 * throttling adds latency the document requests are paused here (Fetch domain, documents
 * only — subresources never make the round trip to Node), judged, delayed and sent on.
 * A Chromium without pattern-based blocking falls back to Playwright's route(), which
 * pauses every request (slower, see bench/vitals/route-overhead.mjs) and is reported.
 */
async function guardRequests(
  context: BrowserContext,
  cdp: CDPSession,
  guard: NetworkGuard,
  documentLatencyMs: number,
  blocked: string[],
  warnings: string[],
): Promise<void> {
  try {
    await cdp.send('Network.setBlockedURLs', guard.blockRules());
  } catch {
    warnings.push('this Chromium cannot block by URL pattern; requests were checked by route interception, which adds a little latency to every request');
    await context.route('**/*', async (route) => {
      const request = route.request();
      const url = request.url();
      if (!guard.allowsUrl(url)) {
        blocked.push(url);
        return route.abort('blockedbyclient');
      }
      if (documentLatencyMs > 0 && request.isNavigationRequest()) await sleep(documentLatencyMs);
      return route.continue();
    });
    return;
  }
  if (documentLatencyMs <= 0) return;
  cdp.on('Fetch.requestPaused', (event: { requestId: string; request: { url: string } }) => {
    void (async () => {
      if (!guard.allowsUrl(event.request.url)) {
        blocked.push(event.request.url);
        await cdp.send('Fetch.failRequest', { requestId: event.requestId, errorReason: 'BlockedByClient' });
        return;
      }
      await sleep(documentLatencyMs);
      await cdp.send('Fetch.continueRequest', { requestId: event.requestId });
    })().catch(() => undefined); // the page may be gone (cancelled run)
  });
  await cdp.send('Fetch.enable', { patterns: [{ urlPattern: '*', resourceType: 'Document', requestStage: 'Request' }] });
}

async function applyThrottling(cdp: CDPSession, throttling: Throttling): Promise<void> {
  if (throttling.cpuSlowdown > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: throttling.cpuSlowdown });
  if (throttling.latencyMs > 0 || throttling.downloadKbps > 0 || throttling.uploadKbps > 0) {
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: throttling.latencyMs,
      downloadThroughput: kbpsToBytesPerSecond(throttling.downloadKbps),
      uploadThroughput: kbpsToBytesPerSecond(throttling.uploadKbps),
    });
  }
}

interface QuietProbe {
  now: number;
  lastTaskEnd: number;
}
const QUIET_PROBE = `(() => { const s = window.__perfengVitals; let end = 0;
  if (s) for (const t of s.longTasks) end = Math.max(end, t.startTime + t.duration);
  return { now: performance.now(), lastTaskEnd: end }; })()`;

/**
 * Lighthouse's load completion (gather/driver/wait-for-condition.js): network quiet and CPU
 * quiet for a while after load. Network: nothing in flight and no request event for
 * `quietMs`; CPU: no long task ended in the last `quietMs`. The probe is an evaluate, which
 * itself waits behind a running long task.
 */
async function waitForQuiet(page: Page, tracker: NetworkTracker, quietMs: number, deadline: number, signal: AbortSignal): Promise<boolean> {
  while (Date.now() < deadline && !signal.aborted) {
    const probe = (await page.evaluate(QUIET_PROBE)) as QuietProbe;
    const networkQuiet = tracker.inflight.size === 0 && Date.now() - tracker.lastActivity >= quietMs;
    const cpuQuiet = probe.now - probe.lastTaskEnd >= quietMs;
    if (networkQuiet && cpuQuiet) return true;
    await sleep(Math.min(100, Math.max(10, quietMs / 5)));
  }
  return false;
}

/** Waits until the frame after the current task has been presented (two rAFs), then a little more for Event Timing delivery. */
const NEXT_PAINT = `new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve, 50))))`;

async function performInteraction(page: Page, step: Interaction, index: number, hasTouch: boolean): Promise<void> {
  const describeStep = `interaction ${index + 1} (${step.action}${'selector' in step ? ` "${step.selector}"` : ''})`;
  try {
    switch (step.action) {
      case 'click':
        if (hasTouch) await page.locator(step.selector).first().tap({ timeout: ACTION_TIMEOUT_MS });
        else await page.locator(step.selector).first().click({ timeout: ACTION_TIMEOUT_MS });
        break;
      case 'type':
        await page.locator(step.selector).first().pressSequentially(step.text, { timeout: ACTION_TIMEOUT_MS, delay: 50 });
        break;
      case 'press':
        await page.locator(step.selector).first().press(step.key, { timeout: ACTION_TIMEOUT_MS });
        break;
      case 'hover':
        await page.locator(step.selector).first().hover({ timeout: ACTION_TIMEOUT_MS });
        break;
      case 'wait':
        await sleep(step.ms);
        break;
    }
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    if (/timeout/i.test(message ?? '')) {
      throw new UserError(
        `${describeStep} failed: no actionable element within ${ACTION_TIMEOUT_MS} ms`,
        'check the selector against the page (it must be visible and enabled)',
      );
    }
    throw new UserError(`${describeStep} failed: ${message}`, 'check the selector and the action');
  }
}

export async function measureRun(browser: Browser, guard: NetworkGuard, settings: RunSettings, index: number): Promise<RunObservation> {
  const device = DEVICE_PROFILES[settings.device];
  const warnings: string[] = [];
  const pageErrors: string[] = [];
  const blocked: string[] = [];
  let context: BrowserContext | undefined;
  let tracing = false;
  try {
    context = await browser.newContext({
      viewport: device.viewport,
      deviceScaleFactor: device.deviceScaleFactor,
      isMobile: device.isMobile,
      hasTouch: device.hasTouch,
      userAgent: device.userAgent?.(settings.browserVersion),
      // A service worker's fetches would bypass route interception; on a cold first load it
      // does not control the page anyway.
      serviceWorkers: 'block',
    });
    await context.addInitScript({ content: PAGE_OBSERVER_SCRIPT });
    const page = await context.newPage();
    page.on('pageerror', (error) => {
      if (pageErrors.length < 5) pageErrors.push(firstLine(error.message).slice(0, 200));
    });
    const cdp = await context.newCDPSession(page);
    const tracker = await trackNetwork(cdp);
    await guardRequests(context, cdp, guard, settings.throttling.latencyMs, blocked, warnings);
    await applyThrottling(cdp, settings.throttling);

    if (settings.trace) {
      await browser.startTracing(page, { screenshots: true, categories: TRACE_CATEGORIES });
      tracing = true;
    }
    const started = Date.now();
    const deadline = started + settings.timeoutMs;
    let status: number | null = null;
    try {
      const response = await page.goto(settings.url, { waitUntil: 'load', timeout: settings.timeoutMs });
      status = response?.status() ?? null;
    } catch (error) {
      if (settings.signal.aborted) throw error;
      const message = error instanceof Error ? firstLine(error.message) : String(error);
      if (/Timeout/i.test(message))
        warnings.push(`run ${index + 1}: the load event did not fire within ${settings.timeoutMs} ms; measured what had happened by then`);
      else throw new UserError(`cannot load ${settings.url}: ${message}`, 'check that the page is served and the URL is right');
    }
    const quiet = await waitForQuiet(page, tracker, settings.quietMs, Math.max(deadline, Date.now() + settings.quietMs), settings.signal);
    if (!quiet && !settings.signal.aborted) {
      warnings.push(
        `run ${index + 1}: the page never went quiet (${tracker.inflight.size} requests in flight or long tasks continuing) within ${settings.timeoutMs} ms`,
      );
    }
    const settledAtMs = (await page.evaluate('performance.now()')) as number;

    const marks: InteractionMark[] = [];
    for (const [i, step] of settings.interactions.entries()) {
      if (settings.signal.aborted) break;
      const startMs = (await page.evaluate('performance.now()')) as number;
      await performInteraction(page, step, i, device.hasTouch);
      await page.evaluate(NEXT_PAINT);
      const endMs = (await page.evaluate('performance.now()')) as number;
      marks.push({ step: i + 1, startMs, endMs });
    }
    if (marks.length) await sleep(100); // Event Timing entries are delivered after the next frame

    const read = (await page.evaluate(READ_OBSERVATIONS_SCRIPT)) as {
      store: PageObservations | null;
      navigation: RunObservation['navigation'];
    };
    if (!read.store) throw new Error('the page observer did not run (is the URL a page Chromium can render?)');
    let trace: Buffer | undefined;
    if (tracing) {
      trace = await browser.stopTracing();
      tracing = false;
    }
    return {
      index,
      status,
      observations: read.store,
      navigation: read.navigation,
      settledAtMs,
      measuresInp: settings.interactions.some((step) => step.action === 'click' || step.action === 'type' || step.action === 'press'),
      quiet,
      marks,
      requests: [...tracker.records.values()],
      blocked: [...new Set([...blocked, ...[...tracker.records.values()].filter((r) => r.blocked).map((r) => r.url)])],
      pageErrors,
      warnings,
      trace,
    };
  } finally {
    if (tracing) await browser.stopTracing().catch(() => undefined);
    await context?.close().catch(() => undefined);
  }
}
