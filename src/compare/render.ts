import { type Html, html, htmlList, renderPage, type ReportPage, type Verdict } from '../report/html.js';
import { renderMarkdownTable, renderTextTable, type Align } from '../report/table.js';
import { TIME_UNITS_S } from './model.js';
import type { CompareOutput, CompareRow } from './schema.js';

/** A value with its unit, time scaled to a readable unit (benchstat prints 12.3µ, we print 12.3 µs). */
export function formatValue(value: number | null, unit: string): string {
  if (value === null || !Number.isFinite(value)) return '—';
  const toS = TIME_UNITS_S[unit];
  if (toS !== undefined) {
    const suffix = unit.endsWith('/op') ? '/op' : '';
    const s = value * toS;
    const abs = Math.abs(s);
    const [scaled, u] = abs >= 1 ? [s, 's'] : abs >= 1e-3 ? [s * 1e3, 'ms'] : abs >= 1e-6 ? [s * 1e6, 'µs'] : [s * 1e9, 'ns'];
    return `${+scaled.toPrecision(4)} ${u}${suffix}`;
  }
  if (unit === 'ratio') return `${+(value * 100).toPrecision(3)}%`;
  const abs = Math.abs(value);
  const text = abs >= 1e6 ? `${+(value / 1e6).toPrecision(4)}M` : abs >= 1e4 ? `${+(value / 1e3).toPrecision(4)}k` : `${+value.toPrecision(4)}`;
  return unit === 'value' ? text : `${text} ${unit}`;
}

/** "12.3 ms ± 4%": the median and the half-width of its CI relative to it, as benchstat prints. */
export function formatSide(side: CompareRow['baseline'], unit: string): string {
  const value = formatValue(side.median, unit);
  if (side.median === null) return '';
  if (side.ciLow === null || side.ciHigh === null) return side.center === 'median' && side.n > 0 && side.n < 6 ? `${value} ± ∞` : value;
  const half = Math.max(side.median - side.ciLow, side.ciHigh - side.median);
  const pct = side.median !== 0 ? (half / Math.abs(side.median)) * 100 : 0;
  return `${value} ± ${pct < 1 ? pct.toFixed(1) : pct.toFixed(0)}%`;
}

export function formatDelta(row: CompareRow): string {
  // Below double precision a p-value underflows to 0: say "p<1e-300" rather than "p=0".
  const p =
    row.pAdjusted === null ? '' : row.pAdjusted === 0 ? 'p<1e-300 ' : `p=${row.pAdjusted < 0.001 ? row.pAdjusted.toExponential(1) : row.pAdjusted.toFixed(3)} `;
  const n = `n=${row.baseline.n}+${row.candidate.n}`;
  const stats =
    row.test === 'none'
      ? '(no test)'
      : row.test === 'quantile-ci'
        ? `(CI ${row.significant ? 'apart' : 'overlap'})`
        : `(${row.test === 'welch' ? 'Welch ' : ''}${p}${n})`;
  if (row.deltaPct === null) return `— ${stats}`;
  // benchstat prints "~" for a difference that is not significant.
  if (!row.significant && row.test !== 'none') return `~ ${stats}`;
  const sign = row.deltaPct > 0 ? '+' : '';
  return `${sign}${row.deltaPct.toFixed(2)}% ${stats}`;
}

const VERDICT_MARK: Record<CompareRow['verdict'], string> = { faster: 'faster', slower: 'SLOWER', same: 'same', inconclusive: '?' };

function tableRows(rows: CompareRow[], multi: boolean): { headers: string[]; body: string[][]; align: Align[] } {
  const headers = ['benchmark', ...(multi ? ['vs'] : []), 'baseline', 'candidate', 'delta', 'verdict'];
  const body = rows.map((r) => [
    `${r.name}${r.unit === 'value' ? '' : ` [${r.unit}]`}`,
    ...(multi ? [r.against] : []),
    formatSide(r.baseline, r.unit),
    formatSide(r.candidate, r.unit),
    formatDelta(r),
    VERDICT_MARK[r.verdict],
  ]);
  const align: Align[] = headers.map((_, i) => (i === 0 || (multi && i === 1) ? 'left' : 'right'));
  return { headers, body, align };
}

export function renderTerminalTable(rows: CompareRow[], multi: boolean): string {
  const { headers, body, align } = tableRows(rows, multi);
  return renderTextTable(headers, body, align);
}

export function renderMarkdown(result: Omit<CompareOutput, 'artifacts'>, allRows: CompareRow[]): string {
  const multi = new Set(allRows.map((r) => r.against)).size > 1;
  const { headers, body, align } = tableRows(allRows, multi);
  const lines = [`# Benchmark comparison`, '', `**${result.verdict}**`, '', renderMarkdownTable(headers, body, align), ''];
  if (result.geomeanDeltaPct !== null)
    lines.push(`Geomean change: ${result.geomeanDeltaPct > 0 ? '+' : ''}${result.geomeanDeltaPct.toFixed(2)}% (positive = worse).`, '');
  const geomeans = result.geomeans.filter((g): g is typeof g & { deltaPct: number } => g.deltaPct !== null);
  if (geomeans.length && result.geomeanDeltaPct === null) {
    lines.push(
      `Geomeans (per unit, as benchstat): ${geomeans.map((g) => `${g.unit}${g.table ? ` [${g.table}]` : ''} vs ${g.against} ${g.deltaPct > 0 ? '+' : ''}${g.deltaPct.toFixed(2)}%`).join('; ')}.`,
      '',
    );
  }
  lines.push(`Method: ${result.method}.`, '');
  lines.push(
    `Tests: Mann-Whitney U (two-sided), ${result.correction === 'none' ? 'no correction' : result.correction === 'holm' ? 'Holm-corrected' : 'Benjamini-Hochberg-corrected'}, α = ${result.alpha}; "~" = no significant difference.`,
    '',
  );
  if (result.gate.failOn)
    lines.push(`Gate \`${result.gate.failOn}\`: ${result.gate.failed ? 'FAILED' : 'passed'}`, ...result.gate.reasons.map((r) => `- ${r}`), '');
  if (result.warnings.length) lines.push('Warnings:', ...result.warnings.map((w) => `- ${w}`), '');
  return lines.join('\n');
}

/** A small inline SVG per row: both medians with their CIs on a shared axis (readable without JS). */
function intervalSvg(row: CompareRow): Html | string {
  const points = [row.baseline.ciLow, row.baseline.ciHigh, row.candidate.ciLow, row.candidate.ciHigh, row.baseline.median, row.candidate.median].filter(
    (v): v is number => v !== null && Number.isFinite(v),
  );
  if (points.length < 2) return '';
  const lo = Math.min(...points);
  const hi = Math.max(...points);
  const span = hi - lo || Math.abs(hi) || 1;
  const x = (v: number) => 10 + ((v - lo) / span) * 220;
  const line = (side: CompareRow['baseline'], y: number, color: string) => {
    if (side.median === null) return '';
    const low = side.ciLow ?? side.median;
    const high = side.ciHigh ?? side.median;
    return html`<line x1="${x(low).toFixed(1)}" y1="${y}" x2="${x(high).toFixed(1)}" y2="${y}" stroke="${color}" stroke-width="3"/><circle cx="${x(side.median).toFixed(1)}" cy="${y}" r="4" fill="${color}"/>`;
  };
  return html`<svg width="240" height="28" role="img" aria-label="medians with confidence intervals">${line(row.baseline, 8, '#5d6778')}${line(row.candidate, 20, row.verdict === 'slower' ? '#b3261e' : row.verdict === 'faster' ? '#137a3a' : '#3b6fd8')}</svg>`;
}

export function renderHtmlReport(result: Omit<CompareOutput, 'artifacts'>, allRows: CompareRow[]): string {
  const status: Verdict = result.gate.failed ? 'fail' : result.counts.slower > 0 ? 'warn' : result.counts.faster > 0 ? 'pass' : 'info';
  const multi = new Set(allRows.map((r) => r.against)).size > 1;
  const { headers, body } = tableRows(allRows, multi);
  const numericFrom = multi ? 2 : 1;
  const head = [...headers, 'p (adj.)', "Cliff's δ", 'shift (HL) CI', 'intervals'].map(
    (h, j) => html`<th${j >= numericFrom ? html` class="num"` : ''}>${h}</th>`,
  );
  const rows = allRows.map((row, i) => {
    const cells = (body[i] ?? []).map((c, j) => html`<td${j >= numericFrom ? html` class="num"` : ''}>${c}</td>`);
    const cls = row.verdict === 'slower' ? html` class="bad"` : row.verdict === 'faster' ? html` class="ok"` : '';
    const shift =
      row.effectSize.shift === null
        ? '—'
        : `${formatValue(row.effectSize.shift, row.unit)} [${formatValue(row.effectSize.shiftLow, row.unit)}, ${formatValue(row.effectSize.shiftHigh, row.unit)}]`;
    return html`<tr${cls}>${cells}<td class="num">${row.pAdjusted === null ? '—' : row.pAdjusted.toPrecision(3)}</td><td class="num">${
      row.effectSize.cliffsDelta === null ? '—' : `${row.effectSize.cliffsDelta.toFixed(2)} ${row.effectSize.magnitude}`
    }</td><td class="num">${shift}</td><td>${intervalSvg(row)}</td></tr>\n`;
  });
  const sections: ReportPage['sections'] = [
    {
      title: 'Rows',
      html: html`<table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table><p class="muted">Grey: baseline median and CI; colour: candidate. "~" = no significant difference after correction.</p>`,
    },
  ];
  if (result.gate.failOn) {
    sections.push({
      title: `Gate: ${result.gate.failOn}`,
      html: result.gate.reasons.length ? htmlList(result.gate.reasons, 'bad') : html`<p class="ok">passed</p>`,
    });
  }
  if (result.warnings.length) sections.push({ title: 'Warnings', html: htmlList(result.warnings) });
  sections.push({
    title: 'Inputs and method',
    html: html`${htmlList(result.inputs.map((i) => html`<code>${i.source}</code> — ${i.format}, ${i.benchmarks} benchmarks`))}
<p>Medians with distribution-free confidence intervals from order statistics (as benchstat); two-sided Mann-Whitney U (exact without ties for ≤ 50 samples per side, else normal approximation with tie and continuity correction);
${result.correction} correction at α = ${result.alpha}; Hodges-Lehmann shift and Cliff's δ as effect sizes; Welch's t-test when a format has only mean/sd/n.</p>`,
  });
  return renderPage({
    title: 'Benchmark comparison',
    verdict: { status, text: result.verdict },
    stats: [
      ['rows', String(result.rowsTotal)],
      ['slower', String(result.counts.slower)],
      ['faster', String(result.counts.faster)],
      ['same', String(result.counts.same)],
      ['inconclusive', String(result.counts.inconclusive)],
      ['geomean', result.geomeanDeltaPct === null ? '—' : `${result.geomeanDeltaPct > 0 ? '+' : ''}${result.geomeanDeltaPct.toFixed(2)}%`],
    ],
    sections,
  });
}
