import { median } from '../common/sample-stats.js';
import { html, inlineUplot, jsonScript, renderHtmlTable, renderPage } from '../report/html.js';
import type { ChangePoint, HistoryPoint } from './schema.js';

/** The page script: the series, the medians between change points, change points as red lines; a click opens that run's report. */
const CHART_SCRIPT = `
(function(){
  var d = JSON.parse(document.getElementById('history-data').textContent);
  var el = document.getElementById('chart-history'); if (!el || !d.points.length) return;
  var xs = d.points.map(function(_, i){ return i; });
  var cps = d.changePoints;
  var level = d.points.map(function(_, i){
    var lv = d.levels[0];
    for (var k = 0; k < cps.length; k++) if (i >= cps[k]) lv = d.levels[k + 1];
    return lv;
  });
  var u = new uPlot({
    title: d.metric + ' (' + d.unit + ') per run', width: Math.min(1100, el.clientWidth || 900), height: 320,
    scales: { x: { time: false } },
    axes: [{ label: 'run (oldest → newest)', values: function(_, v){ return v.map(function(i){ var p = d.points[i]; return p ? (p.commit ? p.commit.slice(0, 7) : '#' + i) : ''; }); } }, { label: d.unit }],
    series: [{ label: 'run' }, { label: d.metric, stroke: '#3b6fd8', points: { show: true, size: 6 } }, { label: 'median between change points', stroke: '#137a3a', dash: [6, 4], paths: uPlot.paths.stepped({ align: 1 }), points: { show: false } }],
    hooks: { draw: [function(u){
      var ctx = u.ctx; ctx.save(); ctx.strokeStyle = '#b3261e'; ctx.lineWidth = 2; ctx.setLineDash([4, 3]);
      cps.forEach(function(i){ var x = u.valToPos(i - 0.5, 'x', true); ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke(); });
      ctx.restore();
    }] }
  }, [xs, d.points.map(function(p){ return p.value; }), level], el);
  u.over.addEventListener('click', function(){ var i = u.cursor.idx; if (i != null && d.points[i]) location.href = d.points[i].href; });
  u.over.style.cursor = 'pointer';
})();`;

export interface HistoryPageData {
  title: string;
  verdict: string;
  metric: string;
  unit: string;
  points: HistoryPoint[];
  changePoints: ChangePoint[];
}

/** history.html: self-contained (uPlot inlined), stored in a run folder beside the runs it links to. */
export function renderHistoryPage(data: HistoryPageData): string {
  const uplot = inlineUplot();
  const href = (runId: string) => `../${encodeURIComponent(runId)}/report.html`;
  const indexOf = new Map(data.points.map((p, i) => [p.runId, i]));
  // A change point names one of the points; one that does not (a hand-edited page input) draws no step.
  const cpIndices = data.changePoints.flatMap((c) => indexOf.get(c.runId) ?? []);
  const bounds = [0, ...cpIndices, data.points.length];
  const levels = bounds.slice(1).map((end, k) => median(data.points.slice(bounds[k], end).map((p) => p.value)));
  const cpSet = new Set(data.changePoints.map((c) => c.runId));
  const pointRows = [...data.points]
    .reverse()
    .map((p) => [
      html`<a href="${href(p.runId)}">${p.runId}</a>`,
      p.commit ? p.commit.slice(0, 10) : '—',
      p.at,
      `${+p.value.toPrecision(5)}`,
      [...(cpSet.has(p.runId) ? ['CHANGE POINT'] : []), ...p.flags].join(', '),
    ]);
  const cpRows = data.changePoints.map((c) => [
    c.verdict,
    html`<a href="${href(c.runId)}">${c.commit ? c.commit.slice(0, 10) : c.runId}</a>`,
    `${+c.beforeValue.toPrecision(5)} ${data.unit}`,
    `${+c.afterValue.toPrecision(5)} ${data.unit}`,
    `${c.deltaPct > 0 ? '+' : ''}${c.deltaPct}%`,
    c.pValue.toFixed(3),
  ]);
  return renderPage({
    title: data.title,
    verdict: { status: data.changePoints.some((c) => c.verdict === 'regression') ? 'fail' : data.changePoints.length ? 'pass' : 'info', text: data.verdict },
    stats: [
      ['runs', String(data.points.length)],
      ['change points', String(data.changePoints.length)],
      ['latest', `${+(data.points.at(-1)?.value ?? 0).toPrecision(4)} ${data.unit}`],
    ],
    styles: [uplot.style],
    scripts: [uplot.script, CHART_SCRIPT],
    sections: [
      {
        title: 'Trend',
        html: html`<div id="chart-history" class="chart"></div>${jsonScript('history-data', {
          metric: data.metric,
          unit: data.unit,
          points: data.points.map((p) => ({ value: p.value, commit: p.commit, href: href(p.runId) })),
          changePoints: cpIndices,
          levels,
        })}<p class="muted">Red dashed lines: change points (E-divisive means with a permutation test). Click a point to open its run.</p>`,
      },
      {
        title: 'Change points',
        html: cpRows.length
          ? renderHtmlTable(['verdict', 'commit', 'before', 'after', 'change', 'p'], cpRows, [2, 3, 4, 5])
          : html`<p class="muted">None: the series has no significant shift.</p>`,
      },
      { title: 'Runs (newest first)', html: renderHtmlTable(['run', 'commit', 'at', 'value', 'notes'], pointRows, [3]) },
    ],
  });
}
