import { performance } from 'node:perf_hooks';
import { portOfUrl } from '../../common/hosts.js';
import { mergeInto, newHistogram, percentileMs, type Histogram } from '../histogram.js';
import type { ErrorKind } from '../connection.js';
import { type BuiltinMetrics, MetricRegistry, type Tags } from './metrics.js';

/**
 * Everything a k6 run measures, in one place: the k6 metric registry (what thresholds and
 * handleSummary read) plus the breakdowns our result shows — per group, per request name,
 * per second, errors by kind, checks by path. Single-threaded: every VU runs on this loop.
 */
export interface RequestSample {
  /** null when no sub-metric of an HTTP metric selects by tag (`httpTagged` false): nothing reads them. */
  tags: Tags | null;
  /** The `group` and `name` tags (always needed: the per-group and per-endpoint totals). */
  group: string;
  name: string;
  method: string;
  url: string;
  status: number;
  /** null: no response callback (k6 then emits no http_req_failed sample). */
  failed: boolean | null;
  blocked: number;
  connecting: number;
  tlsHandshaking: number;
  sending: number;
  waiting: number;
  receiving: number;
  duration: number;
  sentBytes: number;
  receivedBytes: number;
  errorKind?: ErrorKind;
  errorMessage?: string;
  /** performance.now() when the response ended (which second of the timeline it counts in). */
  at: number;
}

export interface GroupTotals {
  name: string;
  path: string;
  requests: number;
  hist: Histogram;
  passes: number;
  fails: number;
}

export interface CheckTotals {
  name: string;
  path: string;
  group: string;
  passes: number;
  fails: number;
}

interface SecondTotals {
  count: number;
  failed: number;
  hist: Histogram;
  vus: number;
  dropped: number;
  iterations: number;
}

const HTTP_METRICS = [
  'http_reqs',
  'http_req_failed',
  'http_req_duration',
  'http_req_blocked',
  'http_req_connecting',
  'http_req_tls_handshaking',
  'http_req_sending',
  'http_req_waiting',
  'http_req_receiving',
  'data_sent',
  'data_received',
] as const;

/** Stands in for a sample's tags when no sub-metric reads them (see `httpTagged`). */
const NO_TAGS: Tags = Object.freeze({}) as Tags;

export class K6Collector {
  readonly registry = new MetricRegistry();
  readonly startedAt = performance.now();
  readonly groups = new Map<string, GroupTotals>();
  readonly checks = new Map<string, CheckTotals>();
  readonly endpoints = new Map<string, { name: string; method: string; url: string; count: number; failed: number; hist: Histogram }>();
  readonly errors = new Map<string, { kind: string; status?: number; count: number; example?: string }>();
  /** host:port → requests it refused (a connect answered by RST); filled on that error path only. */
  private readonly refusedByOrigin = new Map<string, number>();
  readonly seconds: SecondTotals[] = [];
  requests = 0;
  failedRequests = 0;
  iterationsDone = 0;
  interrupted = 0;
  dropped = 0;
  vusActive = 0;
  vusMax = 0;
  private start = performance.now();
  /** The built-in metrics every sample goes into. */
  private readonly m: BuiltinMetrics = this.registry.builtin;
  /** Hot-path look-ups without building a key string per sample: method → name → totals, group → check name → totals. */
  private readonly endpointIndex = new Map<
    string,
    Map<string, { name: string; method: string; url: string; count: number; failed: number; hist: Histogram }>
  >();
  private readonly checkIndex = new Map<string, Map<string, CheckTotals>>();
  private lastGroup: GroupTotals | null = null;
  private currentSecond: SecondTotals | null = null;
  private currentSecondEnd = -Infinity;
  private currentSecondStart = Infinity;

  /** Set once the measured part begins (after setup()); timeline seconds count from it. */
  get testStart(): number {
    return this.start;
  }

  set testStart(ms: number) {
    this.start = ms;
    this.currentSecond = null;
  }

  /** Every response's duration (µs), all seconds merged: each is recorded in exactly one second. */
  get overall(): Histogram {
    const h = newHistogram();
    for (const s of this.seconds) mergeInto(h, s.hist);
    return h;
  }

  /** Do the HTTP metrics have tag-selected sub-metrics (thresholds like `http_req_duration{name:x}`)? Else samples need no tag object. */
  get httpTagged(): boolean {
    const m = this.m;
    for (const name of HTTP_METRICS) if (m[name].submetrics.length) return true;
    return false;
  }

  /** Same for `checks` and `group_duration`. */
  get checksTagged(): boolean {
    return this.m.checks.submetrics.length > 0;
  }

  get groupsTagged(): boolean {
    return this.m.group_duration.submetrics.length > 0;
  }

  private second(now = performance.now()): SecondTotals {
    if (now < this.currentSecondEnd && now >= this.currentSecondStart && this.currentSecond) return this.currentSecond;
    const index = Math.max(0, Math.floor((now - this.testStart) / 1000));
    // Seconds without samples get their own (empty) entry: the timeline has one per second.
    const fresh = (): SecondTotals => ({ count: 0, failed: 0, hist: newHistogram(), vus: this.vusActive, dropped: 0, iterations: 0 });
    while (this.seconds.length < index) this.seconds.push(fresh());
    let sec = this.seconds[index];
    if (sec === undefined) {
      sec = fresh();
      this.seconds.push(sec);
    }
    // Cached with its bounds: one clock read per sample, no division (testStart's setter drops it).
    this.currentSecond = sec;
    this.currentSecondStart = this.testStart + index * 1000;
    this.currentSecondEnd = this.currentSecondStart + 1000;
    if (now < this.currentSecondStart) this.currentSecondStart = -Infinity;
    return sec;
  }

  private group(path: string): GroupTotals {
    const last = this.lastGroup;
    if (last && last.path === path) return last;
    let g = this.groups.get(path);
    if (!g) {
      g = { name: path.split('::').pop() ?? '', path, requests: 0, hist: newHistogram(), passes: 0, fails: 0 };
      this.groups.set(path, g);
    }
    this.lastGroup = g;
    return g;
  }

  request(s: RequestSample): void {
    const r = this.registry;
    const m = this.m;
    const tags = s.tags ?? NO_TAGS;
    r.add(m.http_reqs, 1, tags);
    r.add(m.http_req_duration, s.duration, tags);
    r.add(m.http_req_blocked, s.blocked, tags);
    r.add(m.http_req_connecting, s.connecting, tags);
    r.add(m.http_req_tls_handshaking, s.tlsHandshaking, tags);
    r.add(m.http_req_sending, s.sending, tags);
    r.add(m.http_req_waiting, s.waiting, tags);
    r.add(m.http_req_receiving, s.receiving, tags);
    r.add(m.data_sent, s.sentBytes, tags);
    r.add(m.data_received, s.receivedBytes, tags);
    if (s.failed !== null) r.add(m.http_req_failed, s.failed ? 1 : 0, tags);
    const failed = s.failed === true || s.status === 0;
    const us = Math.max(1, Math.round(s.duration * 1000));
    const responded = s.status !== 0;
    this.requests++;
    if (failed) this.failedRequests++;
    const sec = this.second(s.at);
    sec.count++;
    if (failed) sec.failed++;
    if (responded) sec.hist.recordValue(us);
    const g = this.group(s.group);
    g.requests++;
    if (responded) g.hist.recordValue(us);
    let byName = this.endpointIndex.get(s.method);
    if (!byName) this.endpointIndex.set(s.method, (byName = new Map()));
    let e = byName.get(s.name);
    if (!e) {
      const key = `${s.method} ${s.name}`;
      e = this.endpoints.get(key) ?? { name: s.name, method: s.method, url: s.url, count: 0, failed: 0, hist: newHistogram() };
      this.endpoints.set(key, e);
      if (byName.size < 10_000) byName.set(s.name, e);
    }
    e.count++;
    if (failed) e.failed++;
    if (responded) e.hist.recordValue(us);
    if (s.errorKind) {
      if (s.errorKind === 'connection_refused') this.refused(s.url);
      this.error(s.errorKind, undefined, s.errorMessage);
    } else if (failed) this.error('http_status', s.status, `${s.method} ${s.url}`);
  }

  private refused(url: string): void {
    const origin = originOf(url);
    if (origin) this.refusedByOrigin.set(origin, (this.refusedByOrigin.get(origin) ?? 0) + 1);
  }

  /**
   * Origins that refused connections and never answered a request: nothing was listening there
   * for the whole run. (An origin that refused some connections but answered others was
   * restarting or overloaded — something the run measured, not a mistake in it.)
   */
  notListening(): Array<{ origin: string; refused: number }> {
    const answered = new Map<string, number>();
    for (const e of this.endpoints.values()) {
      const origin = originOf(e.url);
      if (origin) answered.set(origin, (answered.get(origin) ?? 0) + e.hist.totalCount);
    }
    return [...this.refusedByOrigin]
      .filter(([origin]) => !answered.get(origin))
      .map(([origin, refused]) => ({ origin, refused }))
      .sort((a, b) => b.refused - a.refused);
  }

  error(kind: string, status: number | undefined, example: string | undefined): void {
    const key = status ? `${kind}:${status}` : kind;
    const entry = this.errors.get(key);
    if (entry) entry.count++;
    else this.errors.set(key, { kind, ...(status ? { status } : {}), count: 1, ...(example ? { example: example.slice(0, 200) } : {}) });
  }

  /** `tags` null when `checksTagged` is false (no sub-metric reads them). */
  check(name: string, groupPath: string, ok: boolean, tags: Tags | null): void {
    this.registry.add(this.m.checks, ok ? 1 : 0, tags ?? NO_TAGS);
    let byName = this.checkIndex.get(groupPath);
    if (!byName) this.checkIndex.set(groupPath, (byName = new Map()));
    let c = byName.get(name);
    if (!c) {
      const path = `${groupPath}::${name}`;
      c = this.checks.get(path) ?? { name, path, group: groupPath, passes: 0, fails: 0 };
      this.checks.set(path, c);
      if (byName.size < 10_000) byName.set(name, c);
    }
    if (ok) c.passes++;
    else c.fails++;
    const g = this.group(groupPath);
    if (ok) g.passes++;
    else g.fails++;
  }

  groupDuration(path: string, ms: number, tags: Tags | null): void {
    this.group(path);
    this.registry.add(this.m.group_duration, ms, tags ?? NO_TAGS);
  }

  iteration(ms: number, tags: Tags, now?: number): void {
    this.iterationsDone++;
    this.second(now).iterations++;
    this.registry.add(this.m.iterations, 1, tags);
    this.registry.add(this.m.iteration_duration, ms, tags);
  }

  droppedIteration(tags: Tags): void {
    this.dropped++;
    this.second().dropped++;
    this.registry.add(this.m.dropped_iterations, 1, tags);
  }

  vus(active: number, max: number, now?: number): void {
    this.vusActive = active;
    if (max > this.vusMax) {
      this.vusMax = max;
      this.registry.add(this.m.vus_max, max, {});
    }
    const sec = this.second(now);
    sec.vus = Math.max(sec.vus, active);
  }

  /** Once a second: the `vus` gauge, as k6 samples it. */
  sampleVus(): void {
    this.registry.add(this.m.vus, this.vusActive, {});
  }

  timeline(measuredS: number): Array<{ t: number; rps: number; p50: number; p99: number; errors: number; active: number; dropped?: number }> {
    return this.seconds.map((s, t) => {
      const span = Math.min(1, Math.max(0.001, measuredS - t));
      return {
        t,
        rps: Math.round((s.count / span) * 10) / 10,
        p50: percentileMs(s.hist, 50),
        p99: percentileMs(s.hist, 99),
        errors: s.failed,
        active: s.vus,
        ...(s.dropped ? { dropped: s.dropped } : {}),
      };
    });
  }
}

function originOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return `${u.hostname}:${portOfUrl(u)}`;
  } catch {
    return undefined;
  }
}
