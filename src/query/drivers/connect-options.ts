import { isIP } from 'node:net';
import { UserError } from '../../common/errors.js';
import { readInputFile } from '../../common/input-files.js';

/**
 * Turns a database URL into driver options we control. Why not hand the URL to the driver:
 * both drivers let URL parameters change session behaviour — pg's `options=-c …` can switch
 * `standard_conforming_strings` off (then the server lexes a string literal differently from
 * our parser), mysql2 lets `?multipleStatements=true` override the option we pass, and
 * `charset=gbk`/`sjis` re-opens backslash-escape confusion. So URL parameters are an
 * allow-list (host, port, database, user, password, TLS); anything else is refused naming the
 * key. The host is replaced by the address the allow-list check resolved (no second DNS
 * resolution between the check and the connection).
 */
export const PG_URL_PARAMETERS: ReadonlySet<string> = new Set(['sslmode', 'ssl', 'sslcert', 'sslkey', 'sslrootcert', 'sslpassword', 'connect_timeout']);
export const MYSQL_URL_PARAMETERS: ReadonlySet<string> = new Set(['ssl', 'sslmode', 'connectTimeout']);

function refuseParameter(key: string, value: string, allowed: ReadonlySet<string>): never {
  const shown = value.length > 40 ? `${value.slice(0, 37)}…` : value;
  throw new UserError(
    `refusing the database URL parameter "${key}" (${key}=${shown}): URL parameters may change how the server reads statements or which session settings apply`,
    `only host, port, database, user, password and TLS settings (${[...allowed].join(', ')}) are accepted; remove "${key}" from the URL`,
  );
}

/** Throws a UserError naming the first URL parameter that is not on the allow-list. */
export function checkUrlParameters(url: URL, dialect: 'postgres' | 'mysql'): void {
  const allowed = dialect === 'postgres' ? PG_URL_PARAMETERS : MYSQL_URL_PARAMETERS;
  for (const [key, value] of url.searchParams) {
    if (!allowed.has(key)) refuseParameter(key, value, allowed);
  }
}

export interface PinnedTarget {
  url: string;
  /** The address checked against the allow-list; connect here, never to a re-resolved name. */
  address?: string;
}

function withAddress(url: URL, address: string | undefined): URL {
  const copy = new URL(url.href);
  if (address && copy.hostname) copy.hostname = isIP(address) === 6 ? `[${address}]` : address;
  return copy;
}

/** Where TLS files named in a PostgreSQL URL may be read from: the input-file gate's folders. */
export interface TlsFileAccess {
  projectDir: string;
  /** query.allowedInputPaths */
  allowedPaths?: readonly string[];
  signal?: AbortSignal;
}

/** URL parameter → pg `ssl` field, and what the file is (for messages). */
const PG_TLS_FILES: ReadonlyArray<[param: string, field: 'ca' | 'cert' | 'key', what: string]> = [
  ['sslrootcert', 'ca', 'TLS root certificate'],
  ['sslcert', 'cert', 'TLS client certificate'],
  ['sslkey', 'key', 'TLS client key'],
];
/** Certificates and keys are a few KB; a chain of dozens stays far below this. */
const TLS_FILE_MAX_BYTES = 1024 * 1024;

/**
 * pg ClientConfig built from an allow-listed URL, host pinned to the checked address.
 * The TLS files (sslrootcert, sslcert, sslkey) are read here, asynchronously, through the
 * input-file gate — regular files inside the project or query.allowedInputPaths, size-capped —
 * and removed from the URL before pg-connection-string sees it. Why: it reads them with a
 * blocking readFileSync, and a FIFO or /dev/stdin there stopped the whole server (no timer, no
 * cancellation ran). Without `files` (no project to confine them to) the parameters are refused.
 */
export async function postgresClientConfig(target: PinnedTarget, files?: TlsFileAccess): Promise<import('pg').ClientConfig> {
  const url = new URL(target.url);
  checkUrlParameters(url, 'postgres');
  const pinned = withAddress(url, target.address);
  const tls: Partial<Record<'ca' | 'cert' | 'key', string>> = {};
  for (const [param, field, what] of PG_TLS_FILES) {
    const path = url.searchParams.get(param);
    if (path === null) continue;
    pinned.searchParams.delete(param);
    if (!files)
      throw new UserError(
        `refusing the database URL parameter "${param}": TLS files are read only through the project's input-file rules`,
        `remove "${param}" from the URL`,
      );
    tls[field] = await readInputFile(path, { ...files, maxBytes: TLS_FILE_MAX_BYTES, what: `${what} (${param})` });
  }
  const { parse } = await import('pg-connection-string');
  const parsed = parse(pinned.href) as unknown as Record<string, unknown>;
  const config: Record<string, unknown> = {};
  for (const key of ['host', 'port', 'database', 'user', 'password', 'ssl']) if (parsed[key] !== undefined && parsed[key] !== null) config[key] = parsed[key];
  if (typeof config.port === 'string') config.port = Number(config.port);
  // As pg-connection-string does: a TLS file turns TLS on unless sslmode=disable turned it off.
  if (Object.keys(tls).length && config.ssl !== false) config.ssl = { ...(typeof config.ssl === 'object' && config.ssl ? config.ssl : {}), ...tls };
  // TLS still verifies the name the user wrote, not the pinned address.
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  if (config.ssl && typeof config.ssl === 'object' && hostname && !isIP(hostname)) (config.ssl as Record<string, unknown>).servername = hostname;
  if (parsed.connect_timeout !== undefined) config.connectionTimeoutMillis = Number(parsed.connect_timeout) * 1000;
  return config as import('pg').ClientConfig;
}

/** mysql2 options built from an allow-listed URL; multipleStatements is always off. */
export function mysqlConnectionOptions(target: PinnedTarget): import('mysql2/promise').ConnectionOptions {
  const url = new URL(target.url);
  checkUrlParameters(url, 'mysql');
  const pinned = withAddress(url, target.address);
  const options: import('mysql2/promise').ConnectionOptions = {
    host: pinned.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port: pinned.port ? Number(pinned.port) : 3306,
    user: decodeURIComponent(url.username || 'root'),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.pathname.length > 1 ? { database: decodeURIComponent(url.pathname.slice(1)) } : {}),
    // Forced, whatever the URL said: one statement per request, utf8mb4 (no multibyte
    // encodings whose second byte can be a backslash).
    multipleStatements: false,
    charset: 'UTF8MB4_GENERAL_CI',
  };
  const ssl = url.searchParams.get('ssl') ?? (/^(require|verify)/i.test(url.searchParams.get('sslmode') ?? '') ? '{}' : null);
  if (ssl && ssl !== 'false' && ssl !== '0') {
    let value: unknown = {};
    try {
      value = JSON.parse(ssl);
    } catch {
      value = {};
    }
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    options.ssl = {
      ...(typeof value === 'object' && value ? value : {}),
      ...(hostname && !isIP(hostname) ? { servername: hostname } : {}),
    } as import('mysql2/promise').SslOptions;
  }
  const timeout = url.searchParams.get('connectTimeout');
  if (timeout) options.connectTimeout = Number(timeout);
  return options;
}
