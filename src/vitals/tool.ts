import { defineTool, suggestCall } from '../common/tool.js';
import { formatBytes, formatMs } from '../common/units.js';
import { type VitalsInput, type VitalsOutput, vitalsInputSchema, vitalsOutputSchema } from './schema.js';

/** Verdict, the vitals' medians, failed thresholds, the Lighthouse score and top opportunity, the unused-bytes headline. */
function vitalsBrief(r: VitalsOutput, word: string): string {
  const m = r.metrics;
  const vitals = [
    m.lcpMs ? `LCP ${formatMs(m.lcpMs.median)}` : '',
    `CLS ${m.cls.median.toFixed(3)}`,
    m.inpMs ? `INP ${formatMs(m.inpMs.median)}` : `TBT ${formatMs(m.tbtMs.median)}`,
    m.fcpMs ? `FCP ${formatMs(m.fcpMs.median)}` : '',
    `TTFB ${formatMs(m.ttfbMs.median)}`,
  ].filter(Boolean);
  const parts = [`${word}: ${vitals.join(', ')} (median of ${r.runs} ${r.device} load${r.runs === 1 ? '' : 's'})`];
  const failed = r.thresholds.filter((t) => !t.ok);
  if (failed.length) parts.push(`failed ${failed.map((t) => `${t.expression} (actual ${t.actual ?? 'n/a'})`).join(', ')}`);
  const lh = r.lighthouse;
  if (lh) {
    const top = lh.opportunities[0];
    parts.push(
      `Lighthouse score ${lh.performanceScore ?? 'n/a'}${top ? `, top opportunity ${top.id} (${top.savingsMs ? `−${formatMs(top.savingsMs)}` : `−${formatBytes(top.savingsBytes ?? 0)}`})` : ', no opportunities'}`,
    );
  }
  const c = r.coverage;
  if (c && (c.js.files || c.css.files)) {
    const unused = c.js.unusedBytes + c.css.unusedBytes;
    const total = c.js.bytes + c.css.bytes;
    parts.push(
      `unused JS+CSS ${formatBytes(unused)} of ${formatBytes(total)} (${total ? Math.round((unused / total) * 100) : 0}%)${c.files[0]?.unusedBytes ? `, most in ${c.files[0].url.split('/').pop() || c.files[0].url}` : ''}`,
    );
  }
  parts.push(`${r.resources.count} requests, ${formatBytes(r.resources.bytes)}${r.resources.blocked.length ? `, ${r.resources.blocked.length} blocked` : ''}`);
  return `${parts.join('; ')}.`;
}

function vitalsNext(r: VitalsOutput, input: VitalsInput): string[] {
  const next: string[] = [];
  const c = r.coverage;
  const unusedShare = c && c.js.bytes + c.css.bytes ? (c.js.unusedBytes + c.css.unusedBytes) / (c.js.bytes + c.css.bytes) : 0;
  if (!input.lighthouse && !input.url.startsWith('file:') && (!r.passed || unusedShare >= 0.25))
    next.push(`${suggestCall('measure_web_vitals', { url: input.url, lighthouse: true })}: why it is slow`);
  if (r.metrics.ttfbMs.median > 600 && /^https?:/.test(input.url))
    next.push(`${suggestCall('run_load_test', { url: input.url, connections: 10, duration: '10s' })}: the server is slow to answer`);
  return next;
}

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
  brief: (result, _input, verdict) => vitalsBrief(result, verdict.verdict),
  next: vitalsNext,
});
