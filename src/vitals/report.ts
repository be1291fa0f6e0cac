import { type Html, html, htmlList, joinHtml, renderHtmlTable, renderPage, type ReportPage } from '../report/html.js';
import { formatBytes, formatMs } from '../common/units.js';
import type { RunMetrics } from './analyse.js';
import type { MetricSummary, VitalsOutput } from './schema.js';

/**
 * The text summary (verdict first) and the self-contained HTML report: medians, thresholds,
 * per-run values, the LCP element, a filmstrip and a long-task timeline. The timeline is
 * inline SVG so it reads without JavaScript.
 */
const fmtCls = (v: number) => v.toFixed(3);

function metricText(name: string, m: MetricSummary | undefined, format: (v: number) => string): string | undefined {
  if (!m) return undefined;
  return `${name} ${format(m.median)}${m.min !== m.max ? ` (${format(m.min)}–${format(m.max)})` : ''}`;
}

export function renderVitalsSummary(r: VitalsOutput): string {
  const failed = r.thresholds.filter((t) => !t.ok);
  const verdict = r.passed
    ? `PASSED — ${r.thresholds.map((t) => t.expression).join(', ')}`
    : `FAILED — ${failed.length ? failed.map((t) => `${t.expression} (actual ${t.actual ?? 'n/a'})`).join(', ') : 'the page returned an HTTP error'}`;
  const m = r.metrics;
  const numbers = [
    metricText('LCP', m.lcpMs, formatMs),
    metricText('CLS', m.cls, fmtCls),
    metricText('INP', m.inpMs, formatMs),
    metricText('TBT', m.tbtMs, formatMs),
    metricText('FCP', m.fcpMs, formatMs),
    metricText('TTFB', m.ttfbMs, formatMs),
  ].filter(Boolean);
  const lines = [
    verdict,
    `${r.url} — median of ${r.runs} cold load(s), ${r.device}, throttling ${r.throttling.profile}, Chromium ${r.browser}`,
    numbers.join(' · '),
  ];
  if (r.lcpElement)
    lines.push(`LCP element: ${r.lcpElement.selector}${r.lcpElement.url ? ` (${r.lcpElement.url})` : r.lcpElement.text ? ` "${r.lcpElement.text}"` : ''}`);
  const worstTask = r.longTasks[0];
  if (worstTask)
    lines.push(
      `Long tasks: ${r.longTasks.length} shown, longest ${formatMs(worstTask.durationMs)} at ${formatMs(worstTask.startMs)}${worstTask.source ? ` in ${worstTask.source}` : ''}`,
    );
  for (const step of r.interactions) {
    lines.push(
      `Step ${step.step} ${step.action} ${step.target}: ${step.latencyMs === null ? '< 16 ms' : `${formatMs(step.latencyMs)} (input delay ${formatMs(step.inputDelayMs ?? 0)}, processing ${formatMs(step.processingMs ?? 0)}, presentation ${formatMs(step.presentationDelayMs ?? 0)})`}`,
    );
  }
  lines.push(`Resources: ${r.resources.count} requests, ${formatBytes(r.resources.bytes)}`);
  if (r.coverage) {
    const part = (name: string, t: { files: number; bytes: number; unusedBytes: number; unusedPercent: number }) =>
      t.files ? `${name} ${formatBytes(t.bytes)} (${t.unusedPercent}% unused)` : undefined;
    const parts = [part('JS', r.coverage.js), part('CSS', r.coverage.css)].filter(Boolean);
    if (parts.length) lines.push(`Coverage: ${parts.join(', ')}${r.coverage.files[0]?.unusedBytes ? `; most unused: ${r.coverage.files[0].url}` : ''}`);
  }
  if (r.lighthouse) {
    const lh = r.lighthouse;
    const top = lh.opportunities.slice(0, 3).map((o) => `${o.id} ${o.savingsMs ? formatMs(o.savingsMs) : formatBytes(o.savingsBytes ?? 0)}`);
    lines.push(`Lighthouse performance ${lh.performanceScore ?? 'n/a'}/100${top.length ? `; opportunities: ${top.join(', ')}` : '; no failed opportunities'}`);
    lines.push(`Lighthouse report: ${lh.report}`);
  }
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  lines.push(`Report: ${r.artifacts.report}`);
  if (r.artifacts.trace) lines.push(`Trace (DevTools → Performance → Load profile): ${r.artifacts.trace}`);
  return lines.join('\n');
}

interface ReportInput {
  result: VitalsOutput;
  runs: RunMetrics[];
  filmstrip: Array<{ timeMs: number; image: string | null }>;
  allLongTasks: VitalsOutput['longTasks'];
  timelineEndMs: number;
  fcpMs?: number;
  lcpMs?: number;
  loadMs?: number;
}

const STYLES = `
.film{display:flex;gap:8px;overflow-x:auto;padding-bottom:6px}.film figure{margin:0;text-align:center;font-size:12px;color:var(--muted)}
.film img,.film .blank{width:96px;height:auto;border:1px solid var(--line);display:block;background:#fff}.film .blank{height:84px}
svg.timeline text{font:11px system-ui,sans-serif;fill:#5d6778}
`;

function renderTimeline(tasks: VitalsOutput['longTasks'], endMs: number, marks: Array<[string, number | undefined]>, run: number): Html {
  const width = 1000;
  const height = 70;
  const end = Math.max(endMs, ...tasks.map((t) => t.startMs + t.durationMs), 1);
  const x = (ms: number) => ((ms / end) * (width - 20) + 10).toFixed(1);
  const span = (from: number, to: number) => Math.max(1, Number(x(to)) - Number(x(from))).toFixed(1);
  const rects = tasks.map((t) => {
    const blockingStart = t.startMs + t.durationMs - t.blockingMs;
    return html`<rect x="${x(t.startMs)}" y="30" width="${span(t.startMs, t.startMs + t.durationMs)}" height="18" fill="#f0b400"><title>${`${formatMs(t.durationMs)} at ${formatMs(t.startMs)}${t.source ? ` — ${t.source}` : ''}`}</title></rect>${
      t.blockingMs > 0
        ? html`<rect x="${x(blockingStart)}" y="30" width="${span(blockingStart, t.startMs + t.durationMs)}" height="18" fill="#b3261e" opacity="0.8"/>`
        : ''
    }`;
  });
  const lines = marks
    .filter((m): m is [string, number] => typeof m[1] === 'number')
    .map(
      ([label, ms], i) =>
        html`<line x1="${x(ms)}" x2="${x(ms)}" y1="14" y2="56" stroke="#3b6fd8" stroke-dasharray="3,2"/><text x="${x(ms)}" y="${i % 2 ? 66 : 12}" text-anchor="middle">${`${label} ${formatMs(ms)}`}</text>`,
    );
  return html`<svg class="timeline" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="long-task timeline">
<line x1="10" x2="${width - 10}" y1="48" y2="48" stroke="#e3e7ee"/>${rects}${lines}
<text x="10" y="${height - 2}">0</text><text x="${width - 10}" y="${height - 2}" text-anchor="end">${formatMs(end)}</text></svg>
<p class="muted">Yellow: long tasks (≥ 50 ms) of run ${run}; red: the blocking part that TBT adds up.</p>`;
}

export function renderVitalsReport(input: ReportInput): string {
  const r = input.result;
  const m = r.metrics;
  const stats: Array<[string, string]> = [];
  if (m.lcpMs) stats.push(['LCP (median)', formatMs(m.lcpMs.median)]);
  stats.push(['CLS (median)', fmtCls(m.cls.median)]);
  if (m.inpMs) stats.push(['INP (median)', formatMs(m.inpMs.median)]);
  stats.push(['TBT (median)', formatMs(m.tbtMs.median)]);
  if (m.fcpMs) stats.push(['FCP (median)', formatMs(m.fcpMs.median)]);
  stats.push(['TTFB (median)', formatMs(m.ttfbMs.median)]);
  stats.push(['requests', String(r.resources.count)], ['transferred', formatBytes(r.resources.bytes)]);

  const sections: ReportPage['sections'] = [];
  sections.push({
    title: 'Thresholds',
    html: renderHtmlTable(
      ['metric', 'expression', 'actual', 'result'],
      r.thresholds.map((t) => [t.metric, t.expression, t.actual ?? 'n/a', t.ok ? 'pass' : 'FAIL']),
      [2],
    ),
  });
  const ms = (v: number | undefined) => (v === undefined ? '—' : formatMs(v));
  sections.push({
    title: 'Per run',
    html: html`${renderHtmlTable(
      ['run', 'TTFB', 'FCP', 'LCP', 'CLS', 'TBT', 'INP', 'load', 'requests', 'bytes'],
      input.runs.map((run) => [
        run.run === r.representativeRun ? `${run.run} (representative)` : String(run.run),
        ms(run.ttfbMs),
        ms(run.fcpMs),
        ms(run.lcpMs),
        fmtCls(run.cls),
        ms(run.tbtMs),
        ms(run.inpMs),
        ms(run.loadMs),
        run.requests,
        formatBytes(run.bytes),
      ]),
      [1, 2, 3, 4, 5, 6, 7, 8, 9],
    )}<p class="muted">${`${r.device}, throttling ${r.throttling.profile} (CPU ×${r.throttling.cpuSlowdown}, +${r.throttling.latencyMs} ms RTT, ${r.throttling.downloadKbps || '∞'} kbit/s down), Chromium ${r.browser}. Every run is a cold load in a fresh browser context.`}</p>`,
  });
  const el = r.lcpElement;
  sections.push({
    title: 'LCP element',
    html: el
      ? html`<p><code>${el.selector}</code>${el.url ? html` — <code>${el.url}</code>` : ''}${el.text ? html` — “${el.text}”` : ''}${el.size ? html` <span class="muted">(${Math.round(el.size)} px²)</span>` : ''}</p>`
      : html`<p class="muted">No LCP was reported.</p>`,
  });
  if (input.filmstrip.length) {
    sections.push({
      title: `Filmstrip (run ${r.representativeRun})`,
      html: html`<div class="film">${input.filmstrip.map(
        (f) =>
          html`<figure>${f.image ? html`<img alt="frame at ${formatMs(f.timeMs)}" src="data:image/jpeg;base64,${f.image}">` : html`<div class="blank"></div>`}<figcaption>${formatMs(f.timeMs)}</figcaption></figure>`,
      )}</div>`,
    });
  }
  sections.push({
    title: `Long tasks (run ${r.representativeRun})`,
    html: html`${renderTimeline(
      input.allLongTasks,
      input.timelineEndMs,
      [
        ['FCP', input.fcpMs],
        ['LCP', input.lcpMs],
        ['load', input.loadMs],
      ],
      r.representativeRun,
    )}${
      r.longTasks.length
        ? renderHtmlTable(
            ['start', 'duration', 'blocking', 'source'],
            r.longTasks.map((t) => [formatMs(t.startMs), formatMs(t.durationMs), formatMs(t.blockingMs), t.source ?? '']),
            [0, 1, 2],
          )
        : html`<p class="muted">No long tasks.</p>`
    }`,
  });
  if (r.layoutShifts.length) {
    sections.push({
      title: 'Layout shifts',
      html: renderHtmlTable(
        ['at', 'score', 'moved'],
        r.layoutShifts.map((s) => [formatMs(s.startMs), s.value.toFixed(4), s.sources.join(', ')]),
        [0, 1],
      ),
    });
  }
  if (r.interactions.length) {
    const cell = (v: number | null) => (v === null ? '< 16 ms' : formatMs(v));
    sections.push({
      title: 'Interactions (median over runs)',
      html: renderHtmlTable(
        ['step', 'action', 'target', 'latency', 'input delay', 'processing', 'presentation'],
        r.interactions.map((s) => [s.step, s.action, s.target, cell(s.latencyMs), cell(s.inputDelayMs), cell(s.processingMs), cell(s.presentationDelayMs)]),
        [3, 4, 5, 6],
      ),
    });
  }
  sections.push({
    title: 'Resources by type',
    html: html`${renderHtmlTable(
      ['type', 'requests', 'bytes'],
      Object.entries(r.resources.byType)
        .sort((a, b) => b[1].bytes - a[1].bytes)
        .map(([type, v]) => [type, v.count, formatBytes(v.bytes)]),
      [1, 2],
    )}${
      r.resources.blocked.length
        ? html`<p class="bad">Blocked (outside the host allow-list): ${joinHtml(
            r.resources.blocked.map((u) => html`<code>${u}</code>`),
            ', ',
          )}</p>`
        : ''
    }`,
  });
  if (r.coverage) {
    const c = r.coverage;
    sections.push({
      title: 'JavaScript and CSS coverage',
      html: html`${renderHtmlTable(
        ['file', 'type', 'bytes', 'unused', 'unused %'],
        c.files.map((f) => [f.url, f.type, formatBytes(f.bytes), formatBytes(f.unusedBytes), `${f.unusedPercent}%`]),
        [2, 3, 4],
      )}<p class="muted">${`All JS: ${formatBytes(c.js.bytes)} in ${c.js.files} file(s), ${c.js.unusedPercent}% unused; all CSS: ${formatBytes(c.css.bytes)} in ${c.css.files} file(s), ${c.css.unusedPercent}% unused. Source bytes from Chromium's coverage of one extra cold load (code that never ran / rules that never matched until the page went quiet); every file is in result.json.`}</p>`,
    });
  }
  if (r.lighthouse) {
    const lh = r.lighthouse;
    const ours = r.metrics;
    const row = (name: string, mine: number | undefined, theirs: number | undefined, fmt: (v: number) => string) => [
      name,
      mine === undefined ? '—' : fmt(mine),
      theirs === undefined ? '—' : fmt(theirs),
    ];
    const sideBySide = renderHtmlTable(
      ['metric', `ours (median of ${r.runs})`, 'Lighthouse (1 run)'],
      [
        row('FCP', ours.fcpMs?.median, lh.metrics.fcpMs, formatMs),
        row('LCP', ours.lcpMs?.median, lh.metrics.lcpMs, formatMs),
        row('TBT', ours.tbtMs.median, lh.metrics.tbtMs, formatMs),
        row('CLS', ours.cls.median, lh.metrics.cls, fmtCls),
        row('Speed Index', undefined, lh.metrics.speedIndexMs, formatMs),
      ],
      [1, 2],
    );
    const opportunities = lh.opportunities.length
      ? renderHtmlTable(
          ['opportunity', 'audit id', 'est. savings', 'top URLs'],
          lh.opportunities.map((o) => [
            o.title,
            o.id,
            [o.savingsMs ? formatMs(o.savingsMs) : '', o.savingsBytes ? formatBytes(o.savingsBytes) : ''].filter(Boolean).join(', '),
            (o.items ?? []).join(' '),
          ]),
          [2],
        )
      : html`<p>No failed opportunities.</p>`;
    const diagnostics = lh.diagnostics.length
      ? renderHtmlTable(
          ['diagnostic', 'audit id', 'value'],
          lh.diagnostics.map((d) => [d.title, d.id, d.value]),
        )
      : '';
    sections.push({
      title: `Lighthouse: performance ${lh.performanceScore ?? 'n/a'}/100`,
      html: html`${sideBySide}<p class="muted">${lh.note}</p>${opportunities}${diagnostics}<p>Full report: <code>${lh.report}</code></p>`,
    });
  }
  if (r.warnings.length) sections.push({ title: 'Warnings', html: htmlList(r.warnings) });
  sections.push({
    title: 'Artefacts',
    html: html`${htmlList(r.artifacts.traces.map((t) => html`<code>${t}</code>`))}<p class="muted">Open a trace in Chrome DevTools → Performance → “Load profile…” (gunzip the .gz ones first).</p>`,
  });
  const failed = r.thresholds.filter((t) => !t.ok);
  return renderPage({
    title: `Web vitals — ${r.url}`,
    verdict: r.passed
      ? { status: 'pass', text: `PASSED — ${r.thresholds.map((t) => t.expression).join(', ')}` }
      : { status: 'fail', text: `FAILED — ${failed.map((t) => `${t.expression} (actual ${t.actual ?? 'n/a'})`).join(', ') || 'HTTP error page'}` },
    stats,
    sections,
    styles: [STYLES],
  });
}
