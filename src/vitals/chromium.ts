import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { CancelledError, UserError } from '../common/errors.js';
import { spawnTree, type SpawnedTree } from '../common/spawn.js';

/**
 * Finds and starts the system Chromium. We start it ourselves through `spawnTree` (so it is
 * a process tree we can always kill, also when the MCP server exits) and let playwright-core
 * attach over CDP; playwright never downloads or launches a browser here.
 */
const CANDIDATES = [
  // Debian's /usr/bin/chromium is a shell wrapper that exports Google API keys (which wake
  // up sign-in and update services that then try to reach Google) and adds GPU flags; the
  // binary behind it runs without them.
  '/usr/lib/chromium/chromium',
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

export function findChromium(configured?: string, env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.PERFENG_CHROMIUM || configured;
  if (explicit) {
    try {
      accessSync(explicit, constants.X_OK);
      return explicit;
    } catch {
      throw new UserError(
        `Chromium not found at "${explicit}" (from ${env.PERFENG_CHROMIUM ? 'PERFENG_CHROMIUM' : 'vitals.chromium in .perf/config.json'})`,
        'point it at an executable Chromium or Chrome binary',
      );
    }
  }
  for (const candidate of CANDIDATES) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new UserError(
    'no Chromium found (looked in /usr/bin/chromium, chromium-browser, google-chrome)',
    'install it (Debian/Ubuntu: apt-get install chromium) or set PERFENG_CHROMIUM / vitals.chromium to its path',
  );
}

/** Flags required by the brief, plus the ones that keep timings stable in a hidden window. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  // WebRTC would send UDP (STUN/ICE) past the host allow-list, which only sees HTTP: keep it
  // off every UDP path that does not go through a proxy.
  '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
  '--webrtc-ip-handling-policy=disable_non_proxied_udp',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
  '--no-default-browser-check',
  '--disable-extensions',
  '--disable-default-apps',
  '--mute-audio',
  '--password-store=basic',
  '--use-mock-keychain',
  // A headless page counts as hidden/occluded; without these Chromium throttles its timers.
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
  '--disable-renderer-backgrounding',
  // Chromium's own services (component/extension updates, sign-in, safe browsing, metrics)
  // otherwise try to reach Google at start-up; the network guard would stop them, but they
  // also cost CPU during the measurement.
  '--disable-breakpad',
  '--disable-client-side-phishing-detection',
  '--disable-component-extensions-with-background-pages',
  '--disable-domain-reliability',
  '--disable-field-trial-config',
  '--metrics-recording-only',
  '--no-pings',
  '--no-service-autorun',
  '--safebrowsing-disable-auto-update',
  '--disable-search-engine-choice-screen',
  '--disable-dev-shm-usage', // containers often have a 64 MB /dev/shm
  '--disable-features=Translate,OptimizationHints,OptimizationHintsFetching,OptimizationGuideModelDownloading,MediaRouter,DialMediaRouteProvider,GlobalMediaControls,LensOverlay,InterestFeedContentSuggestions,CertificateTransparencyComponentUpdater,AutofillServerCommunication,HttpsUpgrades,PrivacySandboxSettings4',
];

export interface ChromiumSession {
  browser: Browser;
  version: string;
  /** The DevTools endpoint on 127.0.0.1, for a second CDP client (Lighthouse). */
  wsEndpoint: string;
  port: number;
  /** Disconnects, kills the browser tree and removes its profile; safe to call twice. */
  close(): Promise<void>;
}

export async function launchChromium(options: { executable: string; extraArgs: string[]; signal: AbortSignal; timeoutMs?: number }): Promise<ChromiumSession> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'perfeng-chromium-'));
  let tree: SpawnedTree | undefined;
  let browser: Browser | undefined;
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      await browser?.close().catch(() => undefined);
      await tree?.stop('SIGTERM').catch(() => undefined);
      await rm(userDataDir, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
    })());
  try {
    let stderr = '';
    let onEndpoint: (ws: string) => void = () => {};
    const endpoint = new Promise<string>((resolve) => (onEndpoint = resolve));
    tree = spawnTree(
      options.executable,
      [
        ...CHROMIUM_FLAGS,
        ...options.extraArgs,
        `--user-data-dir=${userDataDir}`,
        '--remote-debugging-address=127.0.0.1',
        '--remote-debugging-port=0',
        // No initial tab: attaching over CDP then has nothing to adopt (with an about:blank
        // tab it took 6–10 s on a loaded machine instead of 0.4 s). Each run opens its own.
        '--no-startup-window',
      ],
      {
        signal: options.signal,
        killGraceMs: 1500,
        maxOutputBytes: 64_000,
        onStderr: (chunk) => {
          stderr += chunk;
          const match = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
          if (match?.[1]) onEndpoint(match[1]);
        },
      },
    );
    const timeoutMs = options.timeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const exitedEarly = tree.exited.then((info) => {
      if (options.signal.aborted) throw new CancelledError();
      throw new Error(`Chromium exited before it was ready (code ${info.exitCode ?? info.signal}): ${info.stderr.trim().slice(-600)}`);
    });
    exitedEarly.catch(() => undefined); // it also settles, harmlessly, when we stop the browser later
    const ws = await Promise.race([
      endpoint,
      exitedEarly,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Chromium did not start within ${timeoutMs} ms: ${stderr.trim().slice(-600)}`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    const { chromium } = await import('playwright-core');
    browser = await chromium.connectOverCDP(ws, { timeout: timeoutMs });
    return { browser, version: browser.version(), wsEndpoint: ws, port: Number(new URL(ws).port), close };
  } catch (error) {
    await close();
    if (options.signal.aborted) throw new CancelledError();
    throw error;
  }
}
