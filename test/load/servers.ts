import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * Real HTTP servers on 127.0.0.1 with known behaviour, for the load engine's tests.
 * Each counts its open sockets (server side) so tests can check connection handling.
 */
export interface TestServer {
  url: string;
  port: number;
  server: Server;
  /** Sockets open right now. */
  openSockets(): number;
  /** Most sockets open at once since the last reset. */
  peakSockets(): number;
  resetPeak(): void;
  requests: number;
  close(): Promise<void>;
}

export async function startServer(handler: (req: IncomingMessage, res: ServerResponse, server: TestServer) => void): Promise<TestServer> {
  const sockets = new Set<Socket>();
  let peak = 0;
  // eslint-disable-next-line prefer-const
  let api: TestServer;
  const server = createServer((req, res) => {
    api.requests++;
    handler(req, res, api);
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    peak = Math.max(peak, sockets.size);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  api = {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    openSockets: () => sockets.size,
    peakSockets: () => peak,
    resetPeak: () => (peak = sockets.size),
    requests: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return api;
}

/**
 * Stalls `stallMs` every `periodMs` (like a GC pause or a lock): every request that arrives
 * during a stall is answered when it ends; otherwise answers at once.
 */
export function periodicStall(periodMs: number, stallMs: number) {
  const started = Date.now();
  return (_req: IncomingMessage, res: ServerResponse) => {
    const phase = (Date.now() - started) % periodMs;
    const wait = phase >= periodMs - stallMs ? periodMs - phase : 0;
    if (wait > 0) setTimeout(() => res.end('ok'), wait);
    else res.end('ok');
  };
}

/** Every n-th request fails with `status`. */
export function errorEvery(n: number, status = 500) {
  let count = 0;
  return (_req: IncomingMessage, res: ServerResponse) => {
    count++;
    if (count % n === 0) {
      res.statusCode = status;
      res.end('boom');
    } else res.end('ok');
  };
}

/** A server in a child process (so its timers do not share our event loop). */
export async function startChildServer(script: string, env: Record<string, string> = {}): Promise<{ url: string; close(): Promise<void> }> {
  const { spawnTree } = await import('../../src/common/spawn.js');
  let resolvePort!: (port: number) => void;
  const portPromise = new Promise<number>((resolve) => (resolvePort = resolve));
  let buffer = '';
  const tree = spawnTree(process.execPath, [new URL(`./fixtures/${script}`, import.meta.url).pathname], {
    env,
    onStdout: (chunk) => {
      buffer += chunk;
      const m = /^(\d+)\n/.exec(buffer);
      if (m) resolvePort(Number(m[1]));
    },
  });
  const port = await Promise.race([portPromise, tree.exited.then(() => Promise.reject(new Error(`${script} exited early`)))]);
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await tree.stop();
    },
  };
}
