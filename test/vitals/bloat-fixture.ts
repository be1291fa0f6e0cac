import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Pages with planted front-end problems, served on 127.0.0.1, for Lighthouse and coverage:
 * - /bloat: a render-blocking stylesheet (3,000 rules, one used) and a render-blocking
 *   script (a 160 kB function that never runs, plus one used line), each answered after
 *   BLOAT_DELAY_MS so blocking costs real time; and an image on a host outside the
 *   allow-list (.invalid never resolves, RFC 2606), which the guard must stop.
 * - /clean: text and a small inline style, nothing to fetch.
 */
export const BLOAT_DELAY_MS = 300;
export const UNUSED_FUNCTION = `function neverCalled(){${'var a=1;'.repeat(20_000)}}`;
export const USED_SCRIPT = `document.documentElement.dataset.ran='yes';`;
export const BLOAT_JS = `${UNUSED_FUNCTION}\n${USED_SCRIPT}\n`;
export const BLOAT_CSS = `.used{color:#234}\n${Array.from({ length: 3000 }, (_, i) => `.unused-${i}{margin:${i}px;padding:1px}`).join('\n')}\n`;

const html = (head: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>fixture</title>${head}</head><body>${body}</body></html>`;

const PAGES: Record<string, string> = {
  '/bloat': html(
    '<link rel="stylesheet" href="/bloat.css"><script src="/bloat.js"></script>',
    '<h1 class="used">A page with too much CSS and JS</h1><p>Most of what it loads is never used.</p><img src="http://tracker.example.invalid/pixel.png" alt="" width="1" height="1">',
  ),
  '/clean': html('<style>body{font:16px sans-serif;margin:2em}</style>', '<h1>Clean page</h1><p>Nothing to block the first paint.</p>'),
};

export interface BloatServer {
  origin: string;
  close(): Promise<void>;
}

export async function startBloatServer(): Promise<BloatServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const asset = path === '/bloat.js' ? ['text/javascript', BLOAT_JS] : path === '/bloat.css' ? ['text/css', BLOAT_CSS] : undefined;
    if (asset) {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': asset[0]!, 'cache-control': 'no-store' });
        res.end(asset[1]);
      }, BLOAT_DELAY_MS);
      return;
    }
    const page = PAGES[path];
    if (!page) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
