import { defined } from '../common/errors.js';
import type { EndpointTotals, RunAggregate } from './aggregate.js';
import { percentileMs, summarise, type Histogram } from './histogram.js';
import type { LoadPlan } from './plan.js';
import type { LoadTestOutput } from './schema.js';
import { evaluateThreshold, type ThresholdTag } from './thresholds.js';

/**
 * k6 interop. `k6-summary.json` has the shape of the data k6 passes to `handleSummary()`
 * (https://grafana.com/docs/k6/latest/results-output/end-of-test/custom-summary/), so tools
 * that read k6 summaries read ours. `k6-script.js` is the same test as a k6 script, for
 * running it from many machines (k6-operator, Grafana Cloud k6).
 */
function trendValues(h: Histogram): Record<string, number> {
  const s = summarise(h);
  return { avg: s.mean, min: s.min, med: s.p50, max: s.max, 'p(90)': s.p90, 'p(95)': s.p95, 'p(99)': s.p99 };
}

/** The request a threshold's tag names: parseThresholds refuses a tag that names none. */
function taggedEndpoint(agg: RunAggregate, tag: ThresholdTag): EndpointTotals {
  return defined(agg.endpointFor(tag), `the request the threshold tag {${tag.key}:${tag.value}} names`);
}

export function buildK6Summary(plan: LoadPlan, agg: RunAggregate, result: Omit<LoadTestOutput, 'artifacts'>): Record<string, unknown> {
  const durationS = result.durationS;
  const rate = (n: number) => (durationS > 0 ? n / durationS : 0);
  const checkPasses = result.checks.reduce((s, c) => s + c.passes, 0);
  const checkFails = result.checks.reduce((s, c) => s + c.fails, 0);
  const metrics: Record<string, { type: string; contains: string; values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> }> = {
    http_req_duration: { type: 'trend', contains: 'time', values: trendValues(agg.overall) },
    http_reqs: { type: 'counter', contains: 'default', values: { count: agg.total, rate: rate(agg.total) } },
    // k6 rate metrics count non-zero samples as "passes": for http_req_failed that is the failures.
    http_req_failed: {
      type: 'rate',
      contains: 'default',
      values: { rate: agg.total ? agg.failed / agg.total : 0, passes: agg.failed, fails: agg.total - agg.failed },
    },
    iterations: { type: 'counter', contains: 'default', values: { count: agg.iterations, rate: rate(agg.iterations) } },
  };
  if (result.checks.length) {
    metrics.checks = {
      type: 'rate',
      contains: 'default',
      values: { rate: checkPasses + checkFails ? checkPasses / (checkPasses + checkFails) : 0, passes: checkPasses, fails: checkFails },
    };
  }
  if (plan.model === 'open') metrics.dropped_iterations = { type: 'counter', contains: 'default', values: { count: agg.dropped, rate: rate(agg.dropped) } };
  for (const spec of plan.thresholds) {
    if (!metrics[spec.metric] && spec.tag) {
      const e = taggedEndpoint(agg, spec.tag);
      if (spec.name === 'http_req_duration') metrics[spec.metric] = { type: 'trend', contains: 'time', values: trendValues(e.hist) };
      else if (spec.name === 'http_reqs') metrics[spec.metric] = { type: 'counter', contains: 'default', values: { count: e.count, rate: rate(e.count) } };
      else if (spec.name === 'http_req_failed')
        metrics[spec.metric] = {
          type: 'rate',
          contains: 'default',
          values: { rate: e.count ? e.failed / e.count : 0, passes: e.failed, fails: e.count - e.failed },
        };
    }
    const metric = metrics[spec.metric];
    if (!metric) continue;
    if (spec.aggregation === 'p' && metric.type === 'trend') {
      const h = spec.tag ? taggedEndpoint(agg, spec.tag).hist : agg.overall;
      metric.values[`p(${spec.percentile})`] = percentileMs(h, spec.percentile);
    }
    metric.thresholds ??= {};
    metric.thresholds[spec.expression] = { ok: evaluateThreshold(spec, agg).ok };
  }
  return {
    root_group: {
      name: '',
      path: '',
      id: 'd41d8cd98f00b204e9800998ecf8427e',
      groups: [],
      checks: result.checks.map((c) => ({ name: c.name, path: `::${c.name}`, passes: c.passes, fails: c.fails })),
    },
    options: { summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'], summaryTimeUnit: 'ms', noColor: false },
    state: { isStdOutTTY: false, isStdErrTTY: false, testRunDurationMs: durationS * 1000 },
    metrics,
  };
}

function k6Duration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

export function buildK6Script(plan: LoadPlan): string {
  const durationMs = plan.durationMs;
  let scenario: Record<string, unknown>;
  const stages = plan.stages.map((s) => ({ duration: k6Duration(s.durationMs), target: s.target }));
  if (plan.model === 'closed') {
    scenario = plan.stages.length
      ? { executor: 'ramping-vus', startVUs: 1, stages, gracefulRampDown: '5s' }
      : { executor: 'constant-vus', vus: plan.connections, duration: k6Duration(durationMs) };
  } else {
    const peak = Math.max(plan.rate, ...plan.stages.map((s) => s.target));
    const common = { timeUnit: '1s', preAllocatedVUs: Math.min(plan.connections, Math.max(10, Math.ceil(peak / 10))), maxVUs: plan.connections };
    scenario = plan.stages.length
      ? { executor: 'ramping-arrival-rate', startRate: 0, ...common, stages }
      : { executor: 'constant-arrival-rate', rate: plan.rate, duration: k6Duration(durationMs), ...common };
  }
  const thresholds: Record<string, Array<string | Record<string, unknown>>> = {};
  for (const t of plan.thresholds) {
    (thresholds[t.metric] ??= []).push(
      t.abortOnFail
        ? { threshold: t.expression, abortOnFail: true, ...(t.delayAbortEvalMs ? { delayAbortEval: k6Duration(t.delayAbortEvalMs) } : {}) }
        : t.expression,
    );
  }
  const options = {
    scenarios: { [plan.model === 'open' ? 'open_model' : 'closed_model']: scenario },
    thresholds,
    ...(plan.insecureTls ? { insecureSkipTLSVerify: true } : {}),
  };
  const requests = plan.requests.map((r) => ({
    name: r.name,
    method: r.method,
    url: r.url,
    headers: r.headers,
    body: r.body ?? null,
    weight: r.weight,
    expect: r.expect,
  }));
  return `// Generated by performance-engineer (perfeng load) — the same test as a k6 script.
// Run locally:      k6 run k6-script.js
// Beyond one host:  k6-operator (TestRun CRD, spec.parallelism: N) or Grafana Cloud k6 (k6 cloud run k6-script.js).
// With N instances, each runs the full scenario: divide vus/rate by N (k6-operator splits
// them for you with execution segments).
import http from 'k6/http';
import { check } from 'k6';

export const options = ${JSON.stringify(options, null, 2)};

const requests = ${JSON.stringify(requests, null, 2)};
const sequence = ${plan.sequence};
const totalWeight = requests.reduce((sum, r) => sum + r.weight, 0);

function pick() {
  let x = Math.random() * totalWeight;
  for (const r of requests) {
    if ((x -= r.weight) < 0) return r;
  }
  return requests[requests.length - 1];
}

function send(r) {
  const params = { headers: r.headers, tags: { name: r.name }, timeout: '${plan.timeoutMs}ms' };
  if (r.expect.statuses) params.responseCallback = http.expectedStatuses(...r.expect.statuses);
  const res = http.request(r.method, r.url, r.body, params);
  const checks = {};
  if (r.expect.statuses) checks[\`\${r.name}: status is \${r.expect.statuses.join(' or ')}\`] = (x) => r.expect.statuses.includes(x.status);
  if (r.expect.bodyIncludes !== undefined) checks[\`\${r.name}: body includes \${JSON.stringify(r.expect.bodyIncludes)}\`] = (x) => String(x.body).includes(r.expect.bodyIncludes);
  if (r.expect.maxLatencyMs !== undefined) checks[\`\${r.name}: latency < \${r.expect.maxLatencyMs} ms\`] = (x) => x.timings.duration <= r.expect.maxLatencyMs;
  if (Object.keys(checks).length) check(res, checks);
}

export default function () {
  if (sequence) for (const r of requests) send(r);
  else send(pick());
}
`;
}
