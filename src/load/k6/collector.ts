import { performance } from 'node:perf_hooks';
import { newHistogram, percentileMs, type Histogram } from '../histogram.js';
import type { ErrorKind } from '../connection.js';
import { MetricRegistry, type Metric, type Tags } from './metrics.js';

/**
 * Everything a k6 run measures, in one place: the k6 metric registry (what thresholds and
 * handleSummary read) plus the breakdowns our result shows — per group, per request name,
 * per second, errors by kind, checks by path. Single-threaded: every VU runs on this loop.
 */
export interface RequestSample {
  tags: Tags;
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

export class K6Collector {
  readonly registry = new MetricRegistry();
  readonly startedAt = performance.now();
  readonly groups = new Map<string, GroupTotals>();
  readonly checks = new Map<string, CheckTotals>();
  readonly endpoints = new Map<string, { name: string; method: string; url: string; count: number; failed: number; hist: Histogram }>();
  readonly errors = new Map<string, { kind: string; status?: number; count: number; example?: string }>();
  readonly seconds: SecondTotals[] = [];
  readonly overall = newHistogram();
  requests = 0;
  failedRequests = 0;
  iterationsDone = 0;
  interrupted = 0;
  dropped = 0;
  vusActive = 0;
  vusMax = 0;
  /** Set once the measured part begins (after setup()); timeline seconds count from it. */
  testStart = performance.now();
  private readonly m: Record<string, Metric>;

  constructor() {
    const get = (name: string) => this.registry.get(name)!;
    this.m = Object.fromEntries(
      [
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
        'iterations',
        'iteration_duration',
        'dropped_iterations',
        'checks',
        'group_duration',
        'vus',
        'vus_max',
      ].map((n) => [n, get(n)]),
    );
  }

  private second(): SecondTotals {
    const index = Math.max(0, Math.floor((performance.now() - this.testStart) / 1000));
    while (this.seconds.length <= index) this.seconds.push({ count: 0, failed: 0, hist: newHistogram(), vus: this.vusActive, dropped: 0, iterations: 0 });
    return this.seconds[index]!;
  }

  private group(path: string): GroupTotals {
    let g = this.groups.get(path);
    if (!g) {
      g = { name: path.split('::').pop() ?? '', path, requests: 0, hist: newHistogram(), passes: 0, fails: 0 };
      this.groups.set(path, g);
    }
    return g;
  }

  request(s: RequestSample): void {
    const r = this.registry;
    const m = this.m;
    const tags = s.tags;
    r.add(m.http_reqs!, 1, tags);
    r.add(m.http_req_duration!, s.duration, tags);
    r.add(m.http_req_blocked!, s.blocked, tags);
    r.add(m.http_req_connecting!, s.connecting, tags);
    r.add(m.http_req_tls_handshaking!, s.tlsHandshaking, tags);
    r.add(m.http_req_sending!, s.sending, tags);
    r.add(m.http_req_waiting!, s.waiting, tags);
    r.add(m.http_req_receiving!, s.receiving, tags);
    r.add(m.data_sent!, s.sentBytes, tags);
    r.add(m.data_received!, s.receivedBytes, tags);
    if (s.failed !== null) r.add(m.http_req_failed!, s.failed ? 1 : 0, tags);
    const failed = s.failed === true || s.status === 0;
    const us = Math.max(1, Math.round(s.duration * 1000));
    const responded = s.status !== 0;
    this.requests++;
    if (failed) this.failedRequests++;
    const sec = this.second();
    sec.count++;
    if (failed) sec.failed++;
    if (responded) {
      sec.hist.recordValue(us);
      this.overall.recordValue(us);
    }
    const g = this.group(tags.group ?? '');
    g.requests++;
    if (responded) g.hist.recordValue(us);
    const key = `${s.method} ${tags.name}`;
    let e = this.endpoints.get(key);
    if (!e) {
      e = { name: tags.name ?? s.url, method: s.method, url: s.url, count: 0, failed: 0, hist: newHistogram() };
      this.endpoints.set(key, e);
    }
    e.count++;
    if (failed) e.failed++;
    if (responded) e.hist.recordValue(us);
    if (s.errorKind) this.error(s.errorKind, undefined, s.errorMessage);
    else if (failed) this.error('http_status', s.status, `${s.method} ${s.url}`);
  }

  error(kind: string, status: number | undefined, example: string | undefined): void {
    const key = status ? `${kind}:${status}` : kind;
    const entry = this.errors.get(key);
    if (entry) entry.count++;
    else this.errors.set(key, { kind, ...(status ? { status } : {}), count: 1, ...(example ? { example: example.slice(0, 200) } : {}) });
  }

  check(name: string, groupPath: string, ok: boolean, tags: Tags): void {
    this.registry.add(this.m.checks!, ok ? 1 : 0, tags);
    const path = `${groupPath}::${name}`;
    let c = this.checks.get(path);
    if (!c) {
      c = { name, path, group: groupPath, passes: 0, fails: 0 };
      this.checks.set(path, c);
    }
    if (ok) c.passes++;
    else c.fails++;
    const g = this.group(groupPath);
    if (ok) g.passes++;
    else g.fails++;
  }

  groupDuration(path: string, ms: number, tags: Tags): void {
    this.group(path);
    this.registry.add(this.m.group_duration!, ms, tags);
  }

  iteration(ms: number, tags: Tags): void {
    this.iterationsDone++;
    this.second().iterations++;
    this.registry.add(this.m.iterations!, 1, tags);
    this.registry.add(this.m.iteration_duration!, ms, tags);
  }

  droppedIteration(tags: Tags): void {
    this.dropped++;
    this.second().dropped++;
    this.registry.add(this.m.dropped_iterations!, 1, tags);
  }

  vus(active: number, max: number): void {
    this.vusActive = active;
    if (max > this.vusMax) {
      this.vusMax = max;
      this.registry.add(this.m.vus_max!, max, {});
    }
    const sec = this.second();
    sec.vus = Math.max(sec.vus, active);
  }

  /** Once a second: the `vus` gauge, as k6 samples it. */
  sampleVus(): void {
    this.registry.add(this.m.vus!, this.vusActive, {});
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
