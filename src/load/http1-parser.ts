/**
 * Incremental HTTP/1.1 response parser for the raw-socket fast path (RFC 9112).
 *
 * Written here rather than taken from a library because the candidates do not fit: llhttp
 * (Node's parser) is not exposed as a public API (`process.binding('http_parser')` is
 * internal and deprecated), and undici — which embeds it — costs ~2× the CPU per request
 * on this path (see bench/load). This parser only has to read *responses* to requests we
 * wrote ourselves, so it handles exactly: status line, headers, Content-Length, chunked
 * transfer coding (with extensions and trailers), bodies delimited by connection close,
 * bodiless responses (HEAD, 1xx, 204, 304), keep-alive vs `Connection: close`, and
 * HTTP/1.0. It scans Buffers in place and never concatenates strings; a header block split
 * across TCP segments is the only case that copies. It never keeps a reference to the
 * buffer it is fed (the caller may reuse it for the next read).
 */

export const CACHE_CONTROL = 1;
export const CACHEABLE = 2;
export const ETAG = 4;
export const LAST_MODIFIED = 8;
export const CACHE_HIT = 16;
export const CACHE_MISS = 32;

export interface ParsedResponse {
  status: number;
  /** False when the server will close the connection after this response. */
  keepAlive: boolean;
  /** Bit set of the cache flags above. */
  cache: number;
  /** Body bytes (only when capture was requested for this response). */
  body?: Buffer;
  bodyBytes: number;
  /** The header lines after the status line, as text (only when `headers` was requested: k6 scripts). */
  head?: string;
  /** The status line's reason phrase (with `headers`). */
  reason?: string;
}

export interface ResponseExpectation {
  /** Response to a HEAD request: no body whatever the headers say. */
  head: boolean;
  /** Keep the body (for bodyIncludes checks), up to maxCapture bytes. */
  capture: boolean;
  /** Keep the header block as text (k6 scripts read response headers). */
  headers?: boolean;
  /** Capture limit for this response (default 1 MiB). */
  maxCapture?: number;
}

export class HttpParseError extends Error {
  override readonly name = 'HttpParseError';
}

enum State {
  Head,
  BodyLength,
  BodyEof,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
}

const CR = 13;
const LF = 10;
const MAX_HEAD = 64 * 1024;
const MAX_CAPTURE = 1024 * 1024;

/** ASCII case-insensitive comparison of buf[start, end) with a lower-case literal. */
function equalsLower(buf: Buffer, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    const c = buf[start + i];
    if (c === undefined || (c | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

function trimStart(buf: Buffer, i: number, end: number): number {
  while (i < end && (buf[i] === 32 || buf[i] === 9)) i++;
  return i;
}

function trimEnd(buf: Buffer, start: number, end: number): number {
  while (end > start && (buf[end - 1] === 32 || buf[end - 1] === 9)) end--;
  return end;
}

/** Does the comma-separated header value contain `token` (lower-case) as an element? */
function hasToken(buf: Buffer, start: number, end: number, token: string): boolean {
  let i = start;
  while (i < end) {
    let j = i;
    while (j < end && buf[j] !== 44) j++;
    const s = trimStart(buf, i, j);
    const e = trimEnd(buf, s, j);
    if (equalsLower(buf, s, e, token)) return true;
    i = j + 1;
  }
  return false;
}

function cacheControlFlags(value: string): number {
  const v = value.toLowerCase();
  let flags = CACHE_CONTROL;
  const denies = /(?:^|[\s,])(?:no-store|private|no-cache)(?:$|[\s,=])/.test(v);
  const allows = /(?:^|[\s,])(?:public|max-age=[1-9]|s-maxage=[1-9]|immutable)/.test(v);
  if (allows && !denies) flags |= CACHEABLE;
  return flags;
}

/** X-Cache: "HIT from …", CF-Cache-Status: HIT/MISS/EXPIRED/…, X-Cache-Status (nginx). */
function cacheStatusFlags(value: string): number {
  const v = value.trim().toUpperCase();
  if (v.startsWith('HIT') || v.startsWith('TCP_HIT') || v.startsWith('TCP_MEM_HIT') || v === 'STALE' || v === 'REVALIDATED' || v === 'UPDATING')
    return CACHE_HIT;
  if (v.startsWith('MISS') || v.startsWith('TCP_MISS') || v === 'EXPIRED' || v === 'BYPASS' || v === 'DYNAMIC') return CACHE_MISS;
  return 0;
}

/** The captured body: the one chunk itself (no copy) or the chunks joined. */
function joinChunks(chunks: Buffer[]): Buffer {
  const first = chunks[0];
  return chunks.length === 1 && first !== undefined ? first : Buffer.concat(chunks);
}

export class Http1ResponseParser {
  private state = State.Head;
  private partial: Buffer | null = null;
  private remaining = 0;
  private status = 0;
  private keepAlive = true;
  private cache = 0;
  private bodyBytes = 0;
  private chunks: Buffer[] | null = null;
  private captured = 0;
  private expectation: ResponseExpectation = { head: false, capture: false };
  private halted = false;
  private head: string | undefined;
  private reason: string | undefined;

  constructor(
    /** Called when a response head begins: what the request was. */
    private readonly nextExpectation: () => ResponseExpectation,
    private readonly onResponse: (response: ParsedResponse) => void,
  ) {}

  /** Bytes received since the current response started (0 = nothing of it yet). */
  get midResponse(): boolean {
    return this.state !== State.Head || this.partial !== null;
  }

  /** True when the current response is delimited by the connection closing. */
  get awaitingEof(): boolean {
    return this.state === State.BodyEof;
  }

  /** Ready for a new connection. */
  reset(): void {
    this.state = State.Head;
    this.partial = null;
    this.chunks = null;
    this.halted = false;
  }

  /** Ignore the rest of the current input (the connection is being closed). */
  halt(): void {
    this.halted = true;
  }

  /** The connection closed: completes an EOF-delimited body; any other partial response is an error. */
  finish(): boolean {
    if (this.state === State.BodyEof) {
      this.complete();
      return true;
    }
    return false;
  }

  feed(data: Buffer): void {
    let buf = data;
    let i = 0;
    if (this.partial) {
      buf = Buffer.concat([this.partial, data]);
      this.partial = null;
    }
    const len = buf.length;
    while (i < len && !this.halted) {
      switch (this.state) {
        case State.Head: {
          const end = buf.indexOf('\r\n\r\n', i, 'latin1');
          if (end < 0) {
            if (len - i > MAX_HEAD) throw new HttpParseError('response header block larger than 64 KiB');
            this.partial = Buffer.from(buf.subarray(i));
            return;
          }
          const informational = this.parseHead(buf, i, end);
          i = end + 4;
          if (informational) continue;
          break;
        }
        case State.BodyLength: {
          const take = Math.min(this.remaining, len - i);
          this.capture(buf, i, i + take);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.complete();
          break;
        }
        case State.BodyEof: {
          this.capture(buf, i, len);
          i = len;
          break;
        }
        case State.ChunkSize: {
          const eol = buf.indexOf(LF, i);
          if (eol < 0) {
            if (len - i > 1024) throw new HttpParseError('chunk size line too long');
            this.partial = Buffer.from(buf.subarray(i));
            return;
          }
          let size = 0;
          let digits = 0;
          let j = i;
          for (; j < eol; j++) {
            const c = buf[j];
            let d: number;
            if (c === undefined) break;
            if (c >= 48 && c <= 57) d = c - 48;
            else if ((c | 0x20) >= 97 && (c | 0x20) <= 102) d = (c | 0x20) - 87;
            else break;
            size = size * 16 + d;
            digits++;
            if (size > Number.MAX_SAFE_INTEGER / 16) throw new HttpParseError('chunk size too large');
          }
          // After the digits: optional whitespace, chunk extensions (;name=value) and CR.
          if (digits === 0 || (j < eol && buf[j] !== 59 && buf[j] !== 32 && buf[j] !== 9 && buf[j] !== CR)) {
            throw new HttpParseError('invalid chunk size');
          }
          i = eol + 1;
          if (size === 0) this.state = State.Trailers;
          else {
            this.remaining = size;
            this.state = State.ChunkData;
          }
          break;
        }
        case State.ChunkData: {
          const take = Math.min(this.remaining, len - i);
          this.capture(buf, i, i + take);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.state = State.ChunkDataEnd;
          break;
        }
        case State.ChunkDataEnd: {
          // CRLF after chunk data (tolerate a bare LF as most parsers do).
          if (buf[i] === CR) {
            if (i + 1 >= len) {
              this.partial = Buffer.from(buf.subarray(i));
              return;
            }
            if (buf[i + 1] !== LF) throw new HttpParseError('missing CRLF after chunk data');
            i += 2;
          } else if (buf[i] === LF) i += 1;
          else throw new HttpParseError('missing CRLF after chunk data');
          this.state = State.ChunkSize;
          break;
        }
        case State.Trailers: {
          const eol = buf.indexOf(LF, i);
          if (eol < 0) {
            if (len - i > MAX_HEAD) throw new HttpParseError('trailer section too large');
            this.partial = Buffer.from(buf.subarray(i));
            return;
          }
          const empty = eol === i || (eol === i + 1 && buf[i] === CR);
          i = eol + 1;
          if (empty) this.complete();
          break;
        }
      }
    }
  }

  /** Parses a head in buf[start, end); returns true for a 1xx response that is skipped. */
  private parseHead(buf: Buffer, start: number, end: number): boolean {
    // Status line: HTTP/1.x SP 3DIGIT [SP reason]
    if (
      end - start < 12 ||
      buf[start] !== 72 ||
      buf[start + 1] !== 84 ||
      buf[start + 2] !== 84 ||
      buf[start + 3] !== 80 ||
      buf[start + 4] !== 47 ||
      buf[start + 5] !== 49 ||
      buf[start + 6] !== 46
    ) {
      throw new HttpParseError(`not an HTTP/1.x response: ${JSON.stringify(buf.toString('latin1', start, Math.min(end, start + 40)))}`);
    }
    // In range: the head is at least 12 bytes long (checked above).
    const v = buf[start + 7];
    const c0 = buf[start + 9];
    const c1 = buf[start + 10];
    const c2 = buf[start + 11];
    if (v === undefined || c0 === undefined || c1 === undefined || c2 === undefined) throw new HttpParseError('malformed status line');
    const minor = v - 48;
    const s0 = c0 - 48;
    const s1 = c1 - 48;
    const s2 = c2 - 48;
    if (buf[start + 8] !== 32 || s0 < 1 || s0 > 5 || s1 < 0 || s1 > 9 || s2 < 0 || s2 > 9) {
      throw new HttpParseError('malformed status line');
    }
    const status = s0 * 100 + s1 * 10 + s2;
    if (status >= 100 && status < 200 && status !== 101) return true; // 100 Continue, 103 Early Hints
    if (status === 101) throw new HttpParseError('unexpected protocol switch (101)');

    this.expectation = this.nextExpectation();
    this.status = status;
    this.keepAlive = minor >= 1;
    this.cache = 0;
    this.bodyBytes = 0;
    this.captured = 0;
    this.chunks = this.expectation.capture ? [] : null;
    if (this.expectation.headers) {
      const firstEol = buf.indexOf(LF, start);
      const statusEnd = firstEol > 0 && firstEol <= end ? (buf[firstEol - 1] === CR ? firstEol - 1 : firstEol) : end;
      this.reason = buf.toString('latin1', Math.min(start + 13, statusEnd), statusEnd);
      this.head = firstEol > 0 && firstEol < end ? buf.toString('latin1', firstEol + 1, end) : '';
    } else this.head = this.reason = undefined;
    let contentLength = -1;
    let chunked = false;

    let line = buf.indexOf(LF, start) + 1;
    while (line > 0 && line < end + 2) {
      let eol = buf.indexOf(LF, line);
      if (eol < 0 || eol > end + 2) eol = end + 2;
      const lineEnd = buf[eol - 1] === CR ? eol - 1 : eol;
      const colon = buf.indexOf(58, line);
      if (colon > 0 && colon < lineEnd) {
        const vs = trimStart(buf, colon + 1, lineEnd);
        const ve = trimEnd(buf, vs, lineEnd);
        const nameLen = colon - line;
        switch (nameLen) {
          case 14:
            if (equalsLower(buf, line, colon, 'content-length')) {
              let n = 0;
              if (ve === vs) throw new HttpParseError('empty Content-Length');
              for (let k = vs; k < ve; k++) {
                const c = buf[k];
                if (c === undefined || c < 48 || c > 57) throw new HttpParseError('invalid Content-Length');
                n = n * 10 + (c - 48);
              }
              if (contentLength >= 0 && contentLength !== n) throw new HttpParseError('conflicting Content-Length headers');
              contentLength = n;
            } else if (equalsLower(buf, line, colon, 'x-cache-status')) {
              this.cache |= cacheStatusFlags(buf.toString('latin1', vs, ve));
            }
            break;
          case 17:
            if (equalsLower(buf, line, colon, 'transfer-encoding')) {
              // Chunked must be the final coding (RFC 9112 §6.3); anything else is read to EOF.
              const last = buf.lastIndexOf(44, ve - 1);
              const ts = trimStart(buf, last >= vs ? last + 1 : vs, ve);
              chunked = equalsLower(buf, ts, ve, 'chunked');
              if (!chunked) contentLength = -2;
            }
            break;
          case 10:
            if (equalsLower(buf, line, colon, 'connection')) {
              if (hasToken(buf, vs, ve, 'close')) this.keepAlive = false;
              else if (hasToken(buf, vs, ve, 'keep-alive')) this.keepAlive = true;
            }
            break;
          case 13:
            if (equalsLower(buf, line, colon, 'cache-control')) this.cache |= cacheControlFlags(buf.toString('latin1', vs, ve));
            else if (equalsLower(buf, line, colon, 'last-modified')) this.cache |= LAST_MODIFIED;
            break;
          case 4:
            if (equalsLower(buf, line, colon, 'etag')) this.cache |= ETAG;
            break;
          case 3:
            if (equalsLower(buf, line, colon, 'age')) {
              // A positive Age means the response was served from a cache (RFC 9111 §5.1).
              const age = Number(buf.toString('latin1', vs, ve));
              if (Number.isFinite(age)) this.cache |= age > 0 ? CACHE_HIT : 0;
            }
            break;
          case 7:
            if (equalsLower(buf, line, colon, 'x-cache')) this.cache |= cacheStatusFlags(buf.toString('latin1', vs, ve));
            break;
          case 15:
            if (equalsLower(buf, line, colon, 'cf-cache-status')) this.cache |= cacheStatusFlags(buf.toString('latin1', vs, ve));
            break;
        }
      }
      line = eol + 1;
    }
    if ((this.cache & CACHE_HIT) !== 0) this.cache &= ~CACHE_MISS;

    if (this.expectation.head || status === 204 || status === 304) {
      this.complete();
    } else if (chunked) {
      this.state = State.ChunkSize;
    } else if (contentLength >= 0) {
      if (contentLength === 0) this.complete();
      else {
        this.remaining = contentLength;
        this.state = State.BodyLength;
      }
    } else {
      // No length: the body runs until the server closes the connection (RFC 9112 §6.3 rule 8).
      this.keepAlive = false;
      this.state = State.BodyEof;
    }
    return false;
  }

  private capture(buf: Buffer, start: number, end: number): void {
    this.bodyBytes += end - start;
    const max = this.expectation.maxCapture ?? MAX_CAPTURE;
    if (this.chunks && this.captured < max && end > start) {
      const take = Math.min(end - start, max - this.captured);
      // Copy: the socket may reuse its buffer.
      this.chunks.push(Buffer.from(buf.subarray(start, start + take)));
      this.captured += take;
    }
  }

  private complete(): void {
    const response: ParsedResponse = {
      status: this.status,
      keepAlive: this.keepAlive,
      cache: this.cache,
      bodyBytes: this.bodyBytes,
      ...(this.chunks ? { body: joinChunks(this.chunks) } : {}),
      ...(this.head !== undefined ? { head: this.head, reason: this.reason } : {}),
    };
    this.state = State.Head;
    this.chunks = null;
    this.onResponse(response);
  }
}

/** The same cache flags from an already-parsed header map (the undici path). */
export function cacheFlagsFromHeaders(headers: Record<string, string | string[] | undefined>): number {
  const one = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v.join(', ') : v;
  };
  let flags = 0;
  const cc = one('cache-control');
  if (cc !== undefined) flags |= cacheControlFlags(cc);
  if (one('etag') !== undefined) flags |= ETAG;
  if (one('last-modified') !== undefined) flags |= LAST_MODIFIED;
  const age = Number(one('age'));
  if (Number.isFinite(age) && age > 0) flags |= CACHE_HIT;
  for (const name of ['x-cache', 'cf-cache-status', 'x-cache-status']) {
    const v = one(name);
    if (v !== undefined) flags |= cacheStatusFlags(v);
  }
  if ((flags & CACHE_HIT) !== 0) flags &= ~CACHE_MISS;
  return flags;
}
