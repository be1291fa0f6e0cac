import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * The one page shell every report uses, so load, profile, query and compare reports look
 * alike: self-contained (styles and scripts inlined, no CDN, works from file:// offline),
 * and the key numbers are plain HTML that reads without JavaScript.
 *
 * Markup is built with the `html` tagged template, which escapes every interpolated value
 * unless it is markup already (`Html`): a value from a run (a URL, a SQL text, a function
 * name) can never become markup by being forgotten.
 */
export class Html {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

/** Text made safe to place in element content or in a quoted attribute value. */
export function escapeHtml(text: unknown): string {
  return String(text ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

type Interpolated = Html | string | number | boolean | null | undefined | readonly Interpolated[];

function render(value: Interpolated): string {
  if (value instanceof Html) return value.markup;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(value);
}

/** `html\`<li>${text}</li>\``: strings and numbers escaped, `Html` kept, arrays joined, nullish/false dropped. */
export function html(strings: TemplateStringsArray, ...values: Interpolated[]): Html {
  let markup = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) markup += render(values[i] as Interpolated) + (strings[i + 1] ?? '');
  return new Html(markup);
}

/**
 * Markup we produced ourselves outside the template (an SVG path from numbers, a library's
 * output): the one door past escaping, so every use is greppable.
 */
export function trustedHtml(markup: string): Html {
  return new Html(markup);
}

/** Items rendered as by `html` with an (escaped) separator between them. */
export function joinHtml(items: readonly Interpolated[], separator: string): Html {
  return new Html(items.map(render).join(escapeHtml(separator)));
}

/** `<ul><li>…</li></ul>` of escaped items. */
export function htmlList(items: readonly Interpolated[], className?: string): Html {
  return html`<ul${className ? html` class="${className}"` : ''}>${items.map((item) => html`<li>${item}</li>`)}</ul>`;
}

/** JSON safe to embed inside <script>: no `</script>` or U+2028 surprises. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export type Verdict = 'pass' | 'fail' | 'warn' | 'info';

export interface ReportPage {
  title: string;
  /** One line, shown first: "PASSED — p95 212 ms under 500 ms". */
  verdict: { status: Verdict; text: string };
  /** Small facts shown as cards under the verdict: [["p95", "212 ms"], …]. */
  stats?: Array<[label: string, value: string]>;
  /** Each section's body, built with `html`. */
  sections: Array<{ title: string; html: Html; id?: string }>;
  /** Extra inline CSS and JS (e.g. the chart library from `inlineUplot()`). */
  styles?: string[];
  scripts?: string[];
  generatedAt?: Date;
}

const BASE_CSS = `
:root{--bg:#fff;--fg:#1d2330;--muted:#5d6778;--line:#e3e7ee;--card:#f6f8fb;--pass:#137a3a;--fail:#b3261e;--warn:#a15c00;--info:#1f5fbf;--accent:#3b6fd8}
*{box-sizing:border-box}body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:20px 28px 12px;border-bottom:1px solid var(--line)}h1{font-size:20px;margin:0 0 6px}h2{font-size:16px;margin:28px 0 10px}
main{padding:0 28px 40px;max-width:1200px}.meta{color:var(--muted);font-size:12px}
.verdict{display:inline-block;margin-top:6px;padding:6px 12px;border-radius:6px;font-weight:600}
.verdict.pass{background:#e5f4ea;color:var(--pass)}.verdict.fail{background:#fbe9e7;color:var(--fail)}.verdict.warn{background:#fff3e0;color:var(--warn)}.verdict.info{background:#e8f0fc;color:var(--info)}
.stats{display:flex;flex-wrap:wrap;gap:10px;margin:16px 0}.stat{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:110px}
.stat .label{color:var(--muted);font-size:12px}.stat .value{font-size:18px;font-weight:600;font-variant-numeric:tabular-nums}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line)}
th{background:var(--card);font-weight:600}td.num,th.num{text-align:right}
.ok{color:var(--pass)}.bad{color:var(--fail)}.muted{color:var(--muted)}.sev-high{color:var(--fail);font-weight:600}.sev-medium{color:var(--warn);font-weight:600}.sev-low{color:var(--info)}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}pre{background:var(--card);padding:10px;border-radius:6px;overflow:auto}
.chart{margin:8px 0 20px}
`;

export function renderPage(page: ReportPage, extraInMain?: Html): string {
  const stats = page.stats?.length
    ? html`<div class="stats">${page.stats.map(([label, value]) => html`<div class="stat"><div class="label">${label}</div><div class="value">${value}</div></div>`)}</div>`
    : '';
  const sections = page.sections.map((s) => html`<section${s.id ? html` id="${s.id}"` : ''}><h2>${s.title}</h2>${s.html}</section>\n`);
  const generated = (page.generatedAt ?? new Date()).toISOString();
  const scripts = (page.scripts ?? []).map((script) => trustedHtml(`<script>${script.replace(/<\/script/gi, '<\\/script')}</script>\n`));
  const styles = trustedHtml(`${BASE_CSS}${(page.styles ?? []).join('\n').replace(/<\/style/gi, '<\\/style')}`);
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${page.title}</title>
<style>${styles}</style></head>
<body><header><h1>${page.title}</h1>
<div class="verdict ${page.verdict.status}">${page.verdict.text}</div>
<div class="meta">performance-engineer · ${generated}</div></header>
<main>${stats}
${sections}${extraInMain}
</main>
${scripts}</body></html>
`.markup;
}

export type Cell = string | number | Html;

/** A plain HTML table; text cells are escaped; columns named in `numeric` are right-aligned. */
export function renderHtmlTable(headers: readonly string[], rows: ReadonlyArray<readonly Cell[]>, numeric: readonly number[] = []): Html {
  const align = (i: number) => (numeric.includes(i) ? html` class="num"` : '');
  return html`<table><thead><tr>${headers.map((h, i) => html`<th${align(i)}>${h}</th>`)}</tr></thead><tbody>${rows.map(
    (row) => html`<tr>${row.map((cell, i) => html`<td${align(i)}>${cell}</td>`)}</tr>\n`,
  )}</tbody></table>`;
}

/** JSON data for a page's scripts: `<script type="application/json" id="…">`. */
export function jsonScript(id: string, value: unknown): Html {
  return html`<script type="application/json" id="${id}">${trustedHtml(jsonForScript(value))}</script>`;
}

const require = createRequire(import.meta.url);
let uplotAssets: { script: string; style: string } | undefined;

/**
 * uPlot (MIT, ~50 KB) inlined: a small, fast time-series chart library. Returns its script
 * and stylesheet for `ReportPage.scripts` / `styles`; the page then calls `new uPlot(...)`.
 */
export function inlineUplot(): { script: string; style: string } {
  if (!uplotAssets) {
    const script = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
    const style = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
    uplotAssets = { script, style };
  }
  return uplotAssets;
}
