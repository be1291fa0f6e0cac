import type { LookupFunction } from 'node:net';
import { Client, H2CClient } from 'undici';
import { classifyError, type CompleteFn, type Connection, type RequestContext } from './connection.js';
import { cacheFlagsFromHeaders } from './http1-parser.js';

export interface UndiciConnectionOptions {
  origin: string;
  /** The address the allow-list check resolved; connections go there, never re-resolved. */
  address?: string;
  capacity: number;
  timeoutMs: number;
  http2: boolean;
  insecureTls: boolean;
  userAgent: string;
}

function pinnedLookup(address: string): LookupFunction {
  const family = address.includes(':') ? 6 : 4;
  return ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as unknown as LookupFunction;
}

/**
 * Everything the fast path does not speak: TLS, HTTP/2 (ALPN over TLS, or h2c prior
 * knowledge on http://), and any request when `engine: "undici"` is forced. One undici
 * Client = one connection, so connection counts mean the same on both paths.
 */
export class UndiciConnection implements Connection {
  private readonly client: Client | H2CClient;
  private pending = 0;
  private destroyed = false;

  constructor(
    private readonly options: UndiciConnectionOptions,
    private readonly onComplete: CompleteFn,
  ) {
    const https = options.origin.startsWith('https:');
    const connect = {
      ...(options.address ? { lookup: pinnedLookup(options.address) } : {}),
      ...(https ? { rejectUnauthorized: !options.insecureTls } : {}),
      timeout: options.timeoutMs,
    };
    const common = {
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connect,
    };
    if (options.http2 && !https) {
      this.client = new H2CClient(options.origin, { ...common, maxConcurrentStreams: Math.max(100, options.capacity) } as never);
    } else {
      this.client = new Client(options.origin, {
        ...common,
        pipelining: options.http2 ? Math.max(100, options.capacity) : options.capacity,
        allowH2: options.http2,
      });
    }
    this.client.on('connectionError' as never, () => undefined);
  }

  get capacity(): number {
    return this.options.capacity;
  }

  get inFlight(): number {
    return this.pending;
  }

  send(context: RequestContext): void {
    if (this.destroyed) return;
    this.pending++;
    const request = context.request;
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent, accept: '*/*', ...request.headers };
    this.client
      .request({ method: request.method as 'GET', path: request.path, headers, body: request.body })
      .then(async (response) => {
        let body: Buffer | undefined;
        if (request.captureBody) body = Buffer.from(await response.body.arrayBuffer());
        else await response.body.dump({ limit: Number.MAX_SAFE_INTEGER });
        return { status: response.statusCode, cache: cacheFlagsFromHeaders(response.headers), body };
      })
      .then(
        (outcome) => this.finish(context, outcome),
        (error: unknown) => {
          const { kind, message } = classifyError(error);
          this.finish(context, { status: 0, errorKind: kind, errorMessage: message, cache: 0 });
        },
      );
  }

  private finish(context: RequestContext, outcome: Parameters<CompleteFn>[1]): void {
    this.pending--;
    if (!this.destroyed) this.onComplete(context, outcome);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    void this.client.destroy().catch(() => undefined);
  }

  sweep(): void {
    // undici enforces headersTimeout/bodyTimeout itself.
  }
}
