import { formatMs, formatPct, formatRate } from '../common/units.js';
import { html, htmlList, inlineUplot, jsonScript, renderHtmlTable, renderPage } from '../report/html.js';
import type { Histogram } from './histogram.js';
import type { LoadTestOutput } from './schema.js';

/** Percentile distribution points (HdrHistogram's classic plot: percentile on a log "nines" axis). */
export function percentileCurve(histogram: Histogram): Array<[number, number]> {
  if (histogram.totalCount === 0) return [];
  const points: Array<[number, number]> = [];
  const ps = [0, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 92.5, 95, 96, 97, 97.5, 98, 98.5, 99, 99.25, 99.5, 99.75, 99.9, 99.95, 99.99, 99.999, 100];
  for (const p of ps) points.push([p, histogram.getValueAtPercentile(p) / 1000]);
  return points;
}

const CHART_SCRIPT = `
(function(){
  var d = JSON.parse(document.getElementById('load-data').textContent);
  function chart(id, title, series, data, opts) {
    var el = document.getElementById(id); if (!el || !data[0].length) return;
    new uPlot(Object.assign({ title: title, width: Math.min(1100, el.clientWidth || 900), height: 260,
      scales: { x: { time: false } }, axes: [{ label: opts && opts.xLabel || 'second' }, { label: opts && opts.yLabel || '' }],
      series: [{ label: opts && opts.xLabel || 't' }].concat(series) }, opts && opts.extra || {}), data, el);
  }
  var t = d.timeline.map(function(p){return p.t;});
  chart('chart-latency', 'Latency over time (ms)', [{label:'p50',stroke:'#3b6fd8'},{label:'p99',stroke:'#b3261e'}], [t, d.timeline.map(function(p){return p.p50;}), d.timeline.map(function(p){return p.p99;})], {yLabel:'ms'});
  chart('chart-throughput', 'Throughput and concurrency', [{label:'req/s',stroke:'#137a3a'},{label:'active',stroke:'#a15c00',scale:'active'},{label:'target',stroke:'#888',dash:[4,4],scale:'active'}], [t, d.timeline.map(function(p){return p.rps;}), d.timeline.map(function(p){return p.active;}), d.timeline.map(function(p){return p.target==null?null:p.target;})], {yLabel:'req/s', extra:{axes:[{label:'second'},{label:'req/s'},{side:1,scale:'active',label:'active / target'}]}});
  chart('chart-errors', 'Errors and dropped per second', [{label:'errors',stroke:'#b3261e'},{label:'dropped',stroke:'#a15c00'}], [t, d.timeline.map(function(p){return p.errors;}), d.timeline.map(function(p){return p.dropped||0;})], {yLabel:'count'});
  var pc = d.percentiles;
  if (pc.length) chart('chart-percentiles', 'Latency by percentile (ms)', [{label:'latency ms',stroke:'#3b6fd8'}],
    [pc.map(function(p){return Math.min(6, -Math.log10(1 - p[0]/100 + 1e-7));}), pc.map(function(p){return p[1];})],
    {xLabel:'percentile', yLabel:'ms', extra:{axes:[{label:'percentile', values:function(u,vals){return vals.map(function(v){return (100*(1-Math.pow(10,-v))).toFixed(v>=2?3:0)+'%';});}},{label:'ms'}]}});
})();`;

export function renderLoadReport(result: LoadTestOutput, overall: Histogram, title: string): string {
  const uplot = inlineUplot();
  const verdictText = result.aborted
    ? `ABORTED — ${result.abortReason ?? 'stopped early'}`
    : `${result.passed ? 'PASSED' : 'FAILED'} — ${
        result.thresholds
          .filter((t) => !t.ok)
          .map((t) => `${t.metric} ${t.expression} (actual ${t.actual})`)
          .join(', ') || 'every threshold held'
      }`;
  const l = result.latencyMs;
  const stats: Array<[string, string]> = [
    ['model', result.model === 'open' ? 'open (arrival rate)' : 'closed (virtual users)'],
    ['requests', String(result.requests.total)],
    ['throughput', formatRate(result.throughputRps)],
    ['p50', formatMs(l.p50)],
    ['p95', formatMs(l.p95)],
    ['p99', formatMs(l.p99)],
    ['p99.9', formatMs(l.p999)],
    ['max', formatMs(l.max)],
    ['failed', formatPct(result.requests.total ? result.requests.failed / result.requests.total : 0)],
    ['dropped', String(result.requests.dropped)],
  ];
  const thresholdRows = result.thresholds.map((t) => [
    t.metric,
    t.source ?? '',
    t.expression,
    t.actual === null ? 'no data' : String(t.actual),
    t.ok ? html`<span class="ok">ok</span>` : html`<span class="bad">FAILED</span>`,
  ]);
  const thresholdHtml = thresholdRows.length
    ? renderHtmlTable(['metric', 'source', 'threshold', 'actual', 'verdict'], thresholdRows, [3])
    : html`<p class="muted">No thresholds.</p>`;
  const endpointHtml = renderHtmlTable(
    ['request', 'requests', 'req/s', 'p50', 'p95', 'p99', 'max', 'errors', 'Cache-Control', 'cacheable', 'ETag', 'Last-Modified', 'cache hits'],
    result.endpoints.map((e) => [
      e.name,
      e.requests,
      e.throughputRps,
      formatMs(e.latencyMs.p50),
      formatMs(e.latencyMs.p95),
      formatMs(e.latencyMs.p99),
      formatMs(e.latencyMs.max),
      formatPct(e.errorRate),
      formatPct(e.cache.withCacheControl),
      formatPct(e.cache.cacheable),
      formatPct(e.cache.withEtag),
      formatPct(e.cache.withLastModified),
      e.cache.hitRatio === null ? '—' : formatPct(e.cache.hitRatio),
    ]),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
  );
  const errorHtml = result.errors.length
    ? renderHtmlTable(
        ['kind', 'status', 'count', 'example'],
        result.errors.map((e) => [e.kind, e.status ?? '', e.count, e.example ?? '']),
        [2],
      )
    : html`<p class="ok">No errors.</p>`;
  const checkHtml = result.checks.length
    ? renderHtmlTable(
        ['check', 'passes', 'fails'],
        result.checks.map((c) => [c.name, c.passes, c.fails]),
        [1, 2],
      )
    : html`<p class="muted">No checks defined (add <code>expect</code> to a request).</p>`;
  const warnings = result.warnings.length ? htmlList(result.warnings) : html`<p class="ok">None.</p>`;
  const data = { timeline: result.timeline, percentiles: percentileCurve(overall) };
  const g = result.generator;
  return renderPage(
    {
      title: `Load test: ${title}`,
      verdict: { status: result.aborted ? 'warn' : result.passed ? 'pass' : 'fail', text: verdictText },
      stats,
      sections: [
        { title: 'Thresholds', html: thresholdHtml },
        { title: 'Warnings', html: warnings },
        {
          title: 'Over time',
          html: html`<div id="chart-latency" class="chart"></div><div id="chart-throughput" class="chart"></div><div id="chart-errors" class="chart"></div><noscript>Charts need JavaScript; the numbers are in the tables.</noscript>`,
        },
        {
          title: 'Latency distribution',
          html: html`<div id="chart-percentiles" class="chart"></div>${renderHtmlTable(['min', 'mean', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max'], [[l.min, l.mean, l.p50, l.p90, l.p95, l.p99, l.p999, l.max].map((v) => formatMs(v))], [0, 1, 2, 3, 4, 5, 6, 7])}<p class="muted">${result.model === 'open' ? "Open model: latency counts from each request's scheduled send time, so queueing in the client or server is included (no coordinated omission)." : 'Closed model: latency counts from the actual send time.'}</p>`,
        },
        { title: 'Requests', html: endpointHtml },
        { title: 'Errors', html: errorHtml },
        { title: 'Checks', html: checkHtml },
        {
          title: 'Generator',
          html: html`<p>${g.workers} thread(s), engine ${result.engine}; event-loop lag p99 ${g.eventLoopLagP99Ms} ms, busiest thread ${(g.eventLoopUtilization * 100).toFixed(0)}% busy, CPU ${g.cpuPct}% (100% = one core), peak RSS ${g.peakRssMb} MB.</p>`,
        },
        {
          title: 'Timeline (per second)',
          html: renderHtmlTable(
            ['t (s)', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'active', 'target', 'dropped'],
            result.timeline.map((p) => [p.t, p.rps, p.p50, p.p99, p.errors, p.active, p.target ?? '', p.dropped ?? '']),
            [0, 1, 2, 3, 4, 5, 6, 7],
          ),
        },
      ],
      styles: [uplot.style],
      scripts: [uplot.script, CHART_SCRIPT],
    },
    jsonScript('load-data', data),
  );
}
