import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { UserError } from './errors.js';

/** Resolves a host name to every address it has (IPv4 and IPv6). */
export type HostLookup = (host: string) => Promise<string[]>;

export interface HostVerdict {
  allowed: boolean;
  host: string;
  /** Addresses the host resolved to; a caller should connect to these, not re-resolve. */
  addresses: string[];
  reason: string;
}

export const defaultHostLookup: HostLookup = async (host) => {
  const results = await dnsLookup(host, { all: true, verbatim: true });
  return results.map((r) => r.address);
};

/** 127.0.0.0/8, ::1 and IPv4-mapped loopback (::ffff:127.x.y.z). */
export function isLoopbackAddress(address: string): boolean {
  const ip = stripBrackets(address).toLowerCase();
  const kind = isIP(ip);
  if (kind === 4) return ip.startsWith('127.');
  if (kind === 6) {
    if (ip === '::1' || ip === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip) ?? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
    return mapped?.[1]?.startsWith('127.') ?? false;
  }
  return false;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** The port a URL connects to: its own, or its scheme's default. */
export function portOfUrl(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/** Host part of a URL or a bare host (with or without port). */
export function hostOf(target: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new UserError(`invalid URL "${target}"`, 'give a full URL such as http://127.0.0.1:3000/path');
    }
    return stripBrackets(url.hostname).toLowerCase();
  }
  const bare = target.trim().toLowerCase();
  if (bare.startsWith('[')) return stripBrackets(bare.slice(0, bare.indexOf(']') + 1));
  if (isIP(bare) === 6) return bare;
  return bare.split(':')[0] ?? bare;
}

function matchesAllowEntry(host: string, addresses: string[], entry: string): boolean {
  const pattern = stripBrackets(entry.trim().toLowerCase());
  if (!pattern) return false;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
  return host === pattern || addresses.includes(pattern);
}

/**
 * Decides whether load may be sent to a host. Loopback is always allowed; anything else
 * only when listed in `.perf/config.json` → `load.allowHosts`. The decision is made on the
 * resolved addresses, so a name that resolves to loopback is fine and `localhost.evil.com`
 * resolving elsewhere is not. Every resolved address must be loopback (a name with one
 * loopback and one public address is refused: the connection could go either way).
 */
export async function checkHostAllowed(target: string, options: { allowHosts?: readonly string[]; lookup?: HostLookup } = {}): Promise<HostVerdict> {
  const host = hostOf(target);
  const allowHosts = options.allowHosts ?? [];
  let addresses: string[];
  if (isIP(host)) {
    addresses = [host];
  } else {
    try {
      addresses = await (options.lookup ?? defaultHostLookup)(host);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'lookup failed';
      return { allowed: false, host, addresses: [], reason: `cannot resolve "${host}" (${code})` };
    }
  }
  // Every resolved address must be covered — loopback, or an allow-list entry naming this host
  // (a name or *.suffix entry covers the name's addresses) or that exact address — since the
  // connection may go to any of them. An IP entry matching one address no longer lets the
  // others through. Callers pin addresses[0], which is therefore always an allowed one.
  const byName = allowHosts.some((entry) => matchesAllowEntry(host, [], entry));
  const covered = (address: string) =>
    isLoopbackAddress(address) || byName || allowHosts.some((entry) => stripBrackets(entry.trim().toLowerCase()) === address.toLowerCase());
  if (addresses.length > 0 && addresses.every(covered) && !addresses.every(isLoopbackAddress)) {
    return { allowed: true, host, addresses, reason: `"${host}" is listed in load.allowHosts` };
  }
  if (addresses.length > 0 && !addresses.every(covered) && allowHosts.some((entry) => matchesAllowEntry(host, addresses, entry))) {
    const stray = addresses.filter((a) => !covered(a));
    return {
      allowed: false,
      host,
      addresses,
      reason: `"${host}" resolves to ${stray.join(', ')}, which load.allowHosts does not cover (every resolved address must be allowed)`,
    };
  }
  if (addresses.length > 0 && addresses.every(isLoopbackAddress)) {
    return { allowed: true, host, addresses, reason: `"${host}" resolves to loopback (${addresses.join(', ')})` };
  }
  const where = addresses.length ? ` (resolves to ${addresses.join(', ')})` : '';
  return {
    allowed: false,
    host,
    addresses,
    reason: `"${host}"${where} is not loopback and not listed in load.allowHosts`,
  };
}

/** Throws a UserError naming the config key when the host is not allowed. */
export async function assertHostAllowed(target: string, options: { allowHosts?: readonly string[]; lookup?: HostLookup } = {}): Promise<HostVerdict> {
  const verdict = await checkHostAllowed(target, options);
  if (!verdict.allowed) {
    throw new UserError(
      `refusing to send traffic to ${verdict.reason}`,
      `only loopback targets are allowed by default; add the host to "load.allowHosts" in .perf/config.json if you own it`,
    );
  }
  return verdict;
}
