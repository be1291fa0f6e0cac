import { html, jsonForScript, renderPage, type ReportPage } from '../report/html.js';
import { FLAMEGRAPH_CLIENT_JS } from './flamegraph-client.js';
import type { FlameTree } from './flame-tree.js';

/**
 * flamegraph.html: the report page (renderPage, so it looks like every other report) with
 * an interactive SVG flame graph. Self-contained: data and script inline, no CDN.
 *
 * DOM contract (relied on by tests and the demo's browser check — keep it stable):
 * - `<svg id="flame" data-zoom="ID">`: the graph, root ("all") at the bottom, callers below
 *   callees. `data-zoom` is the id of the frame currently zoomed to (0 = everything).
 * - each box is `<g class="frame" data-id data-name data-file data-line data-category
 *   data-self data-total [data-delta]>` holding a `<rect>` and (when wide enough) a `<text>`.
 *   `data-self`/`data-total` are in the profile's unit (µs or bytes); `data-delta` (diff
 *   only) is the change of the frame's self share in percentage points (red > 0, blue < 0).
 * - click a frame → it becomes full width (`class` gains `zoomed`; its ancestors stay full
 *   width with class `ancestor`); click "all" or `#flame-reset` to zoom out.
 * - `#flame-search` (regex, case-insensitive, on name and file): matching frames gain class
 *   `match` (magenta); `#flame-matched` shows their share of the total.
 * - hover shows `#flame-tooltip` with name, file:line, self and total (value and %).
 * Without JavaScript the tables below the graph still carry every key number.
 */
const FLAME_CSS = `
#flame-wrap{position:relative;border:1px solid var(--line);border-radius:6px;padding:6px;overflow-x:hidden}
#flame{width:100%;display:block;font:11px ui-monospace,SFMono-Regular,Menlo,monospace;cursor:pointer}
#flame g.frame text{pointer-events:none;fill:#111}
#flame g.frame:hover rect{stroke:#000;stroke-width:.8}
#flame g.ancestor rect{opacity:.6}
.flame-controls{display:flex;gap:10px;align-items:center;margin:6px 0}
.flame-controls input{padding:4px 8px;min-width:260px;border:1px solid var(--line);border-radius:4px}
#flame-tooltip{position:fixed;display:none;white-space:pre;background:#1d2330;color:#fff;padding:6px 8px;border-radius:4px;font:12px ui-monospace,monospace;pointer-events:none;z-index:10;max-width:640px;overflow:hidden}
.legend span{display:inline-block;padding:0 6px;margin-right:6px;border-radius:3px}
`;

export interface FlamegraphPageOptions {
  title: string;
  verdict: ReportPage['verdict'];
  stats: ReportPage['stats'];
  tree: FlameTree;
  /** Further sections: hot functions, paths, diff, processes. */
  sections: ReportPage['sections'];
}

export function renderFlamegraphPage(options: FlamegraphPageOptions): string {
  const { tree } = options;
  const legend = tree.diff
    ? html`<div class="legend muted"><span style="background:rgb(240,80,80)">grew</span><span style="background:rgb(80,80,240);color:#fff">shrank</span> colour = change of the frame's own (self) share vs the baseline; width = now.</div>`
    : html`<div class="legend muted"><span style="background:rgb(240,110,50)">your code</span><span style="background:rgb(230,195,60)">dependencies</span><span style="background:rgb(165,185,200)">node internals</span><span style="background:rgb(140,190,140)">native</span><span style="background:rgb(180,140,220)">GC</span> width = ${tree.unit === 'bytes' ? 'bytes allocated' : 'time on CPU'}; click to zoom.</div>`;
  const pruned =
    tree.pruned > 0
      ? html`<p class="muted">Frames under 0.01 % of the total are left out of the picture (${((tree.pruned / (tree.total || 1)) * 100).toFixed(2)} % in all); the exported profiles keep everything.</p>`
      : '';
  const flame = html`<div class="flame-controls"><input id="flame-search" type="search" placeholder="search (regex): function or file" aria-label="search frames">
<button id="flame-reset" type="button">reset zoom</button><span id="flame-matched" class="muted"></span></div>
${legend}
<div id="flame-wrap"><svg id="flame" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="flame graph" data-zoom="0"></svg><div id="flame-tooltip"></div></div>${pruned}
<noscript><p class="muted">The flame graph needs JavaScript; the tables below do not.</p></noscript>`;
  return renderPage({
    title: options.title,
    verdict: options.verdict,
    stats: options.stats,
    sections: [{ title: tree.diff ? 'Differential flame graph' : 'Flame graph', html: flame, id: 'flamegraph' }, ...options.sections],
    styles: [FLAME_CSS],
    scripts: [`window.__FLAME__=${jsonForScript(tree)};`, FLAMEGRAPH_CLIENT_JS],
  });
}
