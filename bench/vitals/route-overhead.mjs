// What the host allow-list costs the measurement. Three ways to load the same loopback page
// (a document + 20 parser-blocking scripts) in fresh contexts, rotated so machine drift hits
// all alike: no guard at all ("plain"), Playwright's route() judging every request in Node
// ("route", what we first used), and Chromium's own pattern blocking via
// Network.setBlockedURLs ("rules", what measure_web_vitals uses now). Compares TTFB, FCP, load.
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

async function load(mode) {
  const context = await session.browser.newContext();
  const page = await context.newPage();
  if (mode === 'route') await context.route('**/*', (route) => (guard.allowsUrl(route.request().url()) ? route.continue() : route.abort('blockedbyclient')));
  if (mode === 'rules') {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.setBlockedURLs', guard.blockRules());
  }
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
await load('plain'); // warm up the browser process itself
const modes = ['plain', 'route', 'rules'];
const results = { plain: [], route: [], rules: [] };
for (let i = 0; i < pairs; i++) {
  for (let k = 0; k < modes.length; k++) {
    const mode = modes[(i + k) % modes.length];
    results[mode].push(await load(mode));
  }
}
await session.close();
await guard.close();
server.close();

console.log(`allow-list overhead, ${pairs} rotations, document + 20 scripts on loopback (Chromium ${session.version})`);
console.log('metric  plain median  route − plain  rules − plain   (paired medians, ms)');
for (const key of ['ttfb', 'fcp', 'load']) {
  const plain = results.plain.map((r) => r[key]);
  const diff = (mode) => median(results[mode].map((r, i) => r[key] - plain[i])).toFixed(1);
  console.log(`${key.padEnd(6)}  ${median(plain).toFixed(1).padStart(12)}  ${diff('route').padStart(13)}  ${diff('rules').padStart(13)}`);
}
