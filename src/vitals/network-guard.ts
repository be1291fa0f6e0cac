import { createServer, type Server } from 'node:net';
import { hostOf, isLoopbackAddress } from '../common/hosts.js';

/**
 * Keeps the measured page on loopback (plus load.allowHosts), in two layers:
 *
 * 1. Route interception (`allowsUrl`, used by the context's route handler): every request
 *    the page makes is checked by URL and aborted when its host is not allowed; blocked
 *    URLs are reported. Hosts are judged by name or literal address only — a subresource's
 *    name is never resolved, because the DNS query would itself leave the machine.
 * 2. A network-level backstop for what routing does not see (WebSockets, preconnects,
 *    anything a future Chromium adds): every non-bypassed connection is sent to a "proxy"
 *    that is our own loopback socket and hangs up at once, and host resolution of other
 *    names is mapped to NOTFOUND. Connections that reach it are counted.
 */
export interface NetworkGuard {
  allowsUrl(url: string): boolean;
  chromiumArgs(): string[];
  /** Hosts of connections that reached the backstop (something bypassed route interception). */
  backstopHits(): string[];
  close(): Promise<void>;
}

function matchesEntry(host: string, entry: string): boolean {
  const pattern = entry.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (!pattern) return false;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
  return host === pattern;
}

/** Whether a subresource URL may be fetched; `pageHost` has already passed assertHostAllowed. */
export function isSubresourceAllowed(url: string, pageHost: string | undefined, allowHosts: readonly string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  switch (parsed.protocol) {
    case 'data:':
    case 'blob:':
    case 'about:':
    case 'file:':
      return true;
    case 'http:':
    case 'https:':
    case 'ws:':
    case 'wss:':
      break;
    default:
      return false;
  }
  const host = hostOf(url);
  // Chromium resolves localhost and *.localhost to loopback itself (RFC 6761), never via DNS.
  if (host === 'localhost' || host.endsWith('.localhost') || isLoopbackAddress(host)) return true;
  if (pageHost && host === pageHost) return true;
  return allowHosts.some((entry) => matchesEntry(host, entry));
}

export async function createNetworkGuard(pageUrl: string, allowHosts: readonly string[]): Promise<NetworkGuard> {
  const pageHost = /^https?:/i.test(pageUrl) ? hostOf(pageUrl) : undefined;
  const hits: string[] = [];
  const sink: Server = createServer((socket) => {
    // Read the proxy request line ("CONNECT host:443 …" or "GET http://host/… …") to say who it was for.
    socket.once('data', (chunk) => {
      const line = chunk.toString('latin1').split('\r\n', 1)[0] ?? '';
      const target = line.split(' ')[1] ?? '?';
      hits.push(target.replace(/^[a-z]+:\/\//i, '').split('/')[0]!);
      socket.destroy();
    });
    socket.on('error', () => undefined);
    socket.setTimeout(2000, () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    sink.once('error', reject);
    sink.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (sink.address() as { port: number }).port;
  const exempt = [...new Set(['localhost', '*.localhost', ...(pageHost ? [pageHost] : []), ...allowHosts.map((h) => h.trim()).filter(Boolean)])];
  const bracket = (h: string) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h);
  return {
    allowsUrl: (url) => isSubresourceAllowed(url, pageHost, allowHosts),
    chromiumArgs: () => [
      `--proxy-server=http://127.0.0.1:${port}`,
      `--proxy-bypass-list=${['127.0.0.1/8', '[::1]', ...exempt.map(bracket)].join(';')}`,
      `--host-resolver-rules=MAP * ~NOTFOUND, ${exempt.map((h) => `EXCLUDE ${bracket(h)}`).join(', ')}`,
    ],
    backstopHits: () => [...hits],
    close: () => new Promise<void>((resolve) => sink.close(() => resolve())),
  };
}
