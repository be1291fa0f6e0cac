import { availableParallelism } from 'node:os';
import { UserError } from '../common/errors.js';
import { portOfUrl } from '../common/hosts.js';
import { parseDurationMs } from '../common/units.js';
import type { PerfConfig, PerfTargets } from '../store/config.js';
import type { LoadTestInput } from './schema.js';
import { defaultThresholds, parseThresholds, type ThresholdSpec } from './thresholds.js';

/**
 * The normalised, validated form of the input that every generator thread receives.
 * Plain data only (it is posted to worker threads by structured clone).
 */
export interface PlannedRequest {
  index: number;
  name: string;
  method: string;
  url: string;
  /** scheme://host:port — one connection pool per origin. */
  origin: string;
  protocol: 'http:' | 'https:';
  hostname: string;
  port: number;
  /** Path plus query, as sent on the request line. */
  path: string;
  /** Host header value (host[:port] as in the URL). */
  hostHeader: string;
  headers: Record<string, string>;
  body?: string;
  weight: number;
  expect: {
    /** null: k6's default, 200–399 is success. */
    statuses: number[] | null;
    bodyIncludes?: string;
    maxLatencyMs?: number;
  };
}

export interface PlannedStage {
  durationMs: number;
  target: number;
}

/** A check on every response of one request, with what it expects. */
export type CheckSpec = { name: string; request: number } & (
  | { kind: 'status'; statuses: number[] }
  | { kind: 'body'; includes: string }
  | { kind: 'latency'; maxLatencyMs: number }
);

/** At least one: a plan always has a first request. */
export type NonEmpty<T> = [T, ...T[]];

export interface LoadPlan {
  model: 'open' | 'closed';
  requests: NonEmpty<PlannedRequest>;
  sequence: boolean;
  /** Closed model: steady virtual users. Open model: the in-flight cap. */
  connections: number;
  /** Open model: steady rate (req/s) when there are no stages. */
  rate: number;
  /** Piecewise-linear profile of the target (VUs or rate) over the measured part. */
  stages: PlannedStage[];
  /** Where the profile starts (k6: startVUs 1 for ramping-vus, startRate 0 for ramping-arrival-rate). */
  startTarget: number;
  durationMs: number;
  warmupMs: number;
  /** Target during warm-up. */
  warmupTarget: number;
  timeoutMs: number;
  pipelining: number;
  http2: boolean;
  engine: 'fast' | 'undici';
  workers: number;
  insecureTls: boolean;
  thresholds: ThresholdSpec[];
  thresholdsFromConfig: boolean;
  checks: CheckSpec[];
  /** Pinned addresses per hostname (resolved once by the allow-list check). */
  addresses: Record<string, string>;
  title: string;
}

const METHOD = /^[A-Za-z]+$/;
const DEFAULT_OPEN_CAP = 1000;
// RFC 9110 token characters for header names; values must not contain CR/LF (header injection).
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function parseUrl(text: string, where: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UserError(`invalid URL "${text}" in ${where}`, 'give a full URL such as http://127.0.0.1:3000/path');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UserError(`unsupported scheme "${url.protocol}" in ${where} ("${text}")`, 'use http:// or https://');
  }
  return url;
}

function checkHeaders(headers: Record<string, string>, where: string): Record<string, string> {
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) throw new UserError(`invalid header name "${name}" in ${where}`, 'header names are letters, digits and -');
    if (/[\r\n\0]/.test(value)) throw new UserError(`header "${name}" in ${where} contains a line break`, 'remove CR/LF from header values');
  }
  return headers;
}

export function defaultRequestName(method: string, url: URL): string {
  return `${method} ${url.pathname}${url.search}`;
}

function planRequests(input: LoadTestInput): NonEmpty<PlannedRequest> {
  const raw =
    input.requests ??
    (input.url !== undefined ? [{ url: input.url, method: input.method, headers: input.headers, body: input.body, expect: input.expect }] : undefined);
  if (!raw) throw new UserError('nothing to load: give `url` or `requests`', 'e.g. {"url": "http://127.0.0.1:3000/", "duration": "10s"}');
  if (input.requests && input.url !== undefined) {
    throw new UserError('give either `url` or `requests`, not both', 'put the URL into `requests` as one more entry');
  }
  const names = new Set<string>();
  const [first, ...more] = raw.map((spec, index): PlannedRequest => {
    const where = input.requests ? `requests[${index}]` : 'url';
    const url = parseUrl(spec.url, where);
    const method = (spec.method ?? 'GET').toUpperCase();
    if (!METHOD.test(method)) throw new UserError(`invalid method "${spec.method}" in ${where}`, 'use GET, POST, PUT, …');
    let name = ('name' in spec && spec.name) || defaultRequestName(method, url);
    if (names.has(name)) name = `${name} #${index + 1}`;
    names.add(name);
    const statusSpec = spec.expect?.status;
    const statuses = statusSpec === undefined ? null : Array.isArray(statusSpec) ? statusSpec : [statusSpec];
    return {
      index,
      name,
      method,
      url: url.href,
      origin: url.origin,
      protocol: url.protocol as 'http:' | 'https:',
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: portOfUrl(url),
      path: `${url.pathname || '/'}${url.search}`,
      hostHeader: url.host,
      headers: checkHeaders(spec.headers ?? {}, where),
      body: spec.body,
      weight: ('weight' in spec && spec.weight) || 1,
      expect: { statuses, bodyIncludes: spec.expect?.bodyIncludes, maxLatencyMs: spec.expect?.maxLatencyMs },
    };
  });
  if (!first) throw new UserError('`requests` is empty', 'give at least one request, e.g. [{"url": "http://127.0.0.1:3000/"}]');
  return [first, ...more];
}

function planChecks(requests: PlannedRequest[]): CheckSpec[] {
  const checks: CheckSpec[] = [];
  for (const r of requests) {
    const { statuses, bodyIncludes, maxLatencyMs } = r.expect;
    if (statuses) checks.push({ name: `${r.name}: status is ${statuses.join(' or ')}`, request: r.index, kind: 'status', statuses });
    if (bodyIncludes !== undefined) {
      checks.push({ name: `${r.name}: body includes ${JSON.stringify(bodyIncludes)}`, request: r.index, kind: 'body', includes: bodyIncludes });
    }
    if (maxLatencyMs !== undefined) checks.push({ name: `${r.name}: latency < ${maxLatencyMs} ms`, request: r.index, kind: 'latency', maxLatencyMs });
  }
  return checks;
}

/** Validates everything that does not need the network and fills in defaults. */
export function buildPlan(
  input: LoadTestInput,
  config: PerfConfig,
  options: { addresses?: Record<string, string>; configuredTargets?: ReadonlySet<keyof PerfTargets> } = {},
): LoadPlan {
  const requests = planRequests(input);
  const model = input.rate !== undefined ? 'open' : 'closed';
  const caps = config.load;
  const stages = (input.stages ?? []).map((stage, i) => {
    const durationMs = parseDurationMs(stage.duration, `stages[${i}].duration`);
    if (durationMs <= 0) throw new UserError(`stages[${i}].duration "${stage.duration}" must be longer than zero`);
    if (model === 'closed' && !Number.isInteger(stage.target)) {
      throw new UserError(`stages[${i}].target ${stage.target} must be a whole number of connections in the closed model`);
    }
    return { durationMs, target: stage.target };
  });
  const durationMs = stages.length ? stages.reduce((sum, s) => sum + s.durationMs, 0) : parseDurationMs(input.duration ?? '10s', 'duration');
  if (durationMs <= 0) throw new UserError(`duration "${input.duration}" must be longer than zero`, 'e.g. "10s"');
  const warmupMs = input.warmup === undefined ? 0 : parseDurationMs(input.warmup, 'warmup');
  if (durationMs + warmupMs > caps.maxDurationS * 1000) {
    throw new UserError(
      `duration ${(durationMs + warmupMs) / 1000} s (with warm-up) is over the cap of ${caps.maxDurationS} s`,
      'shorten the run or raise "load.maxDurationS" in .perf/config.json',
    );
  }
  const timeoutS = input.timeoutMs / 1000;
  let connections: number;
  let rate = 0;
  if (input.rate !== undefined) {
    // The open model (`model` is 'open' exactly when a rate is given).
    rate = input.rate;
    const peakRate = Math.max(rate, ...stages.map((s) => s.target));
    if (peakRate > caps.maxRate) {
      throw new UserError(`rate ${peakRate}/s is over the cap of ${caps.maxRate}/s`, 'lower it or raise "load.maxRate" in .perf/config.json');
    }
    // "Enough" in-flight slots by Little's law — the peak rate times the timeout, so a slow
    // server shows up as latency (up to the timeout) rather than as drops — but at most
    // DEFAULT_OPEN_CAP: past that, a generator that falls behind opens thousands of sockets
    // in bursts and spirals (measured: 10 000 sockets, 7 s event-loop lag, 290 MB at
    // 20k req/s on a busy machine). Connections open lazily; a higher cap is one flag away.
    connections = input.connections ?? Math.min(caps.maxConnections, Math.max(64, Math.min(DEFAULT_OPEN_CAP, Math.ceil(peakRate * timeoutS))));
  } else {
    connections = input.connections ?? 10;
  }
  const peakConnections = Math.max(connections, ...(model === 'closed' ? stages.map((s) => s.target) : []));
  if (peakConnections > caps.maxConnections) {
    throw new UserError(
      `${peakConnections} connections is over the cap of ${caps.maxConnections}`,
      'lower it or raise "load.maxConnections" in .perf/config.json',
    );
  }
  const plainHttp = requests.every((r) => r.protocol === 'http:');
  const engine = input.engine === 'undici' || input.http2 || !plainHttp ? 'undici' : 'fast';
  if (input.engine === 'fast' && engine !== 'fast') {
    throw new UserError('engine "fast" only speaks plain HTTP/1.1 (http://, no http2)', 'use engine "auto" or "undici" for https or HTTP/2');
  }
  const cores = availableParallelism();
  const demanding = model === 'open' ? Math.max(rate, ...stages.map((s) => s.target)) >= 5000 : peakConnections * input.pipelining >= 32;
  const workers = Math.max(1, Math.min(input.workers ?? (demanding ? cores : 1), model === 'closed' ? peakConnections : 64));
  const userThresholds = input.thresholds;
  const thresholds = userThresholds
    ? parseThresholds(userThresholds, requests)
    : defaultThresholds(config.targets, model, options.configuredTargets ?? new Set());
  const startTarget = model === 'open' ? 0 : 1;
  const steady = model === 'open' ? rate : connections;
  return {
    model,
    requests,
    sequence: input.sequence,
    connections,
    rate,
    stages,
    startTarget: stages.length ? startTarget : steady,
    durationMs,
    warmupMs,
    warmupTarget: stages[0]?.target ?? steady,
    timeoutMs: input.timeoutMs,
    pipelining: input.pipelining,
    http2: input.http2,
    engine,
    workers,
    insecureTls: input.insecureTls,
    thresholds,
    thresholdsFromConfig: !userThresholds,
    checks: planChecks(requests),
    addresses: options.addresses ?? {},
    title: input.title ?? (requests.length === 1 ? requests[0].name : `${requests.length} requests`),
  };
}

/** The scheduled target (VUs or rate) at `tMs` after the measured start (negative = warm-up). */
export function targetAt(plan: Pick<LoadPlan, 'stages' | 'startTarget' | 'warmupTarget' | 'durationMs'>, tMs: number): number {
  if (tMs < 0) return plan.warmupTarget;
  if (!plan.stages.length) return plan.startTarget;
  let from = plan.startTarget;
  let at = 0;
  for (const stage of plan.stages) {
    if (tMs < at + stage.durationMs) return from + ((stage.target - from) * (tMs - at)) / stage.durationMs;
    at += stage.durationMs;
    from = stage.target;
  }
  return from;
}

/**
 * Intended send times of an open-model arrival process whose rate follows the profile
 * (constant, or k6 ramping-arrival-rate linear ramps). Arrival n happens when the
 * cumulative arrivals ∫r(t)dt reach n + phase; a linear ramp makes that a quadratic.
 * Times are relative to the measured start; the warm-up runs at a constant rate before it.
 * `share` and `phase` split one process across generator threads without bunching.
 */
export class ArrivalSchedule {
  private readonly segments: Array<{ start: number; duration: number; r0: number; r1: number; a0: number }> = [];
  private n: number;
  private segment = 0;

  constructor(plan: Pick<LoadPlan, 'stages' | 'startTarget' | 'warmupTarget' | 'durationMs' | 'warmupMs'>, share = 1, phase = 0) {
    let start = -plan.warmupMs;
    let a0 = 0;
    const push = (duration: number, r0: number, r1: number) => {
      const s = { start, duration, r0: (r0 * share) / 1000, r1: (r1 * share) / 1000, a0 };
      this.segments.push(s);
      a0 += ((s.r0 + s.r1) / 2) * duration;
      start += duration;
    };
    if (plan.warmupMs > 0) push(plan.warmupMs, plan.warmupTarget, plan.warmupTarget);
    if (plan.stages.length) {
      let from = plan.startTarget;
      for (const stage of plan.stages) {
        push(stage.durationMs, from, stage.target);
        from = stage.target;
      }
    } else {
      push(plan.durationMs, plan.startTarget, plan.startTarget);
    }
    this.n = phase;
  }

  /** The next intended time (ms from the measured start), or undefined when the schedule is over. */
  next(): number | undefined {
    const target = this.n;
    for (let s = this.segments[this.segment]; s !== undefined; s = this.segments[++this.segment]) {
      const total = s.a0 + ((s.r0 + s.r1) / 2) * s.duration;
      if (target < total) {
        const c = s.a0 - target;
        const a = (s.r1 - s.r0) / (2 * s.duration);
        const b = s.r0;
        let tau: number;
        if (Math.abs(a) < 1e-15) tau = -c / b;
        else tau = (-b + Math.sqrt(Math.max(0, b * b - 4 * a * c))) / (2 * a);
        this.n += 1;
        return s.start + Math.min(s.duration, Math.max(0, tau));
      }
    }
    return undefined;
  }
}
