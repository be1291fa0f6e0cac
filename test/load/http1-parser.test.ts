import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CACHE_CONTROL,
  CACHE_HIT,
  CACHEABLE,
  ETAG,
  Http1ResponseParser,
  HttpParseError,
  LAST_MODIFIED,
  type ParsedResponse,
} from '../../src/load/http1-parser.js';

function parseAll(input: Buffer | string, options: { head?: boolean[]; capture?: boolean; splits?: number[]; reuse?: boolean } = {}): ParsedResponse[] {
  const out: ParsedResponse[] = [];
  let n = 0;
  const parser = new Http1ResponseParser(
    () => ({ head: options.head?.[n++] ?? false, capture: options.capture ?? true }),
    (r) => out.push(r),
  );
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input, 'latin1');
  const cuts = [0, ...(options.splits ?? []).filter((c) => c > 0 && c < buf.length).sort((a, b) => a - b), buf.length];
  // reuse: every read lands in the same scratch buffer, as with net's `onread` option.
  const scratch = Buffer.alloc(buf.length);
  for (let i = 0; i + 1 < cuts.length; i++) {
    const piece = buf.subarray(cuts[i], cuts[i + 1]);
    if (options.reuse) {
      scratch.fill(0x58);
      piece.copy(scratch);
      parser.feed(scratch.subarray(0, piece.length));
      scratch.fill(0x58);
    } else parser.feed(piece);
  }
  parser.finish();
  return out;
}

describe('Http1ResponseParser', () => {
  it('reads Content-Length bodies and keeps the connection alive', () => {
    const [r] = parseAll('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello');
    expect(r).toMatchObject({ status: 200, keepAlive: true, bodyBytes: 5 });
    expect(r!.body!.toString()).toBe('hello');
  });

  it('reads chunked bodies with extensions and trailers', () => {
    const text = 'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n';
    const [r] = parseAll(text);
    expect(r).toMatchObject({ status: 201, keepAlive: true, bodyBytes: 11 });
    expect(r!.body!.toString()).toBe('hello world');
  });

  it('parses pipelined responses in one buffer, in order', () => {
    const one = 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na';
    const two = 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n';
    const three = 'HTTP/1.1 500 Oops\r\ntransfer-encoding: CHUNKED\r\n\r\n1\r\nz\r\n0\r\n\r\n';
    expect(parseAll(one + two + three).map((r) => r.status)).toEqual([200, 404, 500]);
  });

  it('honours Connection: close and HTTP/1.0 defaults', () => {
    expect(parseAll('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')[0]!.keepAlive).toBe(false);
    expect(parseAll('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n')[0]!.keepAlive).toBe(false);
    expect(parseAll('HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n')[0]!.keepAlive).toBe(true);
    expect(parseAll('HTTP/1.1 200 OK\r\nConnection: upgrade, close\r\nContent-Length: 0\r\n\r\n')[0]!.keepAlive).toBe(false);
  });

  it('reads a body without length until the connection closes', () => {
    const [r] = parseAll('HTTP/1.1 200 OK\r\n\r\nstream until EOF');
    expect(r).toMatchObject({ status: 200, keepAlive: false, bodyBytes: 16 });
  });

  it('expects no body for HEAD, 204 and 304 whatever the headers say, and skips 100 Continue', () => {
    const text =
      'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n' +
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n' +
      'HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n';
    expect(parseAll(text, { head: [true, false, false] }).map((r) => [r.status, r.bodyBytes])).toEqual([
      [200, 0],
      [204, 0],
      [304, 0],
    ]);
  });

  it('extracts cache evidence', () => {
    const [r] = parseAll(
      'HTTP/1.1 200 OK\r\nCache-Control: public, max-age=60\r\nETag: "x"\r\nLast-Modified: Mon, 01 Jan 2024 00:00:00 GMT\r\nAge: 12\r\nContent-Length: 0\r\n\r\n',
    );
    expect(r!.cache & CACHE_CONTROL).toBeTruthy();
    expect(r!.cache & CACHEABLE).toBeTruthy();
    expect(r!.cache & ETAG).toBeTruthy();
    expect(r!.cache & LAST_MODIFIED).toBeTruthy();
    expect(r!.cache & CACHE_HIT).toBeTruthy();
    const [p] = parseAll('HTTP/1.1 200 OK\r\nCache-Control: private, max-age=60\r\nContent-Length: 0\r\n\r\n');
    expect(p!.cache & CACHEABLE).toBe(0);
  });

  it('rejects garbage and conflicting lengths', () => {
    expect(() => parseAll('SSH-2.0-OpenSSH_9.0\r\n\r\n')).toThrow(HttpParseError);
    expect(() => parseAll('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab')).toThrow(/conflicting/);
    expect(() => parseAll('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n')).toThrow(/chunk size/);
    expect(() => parseAll('HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n')).toThrow(/Content-Length/);
  });

  it('gives the same result however the bytes are split across TCP segments (property)', () => {
    const responses = [
      'HTTP/1.1 200 OK\r\nContent-Length: 11\r\nETag: "a"\r\n\r\nhello world',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n',
      'HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n',
    ];
    const whole = responses.join('');
    const expected = parseAll(whole).map((r) => [r.status, r.body!.toString(), r.cache]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: whole.length - 1 }), { maxLength: 12 }), (splits) => {
        const got = parseAll(whole, { splits }).map((r) => [r.status, r.body!.toString(), r.cache]);
        expect(got).toEqual(expected);
        const reused = parseAll(whole, { splits, reuse: true }).map((r) => [r.status, r.body!.toString(), r.cache]);
        expect(reused).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
