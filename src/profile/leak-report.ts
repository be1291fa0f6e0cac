import { formatBytes } from '../common/units.js';
import { type Html, html, htmlList, renderHtmlTable, renderPage } from '../report/html.js';
import type { LeakOutput, LeakRecording } from './leak.js';
import { MIN_LEAK_BYTES_PER_REQUEST, requestsAt, WARMUP_SHARE, type LeakFit } from './leak-model.js';
import type { ProfileOutput } from './schema.js';

/**
 * The leak report page: memory over requests served (every sample as a dot, the fitted
 * line over the samples it used, the warm-up shaded), then the retained sites with their
 * retainer paths. The chart is inline SVG: it reads without JavaScript and needs no library.
 */
export function renderLeakPage(options: { out: ProfileOutput; leak: LeakOutput; recording: LeakRecording; fit: LeakFit; perRequest: boolean }): string {
  const { out, leak, recording, fit, perRequest } = options;
  const t0 = recording.samples[0]?.t ?? 0;
  const points = recording.samples
    .map((s) => ({ x: perRequest ? requestsAt(recording.ticks, s.t) : (s.t - t0) / 1000, y: s.heapUsed, segment: s.segment ?? 0 }))
    .filter((p): p is { x: number; y: number; segment: number } => p.x !== undefined);
  const word = leak.verdict === 'leak' ? 'LEAK' : leak.verdict === 'no-leak' ? 'NO LEAK' : 'INCONCLUSIVE';
  const unit = perRequest ? 'request' : 's';
  const slope = perRequest ? leak.bytesPerRequest : leak.bytesPerSecond;
  const stats: Array<[string, string]> = [
    ['growth', `${Math.round(slope ?? 0)} B/${unit}`],
    ['95% CI', `${Math.round(fit.ci[0])} – ${Math.round(fit.ci[1])} B/${unit}`],
    ['growth over window', `${leak.growthMiB} MiB`],
    ['samples fitted', String(leak.samples)],
    ['R²', fit.r2.toFixed(3)],
    ['peak RSS', formatBytes(out.peakRssBytes)],
    ...(out.load
      ? ([
          ['requests', String(out.load.requests)],
          ['throughput', `${Math.round(out.load.throughputRps)} req/s`],
        ] as Array<[string, string]>)
      : []),
  ];
  const siteRows = leak.sites.map((s) => [
    s.function,
    `${s.file}${s.line ? `:${s.line}` : ''}`,
    formatBytes(s.retainedBytes),
    s.count,
    s.constructor ?? '',
    s.retainerPath?.join(' → ') ?? '',
  ]);
  const sites = siteRows.length
    ? renderHtmlTable(['function', 'file:line', 'retained', 'count', 'constructor', 'retainer path (GC root → object)'], siteRows, [2, 3])
    : html`<p class="muted">No allocation site kept memory over the window.</p>`;
  const warnings = out.warnings.length ? htmlList(out.warnings) : html`<p class="ok">None.</p>`;
  return renderPage({
    title: `Leak check: ${recording.target}`,
    verdict: { status: leak.verdict === 'leak' ? 'fail' : leak.verdict === 'no-leak' ? 'pass' : 'warn', text: `${word} — ${leak.reason}` },
    stats,
    sections: [
      { title: `Memory over ${perRequest ? 'requests served' : 'time'}`, id: 'memory', html: memoryChart(points, fit, perRequest, recording.memory) },
      { title: 'Retained allocation sites', id: 'sites', html: sites },
      { title: 'Warnings', html: warnings },
      {
        title: 'How to read this',
        html: html`<p>Each dot is one sample of ${recording.memory}. The lines are the least-squares fit over the samples after the warm-up (shaded), one common slope with its own level between heap snapshots (a snapshot leaves a small step of its own);
the verdict is "leak" when the whole 95 % confidence interval of the slope lies above ${MIN_LEAK_BYTES_PER_REQUEST} bytes per request, "no-leak" when it lies below.
${
  recording.runtime === 'node'
    ? 'Sites are the objects allocated between heap snapshots 1 and 2 and still alive at snapshot 3, grouped by the function that allocated them; the snapshots are in the run folder (Chrome DevTools → Memory → Load).'
    : 'Sites are the lines whose live tracemalloc memory grew between the snapshot after the warm-up and the one at the end.'
}</p>`,
      },
    ],
  });
}

/** Inline SVG through the html template: numbers and labels are escaped like any other value. */
function memoryChart(points: Array<{ x: number; y: number; segment: number }>, fit: LeakFit, perRequest: boolean, memory: string): Html {
  if (points.length < 2) return html`<p class="muted">Too few samples to draw.</p>`;
  const W = 760;
  const H = 300;
  const pad = { l: 70, r: 20, t: 14, b: 40 };
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs) || 1;
  const y0 = Math.min(...ys);
  const y1 = Math.max(...ys);
  const span = y1 - y0 || 1;
  const sx = (x: number) => (pad.l + ((x - x0) / (x1 - x0 || 1)) * (W - pad.l - pad.r)).toFixed(1);
  const sy = (y: number) => (H - pad.b - ((y - (y0 - span * 0.05)) / (span * 1.1)) * (H - pad.t - pad.b)).toFixed(1);
  const warmupEnd = x0 + (x1 - x0) * WARMUP_SHARE;
  const unit = perRequest ? 'requests' : 's';
  const dots = points.map(
    (p) => html`<circle cx="${sx(p.x)}" cy="${sy(p.y)}" r="3" fill="#3b6fd8"><title>${Math.round(p.x)} ${unit}: ${formatBytes(p.y)}</title></circle>`,
  );
  // One line per stretch between heap snapshots: the common slope through that stretch's mean.
  const segments = new Map<number, Array<{ x: number; y: number }>>();
  for (const p of points) if (p.x >= warmupEnd) segments.set(p.segment, [...(segments.get(p.segment) ?? []), p]);
  const lines =
    fit.n >= 2
      ? [...segments.values()].flatMap((list) => {
          const first = list[0];
          const last = list.at(-1);
          if (!first || !last || list.length < 2) return [];
          const mx = list.reduce((a, p) => a + p.x, 0) / list.length;
          const my = list.reduce((a, p) => a + p.y, 0) / list.length;
          const at = (x: number) => sy(my + fit.slope * (x - mx));
          return [html`<line x1="${sx(first.x)}" y1="${at(first.x)}" x2="${sx(last.x)}" y2="${at(last.x)}" stroke="#b3261e" stroke-width="2"/>`];
        })
      : [];
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = y0 - span * 0.05 + span * 1.1 * f;
    return html`<text x="${pad.l - 6}" y="${sy(y)}" text-anchor="end" font-size="11" fill="#5d6778">${formatBytes(y)}</text>`;
  });
  const xTicks = [0, 0.5, 1].map(
    (f) =>
      html`<text x="${sx(x0 + (x1 - x0) * f)}" y="${H - pad.b + 16}" text-anchor="middle" font-size="11" fill="#5d6778">${Math.round(x0 + (x1 - x0) * f)}</text>`,
  );
  const warmupWidth = (Number(sx(warmupEnd)) - pad.l).toFixed(1);
  return html`<svg class="chart" id="memory-chart" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${memory} over ${perRequest ? 'requests' : 'seconds'}">\
<rect x="${pad.l}" y="${pad.t}" width="${warmupWidth}" height="${H - pad.t - pad.b}" fill="#f6f8fb"/>\
<text x="${pad.l + 4}" y="${pad.t + 12}" font-size="11" fill="#5d6778">warm-up</text>\
<line x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}" stroke="#e3e7ee"/>\
${yTicks}${xTicks}\
<text x="${(W + pad.l) / 2}" y="${H - 6}" text-anchor="middle" font-size="12">${perRequest ? 'requests served' : 'seconds'}</text>\
${dots}${lines}</svg>\
<p class="muted">Fitted: ${Math.round(fit.slope)} B per ${perRequest ? 'request' : 'second'} (95 % CI ${Math.round(fit.ci[0])}–${Math.round(fit.ci[1])}).</p>`;
}
