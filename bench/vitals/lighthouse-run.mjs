// What `lighthouse: true` costs and what it finds. A loopback page with a render-blocking,
// mostly unused stylesheet (3,000 rules) and script (a 160 kB function never called) is
// measured with measure_web_vitals (1 run, no trace) with and without Lighthouse, in
// rotation; the difference of the paired wall times is Lighthouse's share. Prints the score,
// the opportunity ids and the size of the structured result (budget: 6,000 chars of JSON).
//
// Run: npm run build && node bench/vitals/lighthouse-run.mjs [pairs] [mobile|desktop]
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRunContext } from '../../dist/common/context.js';
import { measureWebVitals } from '../../dist/vitals/index.js';
import { vitalsInputSchema } from '../../dist/vitals/schema.js';

const pairs = Number(process.argv[2] ?? 3);
const device = process.argv[3] ?? 'mobile';
const JS = `function neverCalled(){${'var a=1;'.repeat(20_000)}}\ndocument.documentElement.dataset.ran='yes';`;
const CSS = `.used{color:#234}\n${Array.from({ length: 3000 }, (_, i) => `.unused-${i}{margin:${i}px;padding:1px}`).join('\n')}`;
const server = createServer((req, res) => {
  const asset = req.url === '/bloat.js' ? ['text/javascript', JS] : req.url === '/bloat.css' ? ['text/css', CSS] : undefined;
  if (asset) return void setTimeout(() => res.writeHead(200, { 'content-type': asset[0] }).end(asset[1]), 300);
  res
    .writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' })
    .end(
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>bloat</title><link rel="stylesheet" href="/bloat.css"><script src="/bloat.js"></script></head><body><h1 class="used">Too much CSS and JS</h1></body></html>',
    );
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/`;
const projectDir = await mkdtemp(join(tmpdir(), 'perfeng-lh-bench-'));
const context = await createRunContext({ projectDir });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const timed = async (lighthouse) => {
  const t0 = performance.now();
  const { structured } = await measureWebVitals(vitalsInputSchema.parse({ url, runs: 1, trace: false, quietMs: 500, device, lighthouse }), context);
  return { ms: performance.now() - t0, structured };
};
const withLh = [];
const without = [];
try {
  for (let i = 0; i < pairs; i++) {
    const a = await timed(true);
    const b = await timed(false);
    withLh.push(a);
    without.push(b);
    const lh = a.structured.lighthouse;
    console.log(
      `pair ${i + 1}: with ${(a.ms / 1000).toFixed(1)} s, without ${(b.ms / 1000).toFixed(1)} s; score ${lh?.performanceScore}; ` +
        `opportunities ${lh?.opportunities.map((o) => `${o.id}(${o.savingsMs ?? 0} ms, ${o.savingsBytes ?? 0} B)`).join(' ')}; ` +
        `LH FCP/LCP ${lh?.metrics.fcpMs}/${lh?.metrics.lcpMs} ms vs ours ${a.structured.metrics.fcpMs?.median}/${a.structured.metrics.lcpMs?.median} ms; JSON ${JSON.stringify(a.structured).length} chars`,
    );
  }
  const extra = withLh.map((a, i) => a.ms - without[i].ms);
  console.log(
    `\n${device}, ${pairs} pair(s): median with Lighthouse ${(median(withLh.map((a) => a.ms)) / 1000).toFixed(1)} s, without ${(median(without.map((b) => b.ms)) / 1000).toFixed(1)} s, Lighthouse's share ${(median(extra) / 1000).toFixed(1)} s`,
  );
} finally {
  server.close();
  await rm(projectDir, { recursive: true, force: true });
}
