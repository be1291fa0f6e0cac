import { defined } from '../common/errors.js';
import { round } from '../common/units.js';
import { decodeHistogram, mergeInto, newHistogram, percentileMs, type Histogram } from './histogram.js';
import { targetAt, type CheckSpec, type LoadPlan, type PlannedRequest } from './plan.js';
import { addCacheCounts, newCacheCounts, type CacheCounts, type MetricsDelta } from './shard-metrics.js';
import type { MetricSource, ThresholdTag } from './thresholds.js';

export interface TimelinePoint {
  t: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  active: number;
  target?: number;
  dropped?: number;
}

export interface EndpointTotals {
  request: PlannedRequest;
  hist: Histogram;
  count: number;
  failed: number;
  cache: CacheCounts;
}

export interface CheckTotals {
  check: CheckSpec;
  passes: number;
  fails: number;
}

interface SecondTotals {
  hist: Histogram;
  count: number;
  failed: number;
  dropped: number;
  active: number;
}

/**
 * The coordinator's view of the run: every thread's deltas merged into whole-run
 * histograms and counters, plus a per-second timeline. A second is finalised (its
 * percentiles computed, its histogram released) once every thread has reported past it,
 * so memory stays flat however long the run.
 */
export class RunAggregate implements MetricSource {
  readonly overall = newHistogram();
  readonly endpoints: EndpointTotals[];
  readonly errors = new Map<string, { kind: string; status?: number; count: number; example?: string }>();
  readonly checks: CheckTotals[];
  total = 0;
  failed = 0;
  dropped = 0;
  iterations = 0;
  /** Measured time so far (ms), for rates. */
  elapsedMs = 0;
  readonly timeline: TimelinePoint[] = [];
  private readonly seconds = new Map<number, SecondTotals>();
  private readonly shardUpTo: number[];
  private readonly shardActive: number[];
  private nextSecond = 0;

  constructor(
    private readonly plan: LoadPlan,
    shards: number,
  ) {
    this.endpoints = plan.requests.map((request) => ({ request, hist: newHistogram(), count: 0, failed: 0, cache: newCacheCounts() }));
    this.checks = plan.checks.map((check) => ({ check, passes: 0, fails: 0 }));
    this.shardUpTo = new Array<number>(shards).fill(-Infinity);
    this.shardActive = new Array<number>(shards).fill(0);
  }

  merge(shard: number, delta: MetricsDelta<Histogram | string>): void {
    const hist = (h: Histogram | string) => (typeof h === 'string' ? decodeHistogram(h) : h);
    for (const s of delta.seconds) {
      const totals = this.second(s.second);
      const h = hist(s.hist);
      mergeInto(totals.hist, h);
      mergeInto(this.overall, h);
      totals.count += s.count;
      totals.failed += s.failed;
      totals.dropped += s.dropped;
      this.total += s.count;
      this.failed += s.failed;
    }
    // Every thread runs the same plan: its endpoints and checks are ours, in the same order.
    delta.endpoints.forEach((e, i) => {
      const totals = defined(this.endpoints[i], "a thread's endpoint in the plan");
      if (e.count > 0) mergeInto(totals.hist, hist(e.hist));
      totals.count += e.count;
      totals.failed += e.failed;
      addCacheCounts(totals.cache, e.cache);
    });
    for (const e of delta.errors) {
      const key = e.status ? `${e.kind}:${e.status}` : e.kind;
      const entry = this.errors.get(key);
      if (entry) entry.count += e.count;
      else this.errors.set(key, { ...e });
    }
    delta.checks.forEach(([pass, fail], i) => {
      const totals = defined(this.checks[i], "a thread's check in the plan");
      totals.passes += pass;
      totals.fails += fail;
    });
    this.dropped += delta.dropped;
    this.iterations += delta.iterations;
    this.shardUpTo[shard] = delta.upToMs;
    this.shardActive[shard] = delta.active;
    if (delta.upToMs >= 0) {
      const active = this.shardActive.reduce((a, b) => a + b, 0);
      const totals = this.second(Math.floor(delta.upToMs / 1000));
      totals.active = Math.max(totals.active, active);
    }
  }

  private second(index: number): SecondTotals {
    let totals = this.seconds.get(index);
    if (!totals) {
      totals = { hist: newHistogram(), count: 0, failed: 0, dropped: 0, active: 0 };
      this.seconds.set(index, totals);
    }
    return totals;
  }

  /** Turns every second all threads have passed into a timeline point. `final` flushes the rest. */
  finalise(final = false, measuredMs = this.elapsedMs): void {
    const upTo = final ? Math.ceil(measuredMs / 1000) : Math.floor(Math.min(...this.shardUpTo) / 1000);
    while (this.nextSecond < upTo) {
      const s = this.nextSecond++;
      const totals = this.seconds.get(s);
      this.seconds.delete(s);
      // The last second may be partial (the run ended or was aborted inside it).
      const span = Math.min(1, Math.max(0.001, (measuredMs - s * 1000) / 1000));
      const point: TimelinePoint = {
        t: s,
        rps: round((totals?.count ?? 0) / (final ? span : 1), 1),
        p50: totals ? percentileMs(totals.hist, 50) : 0,
        p99: totals ? percentileMs(totals.hist, 99) : 0,
        errors: totals?.failed ?? 0,
        active: totals?.active ?? this.timeline.at(-1)?.active ?? 0,
        target: round(targetAt(this.plan, s * 1000 + 500), 1),
        ...(this.plan.model === 'open' ? { dropped: totals?.dropped ?? 0 } : {}),
      };
      this.timeline.push(point);
    }
    if (final) this.seconds.clear();
  }

  // ---- MetricSource (thresholds) --------------------------------------------------------

  /** The request a threshold's tag selects (`{name:…}` or `{url:…}`), if any. */
  endpointFor(tag: ThresholdTag): EndpointTotals | undefined {
    return this.endpoints.find(({ request }) => (tag.key === 'name' ? request.name === tag.value : request.url === tag.value));
  }

  trend(aggregation: 'avg' | 'min' | 'max' | 'med' | 'p', percentile: number | undefined, tag?: ThresholdTag): number | null {
    const h = tag ? this.endpointFor(tag)?.hist : this.overall;
    if (!h || h.totalCount === 0) return null;
    switch (aggregation) {
      case 'avg':
        return round(h.mean / 1000, 3);
      case 'min':
        return round(h.minNonZeroValue / 1000, 3);
      case 'max':
        return round(h.maxValue / 1000, 3);
      case 'med':
        return percentileMs(h, 50);
      case 'p':
        return percentileMs(h, percentile ?? 50);
    }
  }

  rate(metric: 'http_req_failed' | 'checks', tag?: ThresholdTag): number | null {
    const e = tag ? this.endpointFor(tag) : undefined;
    if (metric === 'http_req_failed') {
      const total = e ? e.count : this.total;
      const failed = e ? e.failed : this.failed;
      return total > 0 ? failed / total : null;
    }
    let pass = 0;
    let fail = 0;
    for (const { check, passes, fails } of this.checks) {
      if (e && check.request !== e.request.index) continue;
      pass += passes;
      fail += fails;
    }
    return pass + fail > 0 ? pass / (pass + fail) : null;
  }

  count(metric: 'http_reqs' | 'dropped_iterations' | 'iterations', tag?: ThresholdTag): number {
    if (metric === 'dropped_iterations') return this.dropped;
    if (metric === 'iterations') return this.iterations;
    return tag ? (this.endpointFor(tag)?.count ?? 0) : this.total;
  }

  elapsedS(): number {
    return this.elapsedMs / 1000;
  }
}
