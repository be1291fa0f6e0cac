import { formatMs } from '../common/units.js';
import { type Html, html, htmlList, renderHtmlTable, renderPage, type ReportPage } from '../report/html.js';
import type { Plan } from './plan.js';
import type { QueryOutput } from './schema.js';
import type { Verdicts } from './verdict.js';

export { verdictOf, type Verdicts } from './verdict.js';

/**
 * The person-facing side: a verdict line first, then the few numbers that matter, then where
 * the artefacts are (text summary), and a self-contained HTML report with the plan tree
 * highlighted the way pev2 does (exclusive-time share, estimate misses).
 */
export function renderSummary(result: QueryOutput, verdict: Verdicts, limit = 5): string {
  const lines = [verdict.headline];
  const numbers: string[] = [`${result.dialect} ${result.statementKind}`];
  if (result.executionMs !== undefined) numbers.push(`execution ${formatMs(result.executionMs)}`);
  if (result.planningMs !== undefined) numbers.push(`planning ${formatMs(result.planningMs)}`);
  if (result.totalCost !== undefined) numbers.push(`cost ${Math.round(result.totalCost * 100) / 100}`);
  if (result.statementKind !== 'none') lines.push(numbers.join(' · ') + (result.analyzed ? '' : ' (estimated, not executed)'));
  for (const f of result.findings.slice(0, limit)) lines.push(`[${f.severity}] ${f.rule}: ${f.message}${f.fix ? ` → ${f.fix}` : ''}`);
  if (result.findings.length > limit) lines.push(`… ${result.findings.length - limit} more findings in the report`);
  for (const s of result.indexSuggestions.slice(0, 3)) {
    const before = s.before.cost ?? '?';
    const after = s.after.cost ?? '?';
    const ms = s.before.ms !== undefined && s.after.ms !== undefined ? `, ${formatMs(s.before.ms)} → ${formatMs(s.after.ms)}` : '';
    lines.push(
      `index ${s.verified ? `(verified, ${s.method})` : '(unverified)'}: ${s.sql} — cost ${before} → ${after}${s.improvementPct !== null ? ` (−${s.improvementPct} %)` : ''}${ms}`,
    );
  }
  for (const l of result.lint.slice(0, limit)) lines.push(`lint ${l.rule}: ${l.message}`);
  for (const n of result.nPlusOne.slice(0, 3))
    lines.push(
      `N+1: ${nPlusOneCount(n)}${n.totalMs !== undefined ? ` (${formatMs(n.totalMs)})` : ''}${n.callSite ? ` at ${n.callSite}` : ''}: ${n.fingerprint} → ${n.suggestion}`,
    );
  for (const t of (result.topQueries ?? []).slice(0, 5)) {
    lines.push(`top: ${formatMs(t.totalMs)} total, ${t.calls} calls, ${formatMs(t.meanMs)} mean: ${t.query.slice(0, 100)}`);
    for (const f of t.findings) lines.push(`  [${f.severity}] ${f.rule}: ${f.message}`);
    if (t.planNote) lines.push(`  ${t.planNote}`);
  }
  for (const w of result.warnings) lines.push(`warning: ${w}`);
  lines.push(`report: ${result.artifacts.report}`);
  return lines.join('\n');
}

const PLAN_CSS = `
.plan td.bar{min-width:120px}.plan .fill{height:8px;border-radius:4px;background:var(--accent)}
.plan tr.sev-high td:first-child{border-left:4px solid var(--fail)}.plan tr.sev-medium td:first-child{border-left:4px solid var(--warn)}.plan tr.sev-low td:first-child{border-left:4px solid var(--info)}
.plan .indent{display:inline-block}
`;

function planTable(plan: Plan, findings: QueryOutput['findings']): Html {
  const severityByNode = new Map<string, string>();
  for (const f of findings) if (f.node && !severityByNode.has(f.node)) severityByNode.set(f.node, f.severity);
  const rows = plan.nodes.map((n) => {
    const ref = `#${n.id} ${n.label}`;
    const sev = severityByNode.get(ref);
    const pct = n.exclusivePct ?? 0;
    const cond = n.indexCond ?? n.filter ?? '';
    return html`<tr${sev ? html` class="sev-${sev}"` : ''}><td><span class="indent" style="width:${n.depth * 16}px"></span>${ref}${cond ? html`<div class="muted"><code>${cond}</code></div>` : ''}</td>
<td class="num">${n.estimatedRows}</td><td class="num">${n.actualRows}</td><td class="num">${n.loops}</td><td class="num">${n.totalCost}</td>
<td class="num">${n.exclusiveMs !== undefined ? formatMs(n.exclusiveMs) : ''}</td><td class="bar">${n.exclusivePct !== undefined ? html`<div class="fill" style="width:${Math.min(100, pct).toFixed(1)}%"></div>${pct.toFixed(1)} %` : ''}</td></tr>\n`;
  });
  return html`<table class="plan"><thead><tr><th>node</th><th class="num">est. rows</th><th class="num">rows</th><th class="num">loops</th><th class="num">cost</th><th class="num">self time</th><th>share</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function renderReport(result: QueryOutput, plan: Plan | undefined, sql: string | undefined, verdict: Verdicts): string {
  const stats: Array<[string, string]> = [
    ['dialect', result.dialect],
    ['statement', result.statementKind],
  ];
  if (result.executionMs !== undefined) stats.push(['execution', formatMs(result.executionMs)]);
  if (result.planningMs !== undefined) stats.push(['planning', formatMs(result.planningMs)]);
  if (result.totalCost !== undefined) stats.push(['total cost', String(Math.round(result.totalCost * 100) / 100)]);
  stats.push(
    ['findings', String(result.findings.length)],
    ['index suggestions', String(result.indexSuggestions.length)],
    ['N+1', String(result.nPlusOne.length)],
  );
  const sections: ReportPage['sections'] = [];
  if (sql) sections.push({ title: 'Statement', html: html`<pre>${sql}</pre>` });
  if (result.findings.length) {
    sections.push({
      title: 'Findings',
      id: 'findings',
      html: renderHtmlTable(
        ['severity', 'rule', 'node', 'message', 'fix'],
        result.findings.map((f) => [
          f.severity,
          f.rule,
          f.node ?? '',
          `${f.message} (${Object.entries(f.evidence)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')})`,
          f.fix ?? '',
        ]),
      ),
    });
  }
  if (result.indexSuggestions.length) {
    sections.push({
      title: 'Index suggestions (before → after)',
      html: renderHtmlTable(
        ['index', 'method', 'verified', 'cost before', 'cost after', 'ms before', 'ms after', 'improvement'],
        result.indexSuggestions.map((s) => [
          s.sql,
          s.method,
          s.verified ? 'yes' : 'no',
          s.before.cost ?? '—',
          s.after.cost ?? '—',
          s.before.ms ?? '—',
          s.after.ms ?? '—',
          s.improvementPct !== null ? `${s.improvementPct} %` : '—',
        ]),
        [3, 4, 5, 6, 7],
      ),
    });
  }
  if (plan && plan.nodes.length)
    sections.push({
      title: `Plan${plan.analyzed ? ' (executed)' : ' (estimated)'}`,
      id: 'plan',
      html: html`${planTable(plan, result.findings)}<h3>Text</h3><pre>${result.plan.compact}</pre>`,
    });
  if (result.lint.length)
    sections.push({
      title: 'SQL lint',
      html: renderHtmlTable(
        ['severity', 'rule', 'message', 'fix'],
        result.lint.map((l) => [l.severity, l.rule, l.message, l.fix ?? '']),
      ),
    });
  if (result.nPlusOne.length) {
    sections.push({
      title: 'N+1 query patterns',
      html: renderHtmlTable(
        ['repeats', 'total ms', 'call site', 'fingerprint', 'parent', 'suggestion'],
        result.nPlusOne.map((n) => [nPlusOneCount(n), n.totalMs ?? '', n.callSite ?? '', n.fingerprint, n.parent ?? '', n.suggestion]),
        [1],
      ),
    });
  }
  if (result.topQueries?.length) {
    sections.push({
      title: 'Top statements (pg_stat_statements)',
      html: renderHtmlTable(
        ['total ms', 'calls', 'mean ms', 'rows', 'query', 'lint', 'plan findings'],
        result.topQueries.map((t) => [
          t.totalMs,
          t.calls,
          t.meanMs,
          t.rows,
          t.query,
          t.lint.join(', '),
          t.findings.map((f) => `${f.severity} ${f.rule}`).join(', ') || t.planNote || '',
        ]),
        [0, 1, 2, 3],
      ),
    });
  }
  if (result.warnings.length) sections.push({ title: 'Warnings', html: htmlList(result.warnings) });
  return renderPage({ title: 'Query analysis', verdict: { status: verdict.status, text: verdict.headline }, stats, sections, styles: [PLAN_CSS] });
}

/** "50 per request × 3 requests": the loop's N first, never only the product. */
export function nPlusOneCount(n: QueryOutput['nPlusOne'][number]): string {
  if (n.requests !== undefined) return `${n.perRequest} per request × ${n.requests} request${n.requests === 1 ? '' : 's'}`;
  return n.runs > 1 ? `${n.perRequest} per run × ${n.runs} runs` : `${n.count}×`;
}
