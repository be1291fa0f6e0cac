import { defined } from '../common/errors.js';
import { newHistogram, type Histogram } from './histogram.js';
import { CACHE_CONTROL, CACHE_HIT, CACHE_MISS, CACHEABLE, ETAG, LAST_MODIFIED } from './http1-parser.js';

/**
 * What one generator thread measured since its last flush. Flushed every 250 ms to the
 * coordinator (as objects in-process, with histograms encoded when posted from a worker),
 * which merges deltas from every thread. Nothing here grows with the request count.
 */
export interface SecondDelta<H> {
  second: number;
  hist: H;
  count: number;
  failed: number;
  dropped: number;
}

/** Per endpoint: responses, with Cache-Control, cacheable, with ETag, with Last-Modified, cache hits, cache misses. */
export type CacheCounts = [responses: number, cacheControl: number, cacheable: number, etag: number, lastModified: number, hits: number, misses: number];

export function newCacheCounts(): CacheCounts {
  return [0, 0, 0, 0, 0, 0, 0];
}

export function addCacheCounts(into: CacheCounts, from: CacheCounts): void {
  into[0] += from[0];
  into[1] += from[1];
  into[2] += from[2];
  into[3] += from[3];
  into[4] += from[4];
  into[5] += from[5];
  into[6] += from[6];
}

export interface EndpointDelta<H> {
  hist: H;
  count: number;
  failed: number;
  cache: CacheCounts;
}

export interface ErrorDelta {
  kind: string;
  status?: number;
  count: number;
  example?: string;
}

export interface MetricsDelta<H> {
  /** Time covered (ms since the measured start): everything completed before it is included. */
  upToMs: number;
  seconds: Array<SecondDelta<H>>;
  endpoints: Array<EndpointDelta<H>>;
  errors: ErrorDelta[];
  /** [passes, fails] per check, in plan order. */
  checks: Array<[number, number]>;
  dropped: number;
  iterations: number;
  /** VUs running (closed) or requests in flight (open) at flush time. */
  active: number;
}

export class ShardMetrics {
  private seconds = new Map<number, SecondDelta<Histogram>>();
  private endpoints: Array<EndpointDelta<Histogram>>;
  private errors = new Map<string, ErrorDelta>();
  private checks: Array<[number, number]>;
  private dropped = 0;
  private iterations = 0;

  constructor(
    private readonly endpointCount: number,
    private readonly checkCount: number,
  ) {
    this.endpoints = this.freshEndpoints();
    this.checks = this.freshChecks();
  }

  private freshEndpoints(): Array<EndpointDelta<Histogram>> {
    return Array.from({ length: this.endpointCount }, () => ({ hist: newHistogram(), count: 0, failed: 0, cache: newCacheCounts() }));
  }

  private freshChecks(): Array<[number, number]> {
    return Array.from({ length: this.checkCount }, () => [0, 0] as [number, number]);
  }

  private lastBucket: SecondDelta<Histogram> | null = null;

  private secondBucket(second: number): SecondDelta<Histogram> {
    if (this.lastBucket?.second === second) return this.lastBucket;
    let bucket = this.seconds.get(second);
    if (!bucket) {
      const spare = this.spareBuckets.pop();
      if (spare) {
        bucket = spare;
        bucket.second = second;
        bucket.count = bucket.failed = bucket.dropped = 0;
      } else bucket = { second, hist: newHistogram(), count: 0, failed: 0, dropped: 0 };
      this.seconds.set(second, bucket);
    }
    this.lastBucket = bucket;
    return bucket;
  }

  /** One finished request. `latencyUs` < 0: no latency to record (never connected). */
  recordRequest(endpoint: number, second: number, latencyUs: number, failed: boolean, cacheFlags: number, responded: boolean): void {
    const bucket = this.secondBucket(second);
    const ep = defined(this.endpoints[endpoint], "the request's endpoint totals");
    bucket.count++;
    ep.count++;
    if (failed) {
      bucket.failed++;
      ep.failed++;
    }
    if (latencyUs >= 0) {
      const value = Math.max(1, Math.round(latencyUs));
      bucket.hist.recordValue(value);
      ep.hist.recordValue(value);
    }
    if (responded) {
      const c = ep.cache;
      c[0]++;
      if (cacheFlags !== 0) {
        if (cacheFlags & CACHE_CONTROL) c[1]++;
        if (cacheFlags & CACHEABLE) c[2]++;
        if (cacheFlags & ETAG) c[3]++;
        if (cacheFlags & LAST_MODIFIED) c[4]++;
        if (cacheFlags & CACHE_HIT) c[5]++;
        if (cacheFlags & CACHE_MISS) c[6]++;
      }
    }
  }

  recordError(kind: string, status: number | undefined, message: string | undefined): void {
    const key = status ? `${kind}:${status}` : kind;
    const entry = this.errors.get(key);
    if (entry) entry.count++;
    else this.errors.set(key, { kind, ...(status ? { status } : {}), count: 1, ...(message ? { example: message } : {}) });
  }

  recordCheck(check: number, pass: boolean): void {
    defined(this.checks[check], 'the pass/fail counts of the check')[pass ? 0 : 1]++;
  }

  recordDropped(second: number): void {
    this.dropped++;
    this.secondBucket(second).dropped++;
  }

  recordIteration(): void {
    this.iterations++;
  }

  private spareBuckets: Array<SecondDelta<Histogram>> = [];

  /**
   * Hands everything recorded since the last flush to `consume` (which must use it
   * synchronously: merge it or encode it), then resets the histograms in place for reuse —
   * allocating fresh ones four times a second per thread showed up as GC time.
   */
  flush(upToMs: number, active: number, consume: (delta: MetricsDelta<Histogram>) => void): void {
    const seconds = [...this.seconds.values()];
    consume({
      upToMs,
      seconds,
      endpoints: this.endpoints,
      errors: [...this.errors.values()],
      checks: this.checks,
      dropped: this.dropped,
      iterations: this.iterations,
      active,
    });
    for (const bucket of seconds) {
      bucket.hist.reset();
      this.spareBuckets.push(bucket);
    }
    this.seconds.clear();
    this.lastBucket = null;
    for (const e of this.endpoints) {
      if (e.count > 0) e.hist.reset();
      e.count = 0;
      e.failed = 0;
      e.cache.fill(0);
    }
    this.errors = new Map();
    for (const c of this.checks) c[0] = c[1] = 0;
    this.dropped = 0;
    this.iterations = 0;
  }
}
