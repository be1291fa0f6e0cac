import { connect, type Socket } from 'node:net';
import { defined } from '../common/errors.js';
import { classifyError, type CompleteFn, type Connection, type RequestContext } from './connection.js';
import { HttpParseError, Http1ResponseParser, type ParsedResponse } from './http1-parser.js';
import type { PlannedRequest } from './plan.js';

/**
 * The fast path: one plain-TCP HTTP/1.1 connection with pre-serialised requests and the
 * Buffer-scanning parser in http1-parser.ts. Keep-alive by default; when the server says
 * `Connection: close` (nginx does every `keepalive_requests`, default 1000) or closes an idle
 * socket, the next request reconnects at once, and requests already written to a socket
 * that closed without answering them are re-sent (once for the one being answered — the
 * keep-alive race of RFC 9112 §9.3.1 — a few times for pipelined ones behind it).
 */
export function serialiseRequest(request: PlannedRequest, userAgent: string): Buffer {
  const lower = new Set(Object.keys(request.headers).map((h) => h.toLowerCase()));
  let head = `${request.method} ${request.path} HTTP/1.1\r\n`;
  if (!lower.has('host')) head += `Host: ${request.hostHeader}\r\n`;
  if (!lower.has('user-agent')) head += `User-Agent: ${userAgent}\r\n`;
  if (!lower.has('accept')) head += 'Accept: */*\r\n';
  for (const [name, value] of Object.entries(request.headers)) {
    if (name.toLowerCase() === 'content-length' || name.toLowerCase() === 'transfer-encoding') continue;
    head += `${name}: ${value}\r\n`;
  }
  const body = request.body !== undefined ? Buffer.from(request.body, 'utf8') : undefined;
  if (body || !['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE'].includes(request.method)) head += `Content-Length: ${body?.length ?? 0}\r\n`;
  head += '\r\n';
  return body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
}

const MAX_PIPELINE_RETRIES = 3;

/**
 * The request's bytes. Every request on this path has them: the shard serialises each planned
 * request once when the engine is "fast" (the only engine that builds FastConnections), and
 * the k6 raw path builds them before sending.
 */
function wireOf(context: RequestContext): Buffer {
  return defined(context.request.wire, "the request's serialised bytes (RuntimeRequest.wire) on the fast path");
}

/**
 * Reads go straight into one buffer per thread (net's `onread` option) instead of through
 * the Readable stream ('data' events): it skips a layer of per-read work and allocation.
 * Sharing is safe because each read is parsed completely, synchronously, in the callback,
 * and the parser copies whatever it has to keep.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

export class FastConnection implements Connection {
  private socket: Socket | null = null;
  private pending: RequestContext[] = [];
  /** When each pending request was (last) written, for the timeout sweep. */
  private written: number[] = [];
  private connected = false;
  private answeredOnSocket = 0;
  private lastError: unknown = null;
  private destroyed = false;
  private parser: Http1ResponseParser;

  constructor(
    private readonly address: string,
    private readonly port: number,
    readonly capacity: number,
    private readonly onComplete: CompleteFn,
  ) {
    this.parser = this.newParser();
  }

  /** One parser per socket, so bytes of a closing socket can never leak into the next. */
  private newParser(): Http1ResponseParser {
    return new Http1ResponseParser(
      () => {
        const head = this.pending[0];
        const r = head?.request;
        return r?.captureHeaders
          ? { head: r.isHead, capture: r.captureBody, headers: true, maxCapture: r.maxCapture }
          : { head: r?.isHead ?? false, capture: r?.captureBody ?? false };
      },
      (response) => this.onResponse(response),
    );
  }

  get inFlight(): number {
    return this.pending.length;
  }

  send(context: RequestContext): void {
    if (this.destroyed) return;
    const wire = wireOf(context);
    this.pending.push(context);
    this.written.push(performance.now());
    if (!this.socket) this.open();
    else this.socket.write(wire);
  }

  destroy(): void {
    this.destroyed = true;
    this.pending = [];
    this.written = [];
    this.detach()?.destroy();
  }

  sweep(nowMs: number, timeoutMs: number): void {
    // `written` runs parallel to `pending`, oldest first.
    let timedOut = 0;
    for (const writtenMs of this.written) {
      if (nowMs - writtenMs < timeoutMs) break;
      timedOut++;
    }
    if (timedOut === 0) return;
    // The oldest request timed out: the connection is unusable (responses are ordered).
    const expired = this.pending.splice(0, timedOut);
    this.detach()?.destroy();
    const rest = this.pending;
    this.pending = [];
    this.written = [];
    for (const context of expired) {
      this.onComplete(context, { status: 0, errorKind: 'timeout', errorMessage: `no response within ${timeoutMs} ms`, cache: 0 });
    }
    this.resend(rest);
  }

  private open(): void {
    const parser = (this.parser = this.newParser());
    const socket = connect({
      host: this.address,
      port: this.port,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (bytes: number, buffer: Uint8Array) => {
          if (socket !== this.socket) return false;
          try {
            parser.feed((buffer as Buffer).subarray(0, bytes));
          } catch (error) {
            this.onParseError(error as HttpParseError);
          }
          return true;
        },
      },
    });
    this.socket = socket;
    this.connected = false;
    this.answeredOnSocket = 0;
    this.lastError = null;
    socket.on('connect', () => {
      if (socket === this.socket) this.connected = true;
    });
    socket.on('error', (error) => {
      if (socket === this.socket) this.lastError = error;
    });
    socket.on('close', () => {
      if (socket === this.socket) this.onClose();
    });
    // Requests written before 'connect' are buffered by net.Socket and flushed once connected.
    for (const context of this.pending) socket.write(wireOf(context));
  }

  /** Forgets the current socket (its late events are ignored) and returns it. */
  private detach(): Socket | null {
    const socket = this.socket;
    this.socket = null;
    this.parser.halt();
    return socket;
  }

  private onResponse(response: ParsedResponse): void {
    const context = this.pending.shift();
    this.written.shift();
    this.answeredOnSocket++;
    if (!context) {
      // A response nobody asked for: the stream is out of sync.
      this.onParseError(new HttpParseError('unsolicited response'));
      return;
    }
    let rest: RequestContext[] | null = null;
    if (!response.keepAlive) {
      // Detach before reporting, so a request sent from the callback opens a fresh socket.
      this.detach()?.destroy();
      rest = this.pending;
      this.pending = [];
      this.written = [];
    }
    this.onComplete(
      context,
      response.head !== undefined
        ? { status: response.status, cache: response.cache, body: response.body, head: response.head, reason: response.reason, bodyBytes: response.bodyBytes }
        : { status: response.status, cache: response.cache, body: response.body },
    );
    if (rest?.length) this.resend(rest);
  }

  private onParseError(error: HttpParseError): void {
    this.detach()?.destroy();
    const [head, ...rest] = this.pending;
    this.pending = [];
    this.written = [];
    if (head) this.onComplete(head, { status: 0, errorKind: 'protocol', errorMessage: error.message, cache: 0 });
    this.resend(rest);
  }

  private onClose(): void {
    // An EOF-delimited body ends here: that completes the response at the head (and
    // onResponse re-sends whatever was pipelined behind it).
    if (this.parser.awaitingEof) {
      this.parser.finish();
      return;
    }
    const wasConnected = this.connected;
    const answeredBefore = this.answeredOnSocket;
    const midResponse = this.parser.midResponse;
    this.detach();
    const waiting = this.pending;
    this.pending = [];
    this.written = [];
    const [head, ...rest] = waiting;
    if (head === undefined) return;
    if (!wasConnected) {
      // Could not connect (refused, unreachable, …): every request waiting on it fails.
      const { kind, message } = classifyError(this.lastError ?? Object.assign(new Error('connection closed'), { code: 'ECONNRESET' }));
      for (const context of waiting) this.onComplete(context, { status: 0, errorKind: kind, errorMessage: message, cache: 0 });
      return;
    }
    const raced = answeredBefore > 0 && !midResponse && head.retries < 1;
    if (raced) {
      this.resend(waiting);
      return;
    }
    const { kind, message } = this.lastError
      ? classifyError(this.lastError)
      : { kind: 'reset' as const, message: midResponse ? 'connection closed in the middle of a response' : 'connection closed before a response' };
    this.onComplete(head, { status: 0, errorKind: kind, errorMessage: message, cache: 0 });
    this.resend(rest);
  }

  /** Sends requests again on a new socket (they were written but never answered). */
  private resend(contexts: RequestContext[]): void {
    if (this.destroyed) return;
    for (const context of contexts) {
      context.retries++;
      if (context.retries > MAX_PIPELINE_RETRIES) {
        this.onComplete(context, { status: 0, errorKind: 'reset', errorMessage: 'connection kept closing before a response', cache: 0 });
      } else {
        this.send(context);
      }
    }
  }
}
