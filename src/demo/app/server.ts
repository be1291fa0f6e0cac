import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { applySchemaFixes, openDemoDatabase, SEED_COUNTS } from './database.js';
import { ALL_FIXES, type DemoFix } from './endpoints.js';
import { handleCatalog, handleOrderSearch, handleRecentOrders, handleSalesReport, type AppState, type HandlerContext, type HandlerResult } from './handlers.js';
import { LoggedDatabase, QueryLog } from './query-log.js';

export interface DemoAppOptions {
  /** 0 = an ephemeral port. */
  port: number;
  /** Loopback only: the demo is never meant to be reachable from elsewhere. */
  host?: string;
  dbPath: string;
  queryLogPath?: string;
  queryLogMaxLines?: number;
  fixes: readonly DemoFix[];
}

export interface DemoApp {
  url: string;
  port: number;
  seeded: boolean;
  seedMs: number;
  close(): Promise<void>;
}

const ROUTES: Record<string, (ctx: HandlerContext) => HandlerResult> = {
  '/orders/recent': handleRecentOrders,
  '/orders/search': handleOrderSearch,
  '/reports/sales': handleSalesReport,
  '/catalog': handleCatalog,
};

export async function startDemoApp(options: DemoAppOptions): Promise<DemoApp> {
  const host = options.host ?? '127.0.0.1';
  if (!/^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(host)) throw new Error(`the demo app listens on loopback only, not ${host}`);
  const unknown = options.fixes.filter((fix) => !ALL_FIXES.includes(fix));
  if (unknown.length) throw new Error(`unknown fix ${unknown.join(', ')} (known: ${ALL_FIXES.join(', ')})`);
  const fixes = new Set(options.fixes);
  const opened = openDemoDatabase(options.dbPath);
  applySchemaFixes(opened.db, { index: fixes.has('index') });
  const log = new QueryLog(options.queryLogPath, options.queryLogMaxLines);
  const db = new LoggedDatabase(opened.db, log);
  const state: AppState = {};
  let nextRequestId = 1;

  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://demo.invalid');
    const requestId = nextRequestId++;
    let result: HandlerResult;
    if (url.pathname === '/health') {
      result = { status: 200, body: JSON.stringify({ ok: true, fixes: [...fixes], rows: SEED_COUNTS }) };
    } else {
      const route = ROUTES[url.pathname];
      if (!route) result = { status: 404, body: JSON.stringify({ error: `no route ${url.pathname}`, routes: Object.keys(ROUTES) }) };
      else if (request.method !== 'GET' && request.method !== 'HEAD') result = { status: 405, body: JSON.stringify({ error: 'GET only' }) };
      else {
        try {
          result = route({ db, scope: { requestId, route: url.pathname }, query: url.searchParams, requestHeaders: request.headers, fixes, state });
        } catch (error) {
          result = { status: 500, body: JSON.stringify({ error: (error as Error).message }) };
        }
      }
    }
    const headers: Record<string, string | number> = { ...result.headers };
    if (result.status !== 304) {
      headers['content-type'] = 'application/json; charset=utf-8';
      headers['content-length'] = Buffer.byteLength(result.body);
    }
    response.writeHead(result.status, headers);
    response.end(request.method === 'HEAD' || result.status === 304 ? undefined : result.body);
  });
  // Load generators keep connections open; keep them longer than a pause between stages.
  server.keepAliveTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    seeded: opened.seeded,
    seedMs: opened.seedMs,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await log.close();
        opened.db.close();
      })();
      return closing;
    },
  };
}
