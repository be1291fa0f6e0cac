import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Pages with known behaviour, served on 127.0.0.1. Each page's numbers follow from its
 * construction (see the comment on each), so the tests can check the measurement itself.
 */
const page = (body: string, head = '') =>
  `<!doctype html><html><head><meta charset="utf-8"><title>fixture</title><style>body{margin:0;font:16px sans-serif}</style>${head}</head><body>${body}</body></html>`;

/** A busy loop that blocks the main thread for `ms`. */
const busy = (ms: number) => `(function(){const end=performance.now()+${ms};while(performance.now()<end){}})()`;

export const HERO_DELAY_MS = 1200;

/**
 * A detailed image: Chrome ignores "low-entropy" images (under 0.05 bits per displayed pixel,
 * e.g. a flat colour) as LCP candidates since version 112, so the hero carries 400 tiles.
 */
const HERO_SVG = (() => {
  const tiles: string[] = [];
  for (let i = 0; i < 400; i++) {
    const x = (i % 40) * 20;
    const y = Math.floor(i / 40) * 40;
    tiles.push(`<rect x="${x}" y="${y}" width="20" height="40" fill="#${((i * 2654435761) >>> 8).toString(16).padStart(6, '0').slice(0, 6)}"/>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="400">${tiles.join('')}</svg>`;
})();
export const LONG_TASK_MS = 300;

/**
 * /combo puts three known behaviours on one page (each browser start costs seconds here):
 * - LCP: the hero image (the largest element) arrives HERO_DELAY_MS after it is requested.
 * - CLS: #content (full width × 400 px) starts at y = 0; 500 ms after load a 300 px banner is
 *   inserted above it. Everything else is absolutely positioned and does not move. Impact
 *   region = 700 px of the 940 px viewport height, move distance = 300 px of the 1350 px
 *   largest viewport dimension: score = (700/940) × (300/1350) = 0.1655.
 * - INP: the button's click handler blocks the main thread for LONG_TASK_MS.
 */
export const EXPECTED_SHIFT_CLS = (700 / 940) * (300 / 1350);

const COMBO = page(
  `<div id="content" style="height:400px;background:#cde">Content that will be pushed down</div>
<img id="hero" src="/hero.svg" width="800" height="400" alt="hero" style="position:absolute;top:400px;left:0">
<button id="buy" style="position:absolute;top:840px;left:20px;font-size:20px">Buy</button>
<p id="out" style="position:absolute;top:840px;left:200px;margin:0">idle</p>
<script>
addEventListener('load',()=>setTimeout(()=>{const b=document.createElement('div');b.id='banner';b.style.height='300px';b.style.background='#fc9';b.textContent='Late banner';document.body.insertBefore(b,document.getElementById('content'));},500));
document.getElementById('buy').addEventListener('click',()=>{${busy(LONG_TASK_MS)};document.getElementById('out').textContent='bought';});
</script>`,
);

const ROUTES: Record<string, () => string> = {
  '/clean': () => page('<h1 id="title">Clean page</h1><p>Fast, stable, nothing blocking.</p><input id="q" aria-label="search">'),
  '/combo': () => COMBO,
  // A 300 ms long task 200 ms after load (after FCP): TBT = 300 − 50 = 250 ms. It also asks
  // for subresources outside the allow-list (.invalid never resolves, RFC 2606), which the
  // browser must block: an image, a script and a WebSocket (routing cannot see WebSockets).
  '/busy': () =>
    page(
      `<h1>Busy after load</h1><img src="http://example.invalid/tracker.png" alt=""><script src="https://cdn.example.invalid/lib.js"></script>
<script>try{new WebSocket('ws://socket.example.invalid/')}catch(e){}
addEventListener('load',()=>setTimeout(()=>${busy(LONG_TASK_MS)},200));</script>`,
    ),
};

export interface FixtureServer {
  origin: string;
  requests: string[];
  close(): Promise<void>;
}

export async function startFixtureServer(): Promise<FixtureServer> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    requests.push(path);
    if (path === '/hero.svg') {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'image/svg+xml', 'cache-control': 'no-store' });
        res.end(HERO_SVG);
      }, HERO_DELAY_MS);
      return;
    }
    if (path === '/missing') {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end(page('<h1>Not found</h1>'));
      return;
    }
    const route = ROUTES[path];
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(route());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
