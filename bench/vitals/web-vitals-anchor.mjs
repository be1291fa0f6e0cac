// Anchor check: our page-observed metrics against Google's `web-vitals` library (the reference
// implementation behind CrUX/RUM numbers), measured in the very same page loads.
//
// Each fixture page inlines web-vitals (reportAllChanges) and posts every report to the
// fixture server, tagged with the load's sequence number; measure_web_vitals loads it N times
// and we compare, run by run, our LCP / CLS / INP / FCP / TTFB with the library's final values.
//
// Run: npm run build && node bench/vitals/web-vitals-anchor.mjs [runs]
// The machine is shared (2 cores): absolute numbers are noisy, the per-run differences are
// what this checks (both sides observe the same load).
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRunContext } from '../../dist/common/context.js';
import { measureWebVitals } from '../../dist/vitals/index.js';
import { vitalsInputSchema } from '../../dist/vitals/schema.js';

const runs = Number(process.argv[2] ?? 5);
const require = createRequire(import.meta.url);
// The package's exports map hides dist/ and package.json; the main entry sits in dist/.
const webVitalsDir = join(dirname(require.resolve('web-vitals')), '..');
const webVitalsIife = readFileSync(join(webVitalsDir, 'dist', 'web-vitals.iife.js'), 'utf8');

const busy = (ms) => `(function(){const end=performance.now()+${ms};while(performance.now()<end){}})()`;
const heroSvg = (() => {
  const tiles = [];
  for (let i = 0; i < 400; i++) {
    tiles.push(
      `<rect x="${(i % 40) * 20}" y="${Math.floor(i / 40) * 40}" width="20" height="40" fill="#${((i * 2654435761) >>> 8).toString(16).padStart(6, '0').slice(0, 6)}"/>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="400">${tiles.join('')}</svg>`;
})();

const body = `<div id="content" style="height:400px;background:#cde">Content that will be pushed down</div>
<img id="hero" src="/hero.svg" width="800" height="400" alt="hero" style="position:absolute;top:400px;left:0">
<button id="buy" style="position:absolute;top:840px;left:20px;font-size:20px">Buy</button>
<script>
addEventListener('load',()=>setTimeout(()=>{const b=document.createElement('div');b.style.height='300px';b.textContent='Late banner';document.body.insertBefore(b,document.getElementById('content'));},500));
document.getElementById('buy').addEventListener('click',()=>{${busy(300)};document.getElementById('buy').textContent='bought';});
</script>`;

let loads = 0;
const reports = new Map(); // load number → { LCP, CLS, INP, FCP, TTFB }
const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/hero.svg') {
    setTimeout(() => res.writeHead(200, { 'content-type': 'image/svg+xml' }).end(heroSvg), 1200);
    return;
  }
  if (path === '/beacon') {
    let text = '';
    req.on('data', (c) => (text += c));
    req.on('end', () => {
      const m = JSON.parse(text);
      const entry = reports.get(m.load) ?? {};
      entry[m.name] = m.value; // reportAllChanges: the last report is the final value
      reports.set(m.load, entry);
      res.writeHead(204).end();
    });
    return;
  }
  if (path === '/') {
    const load = ++loads;
    res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' });
    res.end(`<!doctype html><html><head><meta charset="utf-8"><style>body{margin:0;font:16px sans-serif}</style>
<script>${webVitalsIife}</script>
<script>
const send=(m)=>fetch('/beacon',{method:'POST',body:JSON.stringify({load:${load},name:m.name,value:m.value}),keepalive:true});
const o={reportAllChanges:true};
webVitals.onLCP(send,o);webVitals.onCLS(send,o);webVitals.onFCP(send,o);webVitals.onTTFB(send,o);webVitals.onINP(send,{reportAllChanges:true,durationThreshold:16});
</script></head><body>${body}</body></html>`);
    return;
  }
  res.writeHead(404).end();
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;

const projectDir = mkdtempSync(join(tmpdir(), 'perfeng-bench-vitals-'));
const context = await createRunContext({ projectDir });
const input = vitalsInputSchema.parse({ url: `${origin}/`, runs, trace: false, interactions: [{ action: 'click', selector: '#buy' }] });
const outcome = await measureWebVitals(input, context);
// Beacons are fetches; give the last ones a moment to land.
await new Promise((resolve) => setTimeout(resolve, 300));
const stored = JSON.parse(readFileSync(outcome.structured.artifacts.result, 'utf8'));

const rows = [];
const metrics = [
  ['LCP', 'lcpMs'],
  ['FCP', 'fcpMs'],
  ['TTFB', 'ttfbMs'],
  ['CLS', 'cls'],
  ['INP', 'inpMs'],
];
const worst = Object.fromEntries(metrics.map(([name]) => [name, 0]));
stored.perRun.forEach((run, i) => {
  const theirs = reports.get(i + 1) ?? {};
  for (const [name, key] of metrics) {
    const ours = run[key];
    const ref = theirs[name];
    const diff = typeof ours === 'number' && typeof ref === 'number' ? ours - ref : NaN;
    if (Number.isFinite(diff)) worst[name] = Math.max(worst[name], Math.abs(diff));
    rows.push([i + 1, name, ours, ref, diff]);
  }
});
const fmt = (v, name) => (typeof v !== 'number' || !Number.isFinite(v) ? 'n/a' : name === 'CLS' ? v.toFixed(4) : v.toFixed(1));
console.log(
  `measure_web_vitals vs web-vitals ${JSON.parse(readFileSync(join(webVitalsDir, 'package.json'), 'utf8')).version}, ${runs} cold loads of the same page (Chromium ${outcome.structured.browser})`,
);
console.log('run  metric   ours        web-vitals  ours−theirs');
for (const [run, name, ours, ref, diff] of rows) {
  console.log(`${String(run).padEnd(4)} ${name.padEnd(8)} ${fmt(ours, name).padStart(10)}  ${fmt(ref, name).padStart(10)}  ${fmt(diff, name).padStart(10)}`);
}
console.log(`largest |difference| per metric: ${metrics.map(([name]) => `${name} ${fmt(worst[name], name)}`).join(', ')}`);
await new Promise((resolve) => server.close(resolve));
rmSync(projectDir, { recursive: true, force: true });
