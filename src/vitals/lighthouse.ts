import type { VitalsInput } from './schema.js';
import type { Lhr } from './lighthouse-result.js';

/**
 * Lighthouse's performance category against the same page, in the Chromium we already
 * launched (Lighthouse attaches to its DevTools port on 127.0.0.1 through puppeteer-core and
 * opens a tab of its own). That browser carries the network guard's backstop (every
 * connection outside loopback and load.allowHosts goes to a proxy that hangs up, other names
 * resolve to NOTFOUND), so nothing Lighthouse's page asks for leaves the machine; requests
 * it tried are checked against the allow-list afterwards (lighthouse-result.ts).
 *
 * Presets: Lighthouse's own, chosen by our `device` — mobile = its default config (moto g
 * power screen, simulated slow 4G, CPU ×4), desktop = its desktop-config (1350×940,
 * simulated dense 4G). Our DEVICE_PROFILES use the same screens (profiles.ts). Lighthouse
 * simulates throttling (Lantern), so its score and savings do not depend on our `throttling`.
 */
export interface LighthouseRun {
  lhr: Lhr;
  html: string;
  json: string;
}

export async function runLighthouse(options: { url: string; port: number; device: VitalsInput['device']; timeoutMs: number }): Promise<LighthouseRun> {
  // Loaded on demand: Lighthouse and puppeteer-core take ~1 s to import and only this option needs them.
  const lighthouseModule = await import('lighthouse');
  const lighthouse = lighthouseModule.default;
  const config = options.device === 'desktop' ? lighthouseModule.desktopConfig : undefined;
  const result = await lighthouse(
    options.url,
    {
      port: options.port,
      hostname: '127.0.0.1',
      output: ['html', 'json'],
      logLevel: 'error',
      onlyCategories: ['performance'],
      maxWaitForLoad: options.timeoutMs,
    },
    config,
  );
  if (!result) throw new Error('Lighthouse returned no result');
  const [html, json] = result.report as string[];
  return { lhr: result.lhr as unknown as Lhr, html: html ?? '', json: json ?? JSON.stringify(result.lhr) };
}
