import { defineTool } from '../common/tool.js';
import { vitalsInputSchema, vitalsOutputSchema } from './schema.js';

export const measureWebVitalsTool = defineTool({
  name: 'measure_web_vitals',
  title: 'Measure Core Web Vitals in Chromium',
  description:
    'Use for frontend speed: loads a page in headless Chromium several times and reports LCP, CLS, INP (from `interactions`) or TBT, FCP, TTFB against thresholds (PASSED/FAILED). ' +
    '`coverage` (on by default) gives unused JS/CSS bytes; `lighthouse: true` adds the Lighthouse score and opportunities. Loopback or file:// pages only. ' +
    'Next: fix the largest opportunity and measure again; run_load_test for the API behind the page.',
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
