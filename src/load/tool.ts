import { defineTool, suggestCall } from '../common/tool.js';
import { formatMs, formatPct, formatRate, round } from '../common/units.js';
import { type LoadTestInput, type LoadTestOutput, loadTestInputSchema, loadTestOutputSchema } from './schema.js';

/** Verdict, then throughput, p50/p95/p99 and errors; k6 scripts add iterations and VUs; then which thresholds failed. */
function loadBrief(r: LoadTestOutput, word: string): string {
  const errors = r.requests.total ? r.requests.failed / r.requests.total : 0;
  const k6 = r.iterations
    ? `k6 script: ${r.iterations.total} iterations${r.iterations.dropped ? ` (${r.iterations.dropped} dropped)` : ''}, ${r.vusMax ?? 0} VUs max, `
    : '';
  const parts = [
    `${word}: ${k6}${r.requests.total} requests in ${round(r.durationS, 1)} s, ${formatRate(r.throughputRps)}, p50 ${formatMs(r.latencyMs.p50)}, p95 ${formatMs(r.latencyMs.p95)}, p99 ${formatMs(r.latencyMs.p99)}, errors ${formatPct(errors)}`,
  ];
  const failed = r.thresholds.filter((t) => !t.ok);
  if (failed.length)
    parts.push(
      `thresholds failed: ${failed
        .slice(0, 3)
        .map((t) => `${t.metric} ${t.expression} (actual ${t.actual === null ? 'n/a' : round(t.actual, 2)})`)
        .join('; ')}${failed.length > 3 ? ` +${failed.length - 3} more` : ''}`,
    );
  else parts.push(r.thresholds.length ? `all ${r.thresholds.length} thresholds held` : 'no thresholds');
  const failingChecks = r.checks.filter((c) => c.fails > 0);
  if (failingChecks.length)
    parts.push(
      `checks failing: ${failingChecks
        .slice(0, 2)
        .map((c) => `${c.name} ${c.fails}/${c.passes + c.fails}`)
        .join('; ')}`,
    );
  if (r.aborted && r.abortReason) parts.push(`stopped: ${r.abortReason}`);
  // Read from the structured diagnosis, so the numbers survive whatever the warning text says.
  const model = r.closedModel;
  if (model?.state === 'saturated')
    parts.push(
      `saturated, not stalled: ${round(model.users, 1)} users ÷ ${round(model.throughputRps, 1)} req/s = ${round(model.usersOverThroughputMs, 1)} ms vs mean latency measured ${round(model.meanLatencyMs, 1)} ms; for an open model use \`rate: ${Math.round(model.suggestedRate)}\``,
    );
  else if (model?.state === 'stalled') parts.push(`stalled: requests stopped completing for ${model.stalledSeconds ?? 0} s`);
  // Then the first other warning (generator bottleneck, coordinated omission…).
  const warning = r.warnings.find((w) => !model || model.state === 'not saturated' || !/saturat|stopped completing|stalled/i.test(w));
  if (warning) {
    const sentence = warning.replace(/\.$/, ''); // the brief ends with its own full stop
    parts.push(sentence.length > 220 ? `${sentence.slice(0, 219)}…` : sentence);
  }
  return `${parts.join('; ')}.`;
}

/** The same load again, as the key arguments of another tool's `load`. */
function sameLoad(input: LoadTestInput): Record<string, unknown> | undefined {
  if (input.script) return { script: input.script, ...(input.env ? { env: input.env } : {}) };
  const url = input.url ?? input.requests?.[0]?.url;
  if (!url) return undefined;
  return {
    url,
    ...(input.rate ? { rate: input.rate } : { connections: input.connections ?? 10 }),
    duration: input.duration ?? '10s',
  };
}

function loadNext(r: LoadTestOutput, input: LoadTestInput, runId: string | undefined): string[] {
  const next: string[] = [];
  const load = sameLoad(input);
  // A k6 script names its URLs only as it runs: the busiest endpoint says which server it loaded.
  const url = typeof load?.url === 'string' ? load.url : r.endpoints[0]?.url;
  let port: number | undefined;
  try {
    port = url ? Number(new URL(url).port) || undefined : undefined;
  } catch {
    port = undefined;
  }
  if (load) next.push(suggestCall('profile_process', { command: '<the server start command>', waitForPort: port ?? 3000, load }));
  if (runId) next.push(`${suggestCall('compare_benchmarks', { baseline: runId, candidate: 'latest:load' })} after a change and the same run again`);
  if (r.thresholds.some((t) => !t.ok && t.metric.startsWith('http_req_duration')))
    next.push(suggestCall('analyze_query', { sql: '<the slowest statement behind this endpoint>' }));
  return next;
}

export const runLoadTestTool = defineTool({
  name: 'run_load_test',
  title: 'Run an HTTP load test',
  description:
    'Use to see how an HTTP service holds up under load: latency p50–p99, throughput, errors, checks and thresholds (PASSED/FAILED). ' +
    'Give one `url`, a `requests` mix, or an existing k6 `script` (with env/vus/duration/iterations). `connections` = concurrent users; `rate` = arrivals/s; `stages` ramp. Loopback only unless allow-listed. ' +
    'Next: profile_process with the same `load` to see where the time goes; compare_benchmarks against an earlier run id.',
  input: loadTestInputSchema,
  output: loadTestOutputSchema,
  annotations: {
    // It sends real traffic (possibly POST/DELETE) to a server the user chose.
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: false,
    openWorldHint: true,
  },
  budget: 6000,
  async run(input, context) {
    const { runLoadTest } = await import('./index.js');
    return runLoadTest(input, context);
  },
  verdict: (result) => ({ verdict: result.aborted ? 'ABORTED' : result.passed ? 'PASSED' : 'FAILED', failed: result.aborted || !result.passed }),
  brief: (result, _input, verdict) => loadBrief(result, verdict.verdict),
  next: loadNext,
});
