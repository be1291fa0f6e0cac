import { defineTool } from '../common/tool.js';
import { vitalsInputSchema, vitalsOutputSchema } from './schema.js';

export const measureWebVitalsTool = defineTool({
  name: 'measure_web_vitals',
  title: 'Measure Core Web Vitals in Chromium',
  description:
    'Loads a page several times (default 5) with a cold cache in headless Chromium and measures, from the page itself: ' +
    'LCP (and its element), CLS (session windows), INP from scripted interactions (click/type/press) or TBT as the lab proxy, ' +
    'FCP, TTFB, long tasks, requests and bytes by type. Optional Lighthouse mobile throttling (CPU ×4, slow 4G). ' +
    'Returns medians with per-run values and pass/fail thresholds (default: config targets LCP ≤ 2.5 s, CLS ≤ 0.1, INP/TBT ≤ 200 ms), ' +
    'plus an HTML report with a filmstrip and a Chrome trace. Only loopback URLs, hosts in load.allowHosts, or file:// pages; ' +
    'requests the page makes to other hosts are blocked and reported.',
  input: vitalsInputSchema,
  output: vitalsOutputSchema,
  annotations: {
    // It only loads and clicks a page, but a page's click handlers can change server state.
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    // Loopback by default; allow-listed hosts may be remote.
    openWorldHint: true,
  },
  budget: 6000,
  async run(input, context) {
    const { measureWebVitals } = await import('./index.js');
    return measureWebVitals(input, context);
  },
  verdict: (result) => ({ verdict: result.passed ? 'PASSED' : 'FAILED', failed: !result.passed }),
});
