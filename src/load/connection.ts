import type { PlannedRequest } from './plan.js';

/**
 * What both clients (raw-socket fast path and undici) offer the scheduler: one connection
 * to one origin that can carry `capacity` requests at once (pipelining / HTTP/2 streams).
 */
export interface RuntimeRequest extends PlannedRequest {
  /** Fast path: the whole request, serialised once. */
  wire?: Buffer;
  /** Whether the response body must be kept (a bodyIncludes check). */
  captureBody: boolean;
  isHead: boolean;
  /** k6 scripts: keep the response header block (text) and capture bodies up to this size. */
  captureHeaders?: boolean;
  maxCapture?: number;
}

export interface RequestContext {
  request: RuntimeRequest;
  /** Latency origin (ms, performance.now of this thread): intended time (open) or send time (closed). */
  startMs: number;
  /** Counted in the results (false during warm-up). */
  measured: boolean;
  retries: number;
  /** Scheduler bookkeeping (VU, iteration). */
  owner: unknown;
}

export type ErrorKind = 'connection_refused' | 'dns' | 'tls' | 'timeout' | 'reset' | 'protocol' | 'http_status' | 'aborted' | 'other';

export interface Outcome {
  /** 0 when no response arrived. */
  status: number;
  errorKind?: ErrorKind;
  errorMessage?: string;
  /** Cache flags from http1-parser. */
  cache: number;
  body?: Buffer;
  /** Fast path with `captureHeaders`: header lines after the status line, reason phrase, body size. */
  head?: string;
  reason?: string;
  bodyBytes?: number;
}

export type CompleteFn = (context: RequestContext, outcome: Outcome) => void;

export interface Connection {
  readonly inFlight: number;
  readonly capacity: number;
  send(context: RequestContext): void;
  /** Fails nothing: in-flight requests are dropped silently (used at stop/cancel). */
  destroy(): void;
  /** Fails requests that have waited longer than the timeout (called from a sweep timer). */
  sweep(nowMs: number, timeoutMs: number): void;
}

const CODE_KINDS = new Map<string, ErrorKind>(
  Object.entries({
    ECONNREFUSED: 'connection_refused',
    ENOTFOUND: 'dns',
    EAI_AGAIN: 'dns',
    EAI_FAIL: 'dns',
    ECONNRESET: 'reset',
    EPIPE: 'reset',
    ECONNABORTED: 'reset',
    UND_ERR_SOCKET: 'reset',
    UND_ERR_CLOSED: 'reset',
    ETIMEDOUT: 'timeout',
    UND_ERR_CONNECT_TIMEOUT: 'timeout',
    UND_ERR_HEADERS_TIMEOUT: 'timeout',
    UND_ERR_BODY_TIMEOUT: 'timeout',
    HPE_INVALID_CONSTANT: 'protocol',
    UND_ERR_RESPONSE_STATUS_CODE: 'http_status',
    UND_ERR_INFO: 'protocol',
    UND_ERR_ABORTED: 'aborted',
    ABORT_ERR: 'aborted',
  } satisfies Record<string, ErrorKind>),
);

/** Sorts a client error into the kinds reported under `errors`. */
export function classifyError(error: unknown): { kind: ErrorKind; message: string } {
  const e = error as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = e?.code ?? e?.cause?.code ?? '';
  const message = `${code ? `${code}: ` : ''}${e?.message ?? String(error)}`.slice(0, 200);
  const known = CODE_KINDS.get(code);
  if (known) return { kind: known, message };
  if (/^(ERR_TLS|ERR_SSL|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|ERR_OSSL|HOSTNAME_MISMATCH)/.test(code) || /SSL|TLS|certificate/i.test(e?.message ?? '')) {
    return { kind: 'tls', message };
  }
  if (code.startsWith('HPE_') || code === 'UND_ERR_INVALID_ARG' || e?.name === 'HttpParseError') return { kind: 'protocol', message };
  if (e?.name === 'AbortError') return { kind: 'aborted', message };
  return { kind: 'other', message };
}
