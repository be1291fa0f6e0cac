import { relative, sep } from 'node:path';
import { formatMs, formatRate } from '../common/units.js';
import { type Html, html, htmlList, renderHtmlTable, renderPage, type Verdict } from '../report/html.js';
import type { RunHandle } from '../store/runs.js';
import type { DemoOutput } from './schema.js';
import { significanceText } from './summary.js';

/**
 * `.perf/runs/<demo-id>/index.html`: the demo's verdict, the before → after table and a link
 * to every run report it produced. Links are relative, so the folder works from file:// and
 * when copied elsewhere along with its sibling runs.
 */
function link(from: string, target: string | undefined, text: string): Html {
  if (!target) return html`${text}`;
  const href = relative(from, target).split(sep).map(encodeURIComponent).join('/');
  return html`<a href="${href}">${text}</a>`;
}

function verdictStatus(output: DemoOutput): Verdict {
  if (output.steps.some((s) => s.status === 'failed')) return 'fail';
  const applied = output.endpoints.filter((e) => e.fixApplied).length;
  if (output.improved === applied && applied > 0) return 'pass';
  return output.improved > 0 ? 'warn' : 'info';
}

const pct = (value: number | null) => (value === null ? '—' : `${value > 0 ? '+' : ''}${value.toFixed(0)}%`);

export function renderDemoIndex(output: DemoOutput, run: Pick<RunHandle, 'dir' | 'id'>): string {
  const here = run.dir;
  const changeClass = (change: number | null) => (change !== null && change < 0 ? 'ok' : change !== null && change > 0 ? 'bad' : '');
  const summaryRows = output.endpoints.map(
    (e) => html`<tr><td><strong>${e.name}</strong><div class="muted">${e.path}</div></td>
<td class="num">${e.before ? link(here, e.before.report, formatMs(e.before.p95Ms)) : '—'} → ${e.after ? link(here, e.after.report, formatMs(e.after.p95Ms)) : '—'}</td>
<td class="num ${changeClass(e.p95ChangePct)}">${pct(e.p95ChangePct)}</td>
<td class="num">${e.before ? formatRate(e.before.throughputRps) : '—'} → ${e.after ? formatRate(e.after.throughputRps) : '—'}</td>
<td class="num">${pct(e.throughputChangePct)}</td>
<td>${e.compareRunId ? link(here, `${here}/../${e.compareRunId}/report.html`, significanceText(e)) : significanceText(e)}</td></tr>\n`,
  );
  const summaryTable = html`<table id="summary"><thead><tr><th>endpoint</th><th class="num">p95 before → after</th><th class="num">Δ p95</th><th class="num">req/s before → after</th><th class="num">Δ req/s</th><th>p95 significance (compare_benchmarks)</th></tr></thead><tbody>${summaryRows}</tbody></table>
<p class="muted">Significance: Holm-corrected p-values from compare_benchmarks, α = 0.05; "~" = not significant. Latency samples within one load run are not independent, so repeat the demo before trusting a small change.</p>`;

  const problems = renderHtmlTable(
    ['endpoint', 'problem', 'fix', 'applied'],
    output.endpoints.map((e) => [e.name, e.problem, e.fix, e.fixApplied ? 'yes' : 'no']),
  );

  const statusClass = (status: string) => (status === 'ok' ? 'ok' : status === 'failed' ? 'bad' : 'muted');
  const runRows = output.steps.map(
    (s) =>
      html`<tr><td>${s.step}</td><td>${s.tool ?? ''}</td><td class="${statusClass(s.status)}">${s.status}</td><td class="num">${s.seconds.toFixed(1)} s</td><td>${s.detail}</td><td>${s.report ? link(here, s.report, 'report') : ''}</td></tr>\n`,
  );
  const runsTable = html`<table id="runs"><thead><tr><th>step</th><th>tool</th><th>status</th><th class="num">time</th><th>result</th><th>report</th></tr></thead><tbody>${runRows}</tbody></table>`;

  const findings: Html[] = [];
  if (output.profile) {
    findings.push(
      html`<h3>Profile under load — ${link(here, output.profile.flamegraph, 'flame graph')}</h3>${renderHtmlTable(
        ['function', 'where', 'self %'],
        output.profile.topFunctions.map((f) => [f.name, `${f.file}:${f.line}`, f.selfPct.toFixed(1)]),
        [2],
      )}`,
    );
  }
  if (output.query) {
    findings.push(html`<h3>Queries — ${link(here, output.query.report, 'analyze_query report')}</h3>`);
    if (output.query.nPlusOne.length) {
      findings.push(
        renderHtmlTable(
          ['N+1 query shape', 'statements', 'call site'],
          output.query.nPlusOne.map((n) => [n.fingerprint, n.loop, n.callSite ?? '']),
          [1],
        ),
      );
    }
    if (output.query.findings.length)
      findings.push(
        renderHtmlTable(
          ['severity', 'rule', 'finding'],
          output.query.findings.map((f) => [f.severity, f.rule, f.message]),
        ),
      );
    if (output.query.indexSuggestions.length) {
      findings.push(
        renderHtmlTable(
          ['suggested index', 'verified', 'cost change'],
          output.query.indexSuggestions.map((s) => [s.sql, s.verified ? 'yes' : 'no', s.improvementPct === null ? '—' : `−${s.improvementPct.toFixed(0)}%`]),
        ),
      );
    }
  }

  const applied = output.endpoints.filter((e) => e.fixApplied).length;
  return renderPage({
    title: 'perfeng demo — before and after the fixes',
    verdict: { status: verdictStatus(output), text: output.verdict },
    stats: [
      ['significantly faster', `${output.improved} / ${applied}`],
      ['runs', String(output.steps.filter((s) => s.runId).length)],
      ['took', `${output.durationS.toFixed(0)} s`],
      ['warnings', String(output.warnings.length)],
    ],
    sections: [
      { title: 'Before → after (per endpoint)', html: summaryTable, id: 'before-after' },
      { title: 'What the tools found', html: findings.length ? html`${findings}` : html`<p class="muted">No diagnosis step ran.</p>`, id: 'findings' },
      { title: 'Problems and fixes in the demo app', html: problems, id: 'problems' },
      { title: 'Every step and its report', html: runsTable, id: 'steps' },
      ...(output.warnings.length ? [{ title: 'Warnings', html: htmlList(output.warnings), id: 'warnings' }] : []),
    ],
  });
}
