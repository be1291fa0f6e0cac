import { createServer, type Server } from 'node:net';
import { hostOf, isLoopbackAddress } from '../common/hosts.js';

/**
 * Keeps the measured page on loopback (plus load.allowHosts), in two layers:
 *
 * 1. Request interception inside Chromium (`blockRules` → Network.setBlockedURLs): every
 *    request the page makes is matched against the allow-list and blocked when its host is
 *    not on it; blocked URLs are reported. Hosts are judged by name or literal address only
 *    — a subresource's name is never resolved, because the DNS query would itself leave the
 *    machine. Navigation requests paused for throttling are judged by `allowsUrl`.
 * 2. A network-level backstop for what routing does not see (WebSockets, preconnects,
 *    anything a future Chromium adds): every non-bypassed connection is sent to a "proxy"
 *    that is our own loopback socket and hangs up at once, and host resolution of other
 *    names is mapped to NOTFOUND. Connections that reach it are counted.
 */
export interface BlockRules {
  urlPatterns: Array<{ urlPattern: string; block: boolean }>;
  urls: string[];
}

export interface NetworkGuard {
  allowsUrl(url: string): boolean;
  /** `Network.setBlockedURLs` parameters: the allow-list as URLPatterns, everything else blocked. */
  blockRules(): BlockRules;
  chromiumArgs(): string[];
  /** Hosts of connections that reached the backstop (something bypassed route interception). */
  backstopHits(): string[];
  close(): Promise<void>;
}

function matchesEntry(host: string, entry: string): boolean {
  const pattern = entry
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
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

/** A host as a URLPattern hostname: IPv6 colons escaped, `*.suffix` kept as a wildcard. */
function hostnamePattern(host: string): string {
  const bare = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (bare.includes(':')) return `[${bare.replace(/:/g, '\\:')}]`;
  return bare.replace(/[()+?{}\\]/g, (c) => `\\${c}`);
}

/**
 * Rules for Chromium's own request blocking (CDP Network.setBlockedURLs): allowed hosts as
 * `block: false` patterns, which take precedence over the catch-all `*`. Chromium applies
 * them itself, so a request costs no round trip to Node (Playwright's route() pauses every
 * request and added 17–87 ms to TTFB and 170–270 ms to load on a 20-script page: see
 * bench/vitals/route-overhead.mjs). They do not cover navigations (iframes), which the
 * proxy backstop stops.
 */
export function blockRules(pageHost: string | undefined, allowHosts: readonly string[]): BlockRules {
  // Chromium's URLPattern here takes no regexp groups, so loopback is spelled out: 127.0.0.1
  // plus the page's own host (another 127.x literal is blocked, the conservative side).
  const hosts = ['127.0.0.1', 'localhost', '*.localhost', '[::1]', ...(pageHost ? [pageHost] : []), ...allowHosts.filter((h) => h.trim())];
  return {
    urlPatterns: [
      ...[...new Set(hosts.map(hostnamePattern))].map((h) => ({ urlPattern: `*://${h}:*/*`, block: false })),
      { urlPattern: 'file:///*', block: false },
      { urlPattern: 'data:*', block: false },
      { urlPattern: 'blob:*', block: false },
    ],
    urls: ['*'],
  };
}

export async function createNetworkGuard(pageUrl: string, allowHosts: readonly string[]): Promise<NetworkGuard> {
  const pageHost = /^https?:/i.test(pageUrl) ? hostOf(pageUrl) : undefined;
  const hits: string[] = [];
  const sink: Server = createServer((socket) => {
    // Read the proxy request line ("CONNECT host:443 …" or "GET http://host/… …") to say who it was for.
    socket.once('data', (chunk) => {
      const line = chunk.toString('latin1').split('\r\n', 1)[0] ?? '';
      const target = line.split(' ')[1] ?? '?';
      hits.push(target.replace(/^[a-z]+:\/\//i, '').split('/', 1)[0] ?? target);
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
    blockRules: () => blockRules(pageHost, allowHosts),
    chromiumArgs: () => [
      `--proxy-server=http://127.0.0.1:${port}`,
      `--proxy-bypass-list=${['127.0.0.1/8', '[::1]', ...exempt.map(bracket)].join(';')}`,
      `--host-resolver-rules=MAP * ~NOTFOUND, ${exempt.map((h) => `EXCLUDE ${bracket(h)}`).join(', ')}`,
    ],
    backstopHits: () => [...hits],
    close: () => new Promise<void>((resolve) => sink.close(() => resolve())),
  };
}
