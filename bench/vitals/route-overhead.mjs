// What our safety layer costs the measurement: every request the page makes is paused in
// the browser and judged by the route handler in Node (the host allow-list) before it goes
// out. This loads the same loopback page (a document + 20 subresources) in fresh contexts,
// alternating with and without the route handler, and compares TTFB, FCP and load.
//
// Run: npm run build && node bench/vitals/route-overhead.mjs [pairs]
// Shared 2-core machine: run it several times; the paired median difference is the figure.
import { createServer } from 'node:http';
import { launchChromium, findChromium } from '../../dist/vitals/chromium.js';
import { createNetworkGuard } from '../../dist/vitals/network-guard.js';

const pairs = Number(process.argv[2] ?? 10);
const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (path.startsWith('/s/')) {
    res.writeHead(200, { 'content-type': 'text/javascript' }).end(`window.x${path.slice(3)}=1;`);
    return;
  }
  const scripts = Array.from({ length: 20 }, (_, i) => `<script src="/s/${i}"></script>`).join('');
  res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' }).end(`<!doctype html><h1>route overhead</h1>${scripts}`);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/`;
const guard = await createNetworkGuard(url, []);
const session = await launchChromium({ executable: findChromium(), extraArgs: guard.chromiumArgs(), signal: new AbortController().signal });

async function load(routed) {
  const context = await session.browser.newContext();
  if (routed) await context.route('**/*', (route) => (guard.allowsUrl(route.request().url()) ? route.continue() : route.abort('blockedbyclient')));
  const page = await context.newPage();
  await page.goto(url, { waitUntil: 'load' });
  const t = await page.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0];
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    return { ttfb: n.responseStart, fcp: fcp ? fcp.startTime : NaN, load: n.loadEventEnd };
  });
  await context.close();
  return t;
}

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
await load(false); // warm up the browser process itself
const results = { plain: [], routed: [] };
for (let i = 0; i < pairs; i++) {
  // Alternate the order inside each pair so drift on the machine does not favour one side.
  const order = i % 2 ? [true, false] : [false, true];
  for (const routed of order) results[routed ? 'routed' : 'plain'].push(await load(routed));
}
await session.close();
await guard.close();
server.close();

console.log(`route interception overhead, ${pairs} alternating pairs, document + 20 scripts on loopback (Chromium ${session.version})`);
console.log('metric  plain median  routed median  paired median diff');
for (const key of ['ttfb', 'fcp', 'load']) {
  const plain = results.plain.map((r) => r[key]);
  const routed = results.routed.map((r) => r[key]);
  const diffs = routed.map((v, i) => v - plain[i]);
  console.log(`${key.padEnd(6)}  ${median(plain).toFixed(1).padStart(12)}  ${median(routed).toFixed(1).padStart(13)}  ${median(diffs).toFixed(1).padStart(18)}`);
}
