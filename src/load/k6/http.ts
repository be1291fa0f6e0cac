import { performance } from 'node:perf_hooks';
import { subscribe } from 'node:diagnostics_channel';
import { isIP, type Socket } from 'node:net';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { Cookie, CookieJar as ToughJar } from 'tough-cookie';
import { defined, UserError } from '../../common/errors.js';
import { parseHTML, type Selection } from './html.js';
import { checkHostAllowed, type HostLookup, portOfUrl } from '../../common/hosts.js';
import { parseDurationMs } from '../../common/units.js';
import { classifyError, type ErrorKind, type Outcome, type RequestContext, type RuntimeRequest } from '../connection.js';
import { FastConnection } from '../fast-connection.js';

/** Largest response body kept for a script (k6 keeps all; past this the script sees it cut). */
const MAX_BODY = 64 * 1024 * 1024;
import type { K6Collector, RequestSample } from './collector.js';
import type { Tags } from './metrics.js';

/**
 * k6/http (https://grafana.com/docs/k6/latest/javascript-api/k6-http/) on undici. Each VU
 * has its own undici Agent (its own keep-alive connections, as each k6 VU has) and its own
 * cookie jar. Every request — every redirect hop too — passes the allow-list after `hosts`
 * mapping, and connects to the address that check resolved (never re-resolved).
 */

export interface HttpSettings {
  hosts: Record<string, string>;
  allowHosts: readonly string[];
  lookup?: HostLookup;
  userAgent: string;
  insecureSkipTLSVerify: boolean;
  noConnectionReuse: boolean;
  maxRedirects: number;
  discardResponseBodies: boolean;
  batch: number;
  /** Most requests of one batch in flight to one host (k6's batchPerHost); 0: no limit. */
  batchPerHost: number;
  timeoutMs: number;
  /** Caps from .perf/config.json, enforced by the executors. */
}

export interface HttpVu {
  readonly id: number;
  signal: AbortSignal;
  groupPath: string;
  inInit: boolean;
  /** Scenario, options and VU tags merged (request tags come on top). */
  tags(): Tags;
}

/** A refusal that stops the whole run (not an HTTP error the script could handle). */
export class FatalScriptError extends Error {
  constructor(readonly userError: UserError) {
    super(userError.message);
  }
}

export class InterruptedIteration extends Error {
  constructor() {
    super('iteration interrupted');
  }
}

const ERROR_CODES: Record<ErrorKind, number> = {
  connection_refused: 1212,
  dns: 1100,
  tls: 1300,
  timeout: 1050,
  reset: 1220,
  protocol: 1000,
  http_status: 0,
  aborted: 1000,
  other: 1000,
};

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/**
 * One request in flight on the raw-socket path: what the connection sends (its bytes may be
 * shared, see sendRaw's cache), the promise's settle functions, and its timestamps
 * (performance.now(); 0 = not reached). One object per request. The parser asks for
 * `captureHeaders` once this request's response head has arrived (FastConnection's
 * expectation callback) — the end of k6's `waiting`.
 */
class RawExchange {
  readonly maxCapture = MAX_BODY;
  resolve: (w: RawExchange) => void = noop;
  reject: (e: unknown) => void = noop;
  /** The response head arrived. */
  tHead = 0;
  /** Handed to the connection. */
  tSend = 0;
  /** The write returned (bytes are in the kernel, or buffered behind a connect). */
  tWritten = 0;
  /** A new socket was opened for it: -1 while connecting, then when it connected. */
  tConnected = 0;
  /** The response was complete. */
  tDone = 0;
  outcome: Outcome | null = null;
  constructor(
    readonly wire: Buffer,
    readonly isHead: boolean,
    readonly captureBody: boolean,
    readonly conn: FastConnection,
    readonly timeoutMs: number,
  ) {}

  get captureHeaders(): boolean {
    if (this.tHead === 0) this.tHead = performance.now();
    return true;
  }
}

/**
 * The raw-path request being handed to its connection: a socket created meanwhile (a new
 * connection, or a reconnect after keep-alive ended) is its own, and times `connecting`.
 * Single-threaded, set and cleared around one synchronous send().
 */
let connectProbe: { tConnected: number } | null = null;
subscribe('net.client.socket', (message) => {
  const waiter = connectProbe;
  if (!waiter) return;
  waiter.tConnected = -1;
  (message as { socket: Socket }).socket.once('connect', () => {
    waiter.tConnected = performance.now();
  });
});

const noop = () => undefined;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * k6's phases on the raw-socket path, from the request's timestamps: blocked until it was
 * handed to its connection, connecting when that opened a socket, sending while the write
 * ran, waiting until the response head had arrived, receiving until the body had.
 */
function rawTimings(t: K6Response['timings'], t0: number, w: { tSend: number; tWritten: number; tConnected: number; tDone: number; tHead: number }): void {
  t.blocked = w.tSend - t0;
  let sent: number;
  if (w.tConnected > 0) {
    // Written into the connecting socket's buffer, flushed once connected.
    t.connecting = w.tConnected - w.tSend;
    t.sending = 0;
    sent = w.tConnected;
  } else if (w.tConnected < 0) {
    // Never connected (refused, timed out): all of it was connecting.
    t.connecting = w.tDone - w.tSend;
    t.sending = 0;
    sent = w.tDone;
  } else {
    t.connecting = 0;
    t.sending = w.tWritten - w.tSend;
    sent = w.tWritten;
  }
  t.tls_handshaking = 0;
  const head = w.tHead > 0 ? w.tHead : w.tDone;
  t.waiting = Math.max(0, head - sent);
  t.receiving = Math.max(0, w.tDone - head);
  t.duration = t.sending + t.waiting + t.receiving;
}

/** Could the header lines hold Set-Cookie or Location? (False positives only cost a full split.) */
const COOKIE_OR_LOCATION = /cookie|location/i;
const EMPTY_BUFFER = Buffer.alloc(0);
const NO_PARAMS: RequestParams = Object.freeze({});

/** "200 OK" per status and reason, built once. */
const statusTexts = new Map<number, { reason: string; text: string }>();
function statusText(status: number, reason: string): string {
  const hit = statusTexts.get(status);
  if (hit && hit.reason === reason) return hit.text;
  const text = `${status} ${reason || STATUS_TEXT[status] || ''}`.trim();
  if (statusTexts.size < 100) statusTexts.set(status, { reason, text });
  return text;
}

/** Go's canonical header key (k6 shows response headers this way): content-type → Content-Type. */
const canonicalCache = new Map<string, string>();
function canonicalHeader(name: string): string {
  let c = canonicalCache.get(name);
  if (c === undefined) {
    c = name.toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, ch: string) => dash + ch.toUpperCase());
    if (canonicalCache.size < 1000) canonicalCache.set(name, c);
  }
  return c;
}

interface UndiciResponse {
  status: number;
  statusText: string;
  /** Header list: name, value, name, value… */
  headers: string[];
  body: Buffer[];
  bodyBytes: number;
  /** performance.now() when undici put the request on a connected socket (onConnect), when the head arrived, when the body ended. */
  tConnect: number;
  tHeaders: number;
  tDone: number;
  /** The connection this request opened (0s when it reused one). */
  connect: ConnectTiming;
}

/** A connection undici opened for a VU: when it began, when TCP connected, when TLS finished (0 = not reached). */
interface ConnectTiming {
  start: number;
  tcp: number;
  secure: number;
}

const NO_CONNECT: ConnectTiming = Object.freeze({ start: 0, tcp: 0, secure: 0 });

/** k6's phases on the undici (https) path. */
function undiciTimings(t: K6Response['timings'], t0: number, r: UndiciResponse): void {
  const c = r.connect;
  const tConnect = r.tConnect || r.tHeaders || r.tDone;
  if (c.start >= t0 && c.secure > 0) {
    t.blocked = c.start - t0;
    const tcp = c.tcp > 0 ? c.tcp : c.secure;
    t.connecting = tcp - c.start;
    t.tls_handshaking = c.secure - tcp;
  } else t.blocked = Math.max(0, tConnect - t0);
  const tHeaders = r.tHeaders || r.tDone;
  t.sending = 0;
  t.waiting = Math.max(0, tHeaders - Math.max(tConnect, c.secure));
  t.receiving = Math.max(0, r.tDone - tHeaders);
  t.duration = t.sending + t.waiting + t.receiving;
}

/**
 * One request on undici's dispatch API: callbacks, no Readable stream per response (the
 * stream-based `request()` cost ~25 µs more per request in a profile of 50 VUs).
 */
function dispatchRaw(
  agent: Agent,
  options: Dispatcher.DispatchOptions,
  signal: AbortSignal,
  keepBody: boolean,
  lastConnect: () => ConnectTiming,
): Promise<UndiciResponse> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const out: UndiciResponse = {
      status: 0,
      statusText: '',
      headers: [],
      body: [],
      bodyBytes: 0,
      tConnect: 0,
      tHeaders: 0,
      tDone: 0,
      connect: NO_CONNECT,
    };
    let abort: ((err?: Error) => void) | null = null;
    let settled = false;
    const onAbort = () => abort?.(new InterruptedIteration());
    signal.addEventListener('abort', onAbort, { once: true });
    const done = (error?: unknown) => {
      if (settled) return;
      settled = true;
      out.tDone = performance.now();
      const c = lastConnect();
      if (c.start >= t0) out.connect = c;
      signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolvePromise(out);
    };
    agent.dispatch(options, {
      onConnect(a: (err?: Error) => void) {
        out.tConnect = performance.now();
        abort = a;
        if (signal.aborted) a(new InterruptedIteration());
      },
      onHeaders(statusCode: number, headers: Buffer[], _resume: () => void, statusText: string) {
        out.status = statusCode;
        out.statusText = statusText;
        for (const h of headers) out.headers.push(h.toString('latin1'));
        out.tHeaders = performance.now();
        return true;
      },
      onData(chunk: Buffer) {
        out.bodyBytes += chunk.length;
        if (keepBody) out.body.push(chunk);
        return true;
      },
      onComplete() {
        done();
      },
      onError(error: Error) {
        done(error);
      },
    } as unknown as Dispatcher.DispatchHandler);
  });
}

export class ExpectedStatuses {
  constructor(readonly accepts: (status: number) => boolean) {}
}

export function expectedStatuses(...args: Array<number | { min: number; max: number }>): ExpectedStatuses {
  for (const a of args) {
    if (typeof a !== 'number' && (typeof a !== 'object' || a === null || typeof a.min !== 'number' || typeof a.max !== 'number')) {
      throw new Error('expectedStatuses takes status codes and {min, max} ranges');
    }
  }
  return new ExpectedStatuses((status) => args.some((a) => (typeof a === 'number' ? status === a : status >= a.min && status <= a.max)));
}

const DEFAULT_CALLBACK = expectedStatuses({ min: 200, max: 399 });

/** `http.url\`…${id}\`` — the URL, named with its template so all ids share one `name` tag. */
/** host:port a batch entry goes to (before `hosts` mapping, as k6 counts it); '' when it is no URL. */
function batchHostKey(url: unknown): string {
  try {
    return new URL(url instanceof K6Url ? url.url : String(url)).host;
  } catch {
    return '';
  }
}

export class K6Url {
  constructor(
    readonly url: string,
    readonly name: string,
  ) {}
  toString(): string {
    return this.url;
  }
}

export class FileData {
  constructor(
    readonly data: string | ArrayBuffer | Uint8Array,
    readonly filename: string,
    readonly content_type: string,
  ) {}
}

/** gjson-style selector for `res.json('a.b.0.c')`, the subset k6 scripts use: keys, indexes, `#` (length), `#.key`. */
export function selectJson(value: unknown, selector: string): unknown {
  const parts = selector.split('.');
  let current: unknown = value;
  for (const [i, part] of parts.entries()) {
    if (current === null || current === undefined) return undefined;
    if (part === '#') {
      if (!Array.isArray(current)) return undefined;
      if (i === parts.length - 1) return current.length;
      const rest = parts.slice(i + 1).join('.');
      return current.map((item) => selectJson(item, rest));
    }
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

export class K6CookieJar {
  readonly jar = new ToughJar(undefined, { looseMode: true });
  /** Nothing was ever stored: skip the (costly) lookup per request. */
  empty = true;

  cookiesForURL(url: string): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const c of this.jar.getCookiesSync(String(url))) (out[c.key] ??= []).push(c.value);
    return out;
  }

  set(
    url: string,
    name: string,
    value: string,
    options: { domain?: string; path?: string; expires?: string; max_age?: number; secure?: boolean; http_only?: boolean } = {},
  ): void {
    const cookie = new Cookie({
      key: name,
      value,
      ...(options.domain ? { domain: options.domain } : {}),
      ...(options.path ? { path: options.path } : {}),
      ...(options.expires ? { expires: new Date(options.expires) } : {}),
      ...(options.max_age !== undefined ? { maxAge: options.max_age } : {}),
      secure: options.secure === true,
      httpOnly: options.http_only === true,
    });
    this.jar.setCookieSync(cookie, String(url));
    this.empty = false;
  }

  clear(url: string): void {
    for (const c of this.jar.getCookiesSync(String(url))) this.delete(url, c.key);
  }

  delete(url: string, name: string): void {
    const expired = new Cookie({ key: name, value: '', expires: new Date(0) });
    const u = new URL(String(url));
    for (const c of this.jar.getCookiesSync(u.href)) {
      if (c.key === name) this.jar.setCookieSync(new Cookie({ ...expired, domain: c.domain ?? undefined, path: c.path ?? undefined } as never), u.href);
    }
  }
}

interface RequestParams {
  headers?: Record<string, unknown>;
  tags?: Record<string, unknown>;
  timeout?: string | number;
  responseType?: 'text' | 'binary' | 'none';
  redirects?: number;
  cookies?: Record<string, string | { value: string; replace?: boolean }>;
  jar?: K6CookieJar;
  responseCallback?: ExpectedStatuses | null;
  auth?: string;
}

type ResponseCookies = Record<
  string,
  Array<{ name: string; value: string; domain: string; path: string; http_only: boolean; secure: boolean; max_age: number; expires: number }>
>;

/** Header lines as text (`Name: value` per line) → name, value, name, value… */
function splitHead(head: string): string[] {
  const headers: string[] = [];
  let at = 0;
  while (at < head.length) {
    let eol = head.indexOf('\n', at);
    if (eol < 0) eol = head.length;
    const line = head.charCodeAt(eol - 1) === 13 ? head.slice(at, eol - 1) : head.slice(at, eol);
    const colon = line.indexOf(':');
    if (colon > 0) headers.push(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    at = eol + 1;
  }
  return headers;
}

/** name, value… → k6's header object (canonical names; repeated headers joined with ", "). */
function headerObject(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 1; i < list.length; i += 2) {
    const name = list[i - 1];
    const value = list[i];
    if (name === undefined || value === undefined) continue;
    const key = canonicalHeader(name);
    const prev = out[key];
    out[key] = prev === undefined ? value : `${prev}, ${value}`;
  }
  return out;
}

/**
 * A k6 Response. `headers` and a text `body` are built when first read: a script that only
 * checks `r.status` (the common load-test loop) pays for neither — parsing the header lines
 * and decoding the body were ~15 % of a request's CPU in a profile of 50 VUs.
 */
export class K6Response {
  status = 0;
  status_text = '';
  proto = 'HTTP/1.1';
  cookies: ResponseCookies = {};
  timings = { blocked: 0, connecting: 0, tls_handshaking: 0, sending: 0, waiting: 0, receiving: 0, duration: 0 };
  error = '';
  error_code = 0;
  url = '';
  remote_ip = '';
  remote_port = 0;
  tls_version = '';
  private headerMap: Record<string, string> | null = null;
  /** Until `headers` is read: the header lines as text, or as a name/value list. */
  private headerSource: string | string[] | null = null;
  private bodyValue: string | ArrayBuffer | null = null;
  /** Until `body` is read (responseType text): the bytes. */
  private bodyBytes: Buffer | null = null;

  /** What was sent (`url` is this.url); `request` builds k6's view of it only when read. */
  constructor(
    private readonly sentMethod: string,
    private readonly sentHeaders: Record<string, string>,
    private readonly sentBody: string | Buffer | undefined,
  ) {}

  get headers(): Record<string, string> {
    if (this.headerMap === null) {
      const src = this.headerSource;
      this.headerMap = src === null ? {} : headerObject(typeof src === 'string' ? splitHead(src) : src);
      this.headerSource = null;
    }
    return this.headerMap;
  }

  set headers(value: Record<string, string>) {
    this.headerMap = value;
    this.headerSource = null;
  }

  /** @internal the raw headers, parsed on first read of `headers`. */
  setHeaderSource(source: string | string[]): void {
    this.headerSource = source;
    this.headerMap = null;
  }

  get body(): string | ArrayBuffer | null {
    if (this.bodyBytes !== null) {
      this.bodyValue = this.bodyBytes.toString('utf8');
      this.bodyBytes = null;
    }
    return this.bodyValue;
  }

  set body(value: string | ArrayBuffer | null) {
    this.bodyValue = value;
    this.bodyBytes = null;
  }

  /** @internal a text body, decoded on first read of `body`. */
  setTextBody(bytes: Buffer): void {
    this.bodyBytes = bytes;
    this.bodyValue = null;
  }

  /** What JSON.stringify(res) / console.log(res) show: the public fields, getters included. */
  toJSON(): Record<string, unknown> {
    return {
      status: this.status,
      status_text: this.status_text,
      proto: this.proto,
      body: this.body,
      headers: this.headers,
      cookies: this.cookies,
      timings: this.timings,
      error: this.error,
      error_code: this.error_code,
      url: this.url,
      remote_ip: this.remote_ip,
      remote_port: this.remote_port,
      tls_version: this.tls_version,
    };
  }

  get request(): { method: string; url: string; headers: Record<string, string[]>; body: string; cookies: Record<string, unknown> } {
    const body = this.sentBody;
    return {
      method: this.sentMethod,
      url: this.url,
      headers: Object.fromEntries(Object.entries(this.sentHeaders).map(([k, v]) => [canonicalHeader(k), [v]])),
      body: typeof body === 'string' ? body : body ? '[binary]' : '',
      cookies: {},
    };
  }
  private parsed: unknown;

  json(selector?: string): unknown {
    const body = this.body;
    if (body === null || body === undefined) throw new Error('the response has no body (responseType "none"?)');
    if (this.parsed === undefined) this.parsed = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
    return selector === undefined ? this.parsed : selectJson(this.parsed, selector);
  }

  /** The body as k6/html's Selection of the document, or of what `selector` finds in it. */
  html(selector?: string): Selection {
    const body = this.body;
    if (body === null || body === undefined) throw new Error('the response has no body (responseType "none"?)');
    const document = parseHTML(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
    return selector === undefined ? document : document.find(selector);
  }

  submitForm(): never {
    throw new Error('res.submitForm() is not supported here');
  }

  clickLink(): never {
    throw new Error('res.clickLink() is not supported here');
  }
}

const NO_BODY: { data: undefined; contentType?: string } = Object.freeze({ data: undefined });

function encodeBody(body: unknown): { data: string | Buffer | undefined; contentType?: string } {
  if (body === undefined || body === null) return NO_BODY;
  if (typeof body === 'string') return { data: body };
  if (body instanceof ArrayBuffer) return { data: Buffer.from(body) };
  if (ArrayBuffer.isView(body)) return { data: Buffer.from(body.buffer, body.byteOffset, body.byteLength) };
  if (typeof body === 'object') {
    const entries = Object.entries(body as Record<string, unknown>);
    if (entries.some(([, v]) => v instanceof FileData)) {
      const boundary = `----k6boundary${Math.random().toString(16).slice(2)}`;
      const parts: Buffer[] = [];
      for (const [k, v] of entries) {
        if (v instanceof FileData) {
          parts.push(
            Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"; filename="${v.filename}"\r\nContent-Type: ${v.content_type}\r\n\r\n`),
          );
          parts.push(typeof v.data === 'string' ? Buffer.from(v.data) : v.data instanceof ArrayBuffer ? Buffer.from(v.data) : Buffer.from(v.data));
          parts.push(Buffer.from('\r\n'));
        } else parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${String(v)}\r\n`));
      }
      parts.push(Buffer.from(`--${boundary}--\r\n`));
      return { data: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
    }
    return {
      data: new URLSearchParams(entries.map(([k, v]) => [k, String(v)] as [string, string])).toString(),
      contentType: 'application/x-www-form-urlencoded',
    };
  }
  return { data: String(body) };
}

export interface HttpRunState {
  settings: HttpSettings;
  collector: K6Collector;
  /** Host (as written in the URL, after hosts mapping) → the address the allow-list check resolved. */
  resolved: Map<string, Promise<string>>;
  /** Addresses already allowed, for a synchronous look-up on the hot path. */
  allowed?: Map<string, string>;
  /** Timeout sweeps of every VU's raw connections (run by the runner's timer). */
  sweepers: Set<() => void>;
  responseCallback: ExpectedStatuses | null;
}

/** `hosts` entry for a hostname: "ip" or "ip:port" (k6 also accepts "host:port" keys). */
function mapHost(hosts: Record<string, string>, hostname: string, port: number): { host: string; port: number } {
  const mapped = hosts[`${hostname}:${port}`] ?? hosts[hostname];
  if (!mapped) return { host: hostname, port };
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(mapped);
  if (!m) return { host: mapped, port };
  if (isIP(mapped) === 6) return { host: mapped, port };
  return { host: defined(m[1], 'the host group of the hosts entry pattern'), port: m[2] ? Number(m[2]) : port };
}

async function allowedAddress(state: HttpRunState, host: string, original: string): Promise<string> {
  let pending = state.resolved.get(host);
  if (!pending) {
    pending = checkHostAllowed(host, { allowHosts: state.settings.allowHosts, lookup: state.settings.lookup }).then((verdict) => {
      if (!verdict.allowed) {
        throw new FatalScriptError(
          new UserError(
            `refusing to send traffic to ${original === host ? '' : `${original} → `}${verdict.reason}`,
            `point the script at a local server: options.hosts {"${original}": "127.0.0.1:PORT"}, or -e BASE_URL=http://127.0.0.1:PORT if the script reads __ENV.BASE_URL; or add the host to "load.allowHosts" in .perf/config.json if you own it`,
          ),
        );
      }
      // An allowed host always has an address (checkHostAllowed allows none without), and the first is an allowed one.
      const address = defined(verdict.addresses[0], `an address of the allowed host ${host}`);
      (state.allowed ??= new Map()).set(host, address);
      return address;
    });
    state.resolved.set(host, pending);
  }
  return pending;
}

export function createHttpModule(state: HttpRunState, vu: HttpVu): Record<string, unknown> & { close(): Promise<void>; interrupt(): void } {
  const settings = state.settings;
  // The connector is undici's own, wrapped to time each connection this VU opens (k6's
  // http_req_connecting and http_req_tls_handshaking).
  const connector = buildConnector({ rejectUnauthorized: !settings.insecureSkipTLSVerify });
  let lastConnect: ConnectTiming = NO_CONNECT;
  const makeAgent = (connections?: number) =>
    new Agent({
      connect: (opts, callback) => {
        const timing: ConnectTiming = { start: performance.now(), tcp: 0, secure: 0 };
        lastConnect = timing;
        const socket = connector(opts, (error, connected) => {
          if (!error) timing.secure = performance.now();
          (callback as (e: Error | null, s: Socket | null) => void)(error, connected as Socket | null);
        });
        (socket as Socket | undefined)?.once?.('connect', () => {
          timing.tcp = performance.now();
        });
        return socket;
      },
      keepAliveTimeout: 30_000,
      ...(connections ? { connections } : {}),
    });
  // undici's pool still counts a connection busy for a moment after a response completes, so a
  // request sent right after the previous one opened a second connection, and a VU's requests
  // then alternated between two (the second paying a TLS handshake). A VU sends one request at
  // a time: one connection per origin for those, as in k6; requests that overlap (batch,
  // asyncRequest) go to a second agent without the limit.
  const agent = makeAgent(1);
  let concurrentAgent: Agent | undefined;
  let undiciInFlight = 0;
  const getLastConnect = () => lastConnect;
  const jar = new K6CookieJar();

  // ---- the raw-socket path for plain http:// (the engine's FastConnection and parser) ----
  // undici costs ~2× the CPU per request of our own HTTP/1.1 client (bench/load); a VU's
  // requests are sequential, so one connection per origin (more only for http.batch).
  type Waiter = RawExchange;
  const pools = new Map<string, FastConnection[]>();
  const waiting = new Set<Waiter>();
  const onComplete = (context: RequestContext, outcome: Outcome) => {
    const waiter = context.owner as Waiter;
    if (!waiting.delete(waiter)) return;
    waiter.tDone = performance.now();
    if (outcome.errorKind) {
      waiter.reject(Object.assign(new Error(outcome.errorMessage ?? outcome.errorKind), { k6Kind: outcome.errorKind, k6Waiter: waiter }));
      return;
    }
    waiter.outcome = outcome;
    waiter.resolve(waiter);
  };
  /** method → URL → serialised request; see sendRaw. */
  const wireCache = new Map<string, Map<string, Buffer>>();
  const sweep = () => {
    const now = performance.now();
    for (const waiter of waiting) waiter.conn.sweep(now, waiter.timeoutMs);
  };
  state.sweepers.add(sweep);
  const sendRaw = (
    address: string,
    port: number,
    /** `address:port`, the pool of connections. */
    poolKey: string,
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | Buffer | undefined,
    keepBody: boolean,
    timeoutMs: number,
    /** Only the default headers, no body: the serialised request can be reused for `cacheKey` (the URL). */
    cacheable: boolean,
    cacheKey: string,
  ): Promise<Waiter> => {
    let pool = pools.get(poolKey);
    if (!pool) pools.set(poolKey, (pool = []));
    let conn: FastConnection | undefined;
    for (const c of pool) {
      if (c.inFlight === 0) {
        conn = c;
        break;
      }
    }
    if (!conn) {
      conn = new FastConnection(address, port, 1, onComplete);
      pool.push(conn);
    }
    // A request with no body and only the default headers is the same bytes every time:
    // serialised once per (method, URL) — header canonicalisation and Buffer.from were ~5 %.
    let wire: Buffer | undefined;
    let byUrl: Map<string, Buffer> | undefined;
    if (cacheable) {
      byUrl = wireCache.get(method);
      if (!byUrl) wireCache.set(method, (byUrl = new Map()));
      wire = byUrl.get(cacheKey);
    }
    if (!wire) {
      let head = `${method} ${path} HTTP/1.1\r\n`;
      for (const name in headers) head += `${canonicalHeader(name)}: ${headers[name]}\r\n`;
      const bodyBuf = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      if (bodyBuf || !(method === 'GET' || method === 'HEAD' || method === 'DELETE' || method === 'OPTIONS'))
        head += `Content-Length: ${bodyBuf?.length ?? 0}\r\n`;
      if (settings.noConnectionReuse) head += 'Connection: close\r\n';
      head += '\r\n';
      wire = bodyBuf ? Buffer.concat([Buffer.from(head, 'latin1'), bodyBuf]) : Buffer.from(head, 'latin1');
      if (byUrl && byUrl.size < 500) byUrl.set(cacheKey, wire);
    }
    const waiter = new RawExchange(wire, method === 'HEAD', keepBody, conn, timeoutMs);
    const promise = new Promise<Waiter>((resolveRaw, rejectRaw) => {
      waiter.resolve = resolveRaw;
      waiter.reject = rejectRaw;
    });
    waiting.add(waiter);
    waiter.tSend = performance.now();
    // A socket opened inside send() is this request's: the probe times its connect.
    connectProbe = waiter;
    try {
      conn.send({ request: waiter as unknown as RuntimeRequest, startMs: waiter.tSend, measured: true, retries: 0, owner: waiter });
    } finally {
      connectProbe = null;
    }
    waiter.tWritten = performance.now();
    return promise;
  };
  /** Interrupts the VU's requests in flight: their connections are dropped, their calls throw. */
  const interrupt = () => {
    for (const waiter of [...waiting]) {
      waiting.delete(waiter);
      waiter.conn.destroy();
      for (const pool of pools.values()) {
        const i = pool.indexOf(waiter.conn);
        if (i >= 0) pool.splice(i, 1);
      }
      waiter.reject(new InterruptedIteration());
    }
  };

  /** A URL with what every request to it needs, worked out once: scripts hit the same few URLs over and over. */
  interface Route {
    url: URL;
    href: string;
    /** Path and query, as sent. */
    path: string;
    /** As written in the URL (brackets of an IPv6 literal removed). */
    hostname: string;
    /** After `hosts` mapping. */
    target: { host: string; port: number };
    /** The allowed address last used for it, and its connection pool's key. */
    address: string;
    poolKey: string;
  }
  const routeOf = (url: URL): Route => {
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    return {
      url,
      href: url.href,
      path: `${url.pathname}${url.search}`,
      hostname,
      target: mapHost(settings.hosts, hostname, portOfUrl(url)),
      address: '',
      poolKey: '',
    };
  };
  const routeCache = new Map<string, Route>();
  const parseRoute = (text: string): Route => {
    let route = routeCache.get(text);
    if (!route) {
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        throw new Error(`invalid URL "${text}"`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported scheme in "${url.href}"`);
      route = routeOf(url);
      if (routeCache.size < 500) routeCache.set(text, route);
    }
    return route;
  };
  /** No sub-metric selects HTTP samples by tag: they need no tag object (known once thresholds are parsed, before any request). */
  let tagsNeeded: boolean | undefined;
  /** One sample object reused for every request: the collector reads it synchronously and keeps nothing. */
  const sample: RequestSample = {
    tags: null,
    group: '',
    name: '',
    method: '',
    url: '',
    status: 0,
    failed: null,
    blocked: 0,
    connecting: 0,
    tlsHandshaking: 0,
    sending: 0,
    waiting: 0,
    receiving: 0,
    duration: 0,
    sentBytes: 0,
    receivedBytes: 0,
    errorKind: undefined,
    errorMessage: undefined,
    at: 0,
  };

  /**
   * One k6 request (with its redirect hops). The async part is kept small on purpose: an
   * async function's suspended frame is a heap object the size of all its locals, and this
   * one ran per request — the work before and after each exchange is in plain functions.
   */
  async function one(method: string, rawUrl: unknown, body: unknown, params: RequestParams = NO_PARAMS): Promise<K6Response> {
    const r = prepare(method, rawUrl, body, params);
    for (;;) {
      const target = r.route.target;
      // Checked for every request; the verdict per host is computed once.
      const address = state.allowed?.get(target.host) ?? (await allowedAddress(state, target.host, r.route.hostname));
      const res = startHop(r, address);
      const t0 = performance.now();
      let outcome: Waiter | UndiciResponse | null = null;
      let failure: unknown = null;
      try {
        outcome = r.route.url.protocol === 'http:' ? await sendHop(r, address) : await dispatchHop(r, address);
      } catch (error) {
        if (vu.signal.aborted || error instanceof InterruptedIteration) throw new InterruptedIteration();
        failure = error;
      }
      if (!finishHop(r, res, t0, outcome, failure)) return res;
    }
  }

  /** What a request carries from hop to hop. */
  interface Prepared {
    method: string;
    nameFromUrl: string | undefined;
    route: Route;
    timeoutMs: number;
    responseType: string;
    maxRedirects: number;
    callback: ExpectedStatuses | null;
    cookieJar: K6CookieJar;
    userHeaders: Record<string, string>;
    userHeaderCount: number;
    data: string | Buffer | undefined;
    params: RequestParams;
    hops: number;
    /** Of the current hop. */
    headers: Record<string, string>;
    tags: Tags | null;
  }

  function prepare(method: string, rawUrl: unknown, body: unknown, params: RequestParams): Prepared {
    if (vu.inInit) throw new Error('making HTTP requests in the init context is not supported (k6: "not allowed in the init context")');
    if (vu.signal.aborted) throw new InterruptedIteration();
    let route = parseRoute(typeof rawUrl === 'string' ? rawUrl : String(rawUrl));
    const userHeaders: Record<string, string> = {};
    let userHeaderCount = 0;
    if (params.headers)
      for (const k in params.headers) {
        const v = params.headers[k];
        if (v !== undefined && v !== null) {
          userHeaders[k.toLowerCase()] = String(v);
          userHeaderCount++;
        }
      }
    const { data, contentType } = encodeBody(body);
    if (contentType && !userHeaders['content-type']) {
      userHeaders['content-type'] = contentType;
      userHeaderCount++;
    }
    if (route.url.username || route.url.password) {
      const url = new URL(route.href);
      if (!userHeaders.authorization && (params.auth === undefined || params.auth === 'basic')) {
        userHeaders.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
        userHeaderCount++;
      }
      url.username = '';
      url.password = '';
      route = routeOf(url);
    }
    tagsNeeded ??= state.collector.httpTagged;
    return {
      method,
      nameFromUrl: rawUrl instanceof K6Url ? rawUrl.name : undefined,
      route,
      timeoutMs:
        params.timeout === undefined
          ? settings.timeoutMs
          : parseDurationMs(typeof params.timeout === 'number' ? params.timeout / 1000 : params.timeout, 'timeout'),
      responseType: params.responseType ?? (settings.discardResponseBodies ? 'none' : 'text'),
      maxRedirects: params.redirects ?? settings.maxRedirects,
      callback: params.responseCallback === undefined ? state.responseCallback : params.responseCallback,
      cookieJar: params.jar ?? jar,
      userHeaders,
      userHeaderCount,
      data,
      params,
      hops: 0,
      headers: userHeaders,
      tags: null,
    };
  }

  /** The hop's headers, tags and response object. */
  function startHop(r: Prepared, address: string): K6Response {
    const { route, params, cookieJar, method } = r;
    const href = route.href;
    const headers: Record<string, string> =
      r.userHeaderCount === 0
        ? { 'user-agent': settings.userAgent, host: route.url.host }
        : { 'user-agent': settings.userAgent, ...r.userHeaders, host: route.url.host };
    // Cookies: the jar's for this URL, then the request's own (replace: false keeps a jar cookie of that name).
    if (!cookieJar.empty || params.cookies) {
      const jarCookies = new Map<string, string>();
      if (!cookieJar.empty) for (const c of cookieJar.jar.getCookiesSync(href)) jarCookies.set(c.key, c.value);
      for (const [name, v] of Object.entries(params.cookies ?? {})) {
        const value = typeof v === 'object' && v !== null ? v.value : String(v);
        const replace = typeof v === 'object' && v !== null ? v.replace === true : true;
        if (replace || !jarCookies.has(name)) jarCookies.set(name, value);
      }
      if (jarCookies.size) headers.cookie = [...jarCookies].map(([k, v]) => `${k}=${v}`).join('; ');
    }
    r.headers = headers;
    // Tags only when a sub-metric selects by them (or the request names some). One object
    // shape for every sample (a literal, then extras only when there are any): growing a
    // spread copy key by key cost ~10 % of a request in a profile.
    let tags: Tags | null = null;
    if (tagsNeeded || params.tags) {
      const vt = vu.tags();
      tags = {
        scenario: vt.scenario ?? 'default',
        group: vu.groupPath,
        method,
        url: href,
        name: r.nameFromUrl ?? href,
        proto: 'HTTP/1.1',
        status: '0',
        expected_response: 'true',
      };
      for (const k in vt) if (k !== 'scenario') tags[k] = vt[k] as string;
      if (params.tags) for (const k in params.tags) tags[k] = String(params.tags[k]);
    }
    r.tags = tags;
    const res = new K6Response(method, headers, r.data);
    res.url = href;
    res.remote_ip = address;
    res.remote_port = route.target.port;
    return res;
  }

  function sendHop(r: Prepared, address: string): Promise<Waiter> {
    const route = r.route;
    if (route.address !== address) {
      route.address = address;
      route.poolKey = `${address}:${route.target.port}`;
    }
    return sendRaw(
      address,
      route.target.port,
      route.poolKey,
      r.method,
      route.path,
      r.headers,
      r.data,
      r.responseType !== 'none' && r.method !== 'HEAD',
      r.timeoutMs,
      r.userHeaderCount === 0 && r.data === undefined && r.headers.cookie === undefined,
      route.href,
    );
  }

  function dispatchHop(r: Prepared, address: string): Promise<UndiciResponse> {
    const { route, timeoutMs } = r;
    const chosen = undiciInFlight > 0 ? (concurrentAgent ??= makeAgent()) : agent;
    undiciInFlight++;
    return dispatchRaw(
      chosen,
      {
        origin: `${route.url.protocol}//${address.includes(':') ? `[${address}]` : address}:${route.target.port}`,
        path: route.path,
        method: r.method as Dispatcher.HttpMethod,
        headers: r.headers,
        body: r.data,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        reset: settings.noConnectionReuse,
      },
      vu.signal,
      r.responseType !== 'none' && r.method !== 'HEAD',
      getLastConnect,
    ).finally(() => {
      undiciInFlight--;
    });
  }

  /**
   * Fills the response from what came back (or the error), records the sample, and follows a
   * redirect by updating `r`: true when there is another hop to make.
   */
  function finishHop(r: Prepared, res: K6Response, t0: number, outcome: Waiter | UndiciResponse | null, failure: unknown): boolean {
    const { method, route, cookieJar, tags } = r;
    const href = route.href;
    const timings = res.timings;
    let received = 0;
    let setCookies: string[] | null = null;
    let location: string | undefined;
    let errorKind: ErrorKind | undefined;
    let raw: Waiter | null = null;
    if (failure !== null) {
      const rawKind = (failure as { k6Kind?: ErrorKind }).k6Kind;
      const c = rawKind ? { kind: rawKind, message: (failure as Error).message } : classifyError(failure);
      errorKind = c.kind;
      res.error = c.message;
      res.error_code = ERROR_CODES[c.kind];
      raw = (failure as { k6Waiter?: Waiter }).k6Waiter ?? null;
      // k6's phases: blocked (until the request could go out), connecting, tls_handshaking,
      // sending, waiting (to the response head), receiving (to its end).
      if (raw) rawTimings(timings, t0, raw);
      else timings.duration = timings.waiting = performance.now() - t0;
    } else if (outcome !== null) {
      const keepBody = r.responseType !== 'none' && method !== 'HEAD';
      let status: number;
      let reason: string;
      let bodyBuf: Buffer | null;
      if ('outcome' in outcome) {
        raw = outcome;
        const o = defined(outcome.outcome, 'raw outcome');
        status = o.status;
        reason = o.reason ?? '';
        bodyBuf = o.body ?? null;
        received += o.bodyBytes ?? 0;
        // Header lines as text: split only when a script reads them, or one of them is a
        // cookie or a redirect target (one case-insensitive search first: most responses have neither).
        const head = o.head ?? '';
        received += head.length + 17 + reason.length;
        if (COOKIE_OR_LOCATION.test(head)) {
          const list = splitHead(head);
          res.setHeaderSource(list);
          for (let i = 1; i < list.length; i += 2) {
            const name = list[i - 1];
            const value = list[i];
            if (name === undefined || value === undefined) continue;
            const key = canonicalHeader(name);
            if (key === 'Set-Cookie') (setCookies ??= []).push(value);
            else if (key === 'Location') location = value;
          }
        } else res.setHeaderSource(head);
        rawTimings(timings, t0, outcome);
      } else {
        const u = outcome;
        status = u.status;
        reason = u.statusText;
        const h = u.headers;
        for (let i = 1; i < h.length; i += 2) {
          const k = h[i - 1];
          const v = h[i];
          if (k === undefined || v === undefined) continue;
          received += k.length + v.length + 4;
          const key = canonicalHeader(k);
          if (key === 'Set-Cookie') (setCookies ??= []).push(v);
          else if (key === 'Location') location = v;
        }
        res.setHeaderSource(h);
        received += u.bodyBytes;
        bodyBuf = u.body.length === 0 ? null : u.body.length === 1 ? (u.body[0] ?? null) : Buffer.concat(u.body);
        undiciTimings(timings, t0, u);
      }
      res.status = status;
      res.status_text = statusText(status, reason);
      if (!keepBody) res.body = null;
      else {
        const buf = bodyBuf ?? EMPTY_BUFFER;
        if (r.responseType === 'binary') res.body = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
        else res.setTextBody(buf);
      }
    }
    if (res.status >= 400) {
      res.error_code = 1000 + res.status;
      res.error = res.status_text;
    }
    if (setCookies) {
      for (const sc of setCookies) {
        try {
          const cookie = cookieJar.jar.setCookieSync(sc, href);
          if (cookie) {
            cookieJar.empty = false;
            (res.cookies[cookie.key] ??= []).push({
              name: cookie.key,
              value: cookie.value,
              domain: cookie.domain ?? '',
              path: cookie.path ?? '/',
              http_only: cookie.httpOnly,
              secure: cookie.secure,
              max_age: typeof cookie.maxAge === 'number' ? cookie.maxAge : 0,
              expires: cookie.expires instanceof Date ? cookie.expires.getTime() : 0,
            });
          }
        } catch {
          // A cookie the jar rejects (bad domain): ignored, as a browser would.
        }
      }
    }
    const callback = r.callback;
    const failed = callback === null ? null : res.status === 0 || !callback.accepts(res.status);
    if (tags) {
      tags.status = String(res.status);
      if (failed === null) delete tags.expected_response;
      else if (failed) tags.expected_response = 'false';
      if (res.error_code) tags.error_code = String(res.error_code);
    }
    const s = sample;
    s.tags = tags;
    s.group = vu.groupPath;
    s.name = tags ? (tags.name ?? href) : (r.nameFromUrl ?? href);
    s.method = method;
    s.url = href;
    s.status = res.status;
    s.failed = failed;
    s.blocked = timings.blocked;
    s.connecting = timings.connecting;
    s.tlsHandshaking = timings.tls_handshaking;
    s.sending = timings.sending;
    s.waiting = timings.waiting;
    s.receiving = timings.receiving;
    s.duration = timings.duration;
    s.sentBytes = (r.data ? r.data.length : 0) + href.length + 64;
    s.receivedBytes = received;
    s.errorKind = errorKind;
    s.errorMessage = errorKind ? `${method} ${href}: ${res.error}` : undefined;
    s.at = raw ? raw.tDone : performance.now();
    state.collector.request(s);
    if (location && REDIRECTS.has(res.status) && r.hops < r.maxRedirects) {
      r.hops++;
      r.route = routeOf(new URL(location, route.url));
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        r.method = 'GET';
        r.data = undefined;
        if (r.userHeaders['content-type'] !== undefined) {
          delete r.userHeaders['content-type'];
          r.userHeaderCount--;
        }
      }
      return true;
    }
    return false;
  }

  const request = (method: string, url: unknown, body?: unknown, params?: RequestParams) => one(String(method).toUpperCase(), url, body, params);

  async function batch(requests: unknown): Promise<unknown> {
    const normalise = (r: unknown): [string, unknown, unknown, RequestParams | undefined] => {
      if (typeof r === 'string' || r instanceof K6Url) return ['GET', r, undefined, undefined];
      if (Array.isArray(r)) return [String(r[0]), r[1], r[2], r[3] as RequestParams | undefined];
      const o = r as { method?: string; url: unknown; body?: unknown; params?: RequestParams };
      return [o.method ?? 'GET', o.url, o.body, o.params];
    };
    const entries: Array<[string | number, unknown]> = Array.isArray(requests)
      ? requests.map((r, i) => [i, r])
      : Object.entries(requests as Record<string, unknown>);
    const results = new Map<string | number, K6Response>();
    // At most `batch` requests in flight at once (k6 option `batch`, default 20), and at most
    // `batchPerHost` of them to one host (default 6), as k6 does.
    const perHost = settings.batchPerHost;
    const inFlight = new Map<string, number>();
    const queued = new Map<string, Array<() => void>>();
    const acquire = async (host: string) => {
      while (perHost > 0 && (inFlight.get(host) ?? 0) >= perHost) {
        await new Promise<void>((resolve) => {
          const queue = queued.get(host) ?? [];
          queue.push(resolve);
          queued.set(host, queue);
        });
      }
      inFlight.set(host, (inFlight.get(host) ?? 0) + 1);
    };
    const release = (host: string) => {
      inFlight.set(host, (inFlight.get(host) ?? 1) - 1);
      queued.get(host)?.shift()?.();
    };
    let next = 0;
    const worker = async () => {
      for (let entry = entries[next++]; entry !== undefined; entry = entries[next++]) {
        const [key, r] = entry;
        const [method, url, body, params] = normalise(r);
        const host = batchHostKey(url);
        await acquire(host);
        try {
          results.set(key, await request(method, url, body, params));
        } finally {
          release(host);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(settings.batch, entries.length) }, worker));
    if (Array.isArray(requests)) return entries.map(([k]) => results.get(k));
    return Object.fromEntries(entries.map(([k]) => [k, results.get(k)]));
  }

  return {
    request,
    get: (url: unknown, params?: RequestParams) => one('GET', url, undefined, params),
    head: (url: unknown, params?: RequestParams) => one('HEAD', url, undefined, params),
    post: (url: unknown, body?: unknown, params?: RequestParams) => one('POST', url, body, params),
    put: (url: unknown, body?: unknown, params?: RequestParams) => one('PUT', url, body, params),
    patch: (url: unknown, body?: unknown, params?: RequestParams) => one('PATCH', url, body, params),
    del: (url: unknown, body?: unknown, params?: RequestParams) => one('DELETE', url, body, params),
    options: (url: unknown, body?: unknown, params?: RequestParams) => one('OPTIONS', url, body, params),
    asyncRequest: (method: string, url: unknown, body?: unknown, params?: RequestParams) => request(method, url, body, params),
    batch,
    expectedStatuses,
    setResponseCallback: (cb: ExpectedStatuses | null) => {
      state.responseCallback = cb === null ? null : cb instanceof ExpectedStatuses ? cb : DEFAULT_CALLBACK;
    },
    cookieJar: () => jar,
    CookieJar: K6CookieJar,
    file: (data: string | ArrayBuffer | Uint8Array, filename = 'file', contentType = 'application/octet-stream') => new FileData(data, filename, contentType),
    url: (strings: TemplateStringsArray, ...values: unknown[]) =>
      new K6Url(
        strings.reduce((s, part, i) => s + part + (i < values.length ? String(values[i]) : ''), ''),
        strings.join('${}'),
      ),
    TLS_1_0: 'tls1.0',
    TLS_1_1: 'tls1.1',
    TLS_1_2: 'tls1.2',
    TLS_1_3: 'tls1.3',
    OCSP_STATUS_GOOD: 'good',
    interrupt,
    close: async () => {
      interrupt();
      state.sweepers.delete(sweep);
      for (const pool of pools.values()) for (const conn of pool) conn.destroy();
      pools.clear();
      await Promise.all([agent, concurrentAgent].map((a) => a?.destroy().catch(() => undefined)));
    },
  };
}

export { DEFAULT_CALLBACK };
