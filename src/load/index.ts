import type { RunContext, ToolOutcome } from '../common/context.js';
import { UserError } from '../common/errors.js';
import { assertHostAllowed } from '../common/hosts.js';
import { formatMs, formatPct, formatRate } from '../common/units.js';
import { createRun } from '../store/runs.js';
import { runEngine } from './engine.js';
import { encodeHistogram } from './histogram.js';
import { buildK6Script, buildK6Summary } from './k6.js';
import { buildPlan } from './plan.js';
import { assertListening } from './preflight.js';
import { configuredTargets } from './targets.js';
import { renderLoadReport } from './report.js';
import { buildResult } from './result.js';
import type { LoadTestInput, LoadTestOutput } from './schema.js';
import { runLoadTestTool } from './tool.js';

export { loadTestInputSchema, loadTestOutputSchema } from './schema.js';
export type { LoadTestInput, LoadTestOutput } from './schema.js';

/** How long the pre-run connect may take before the run starts anyway (a slow accept is measured, not refused). */
const PROBE_TIMEOUT_MS = 2000;

/**
 * run_load_test: plan (validate, resolve and allow-list every host, fail fast when
 * nothing listens there) → run the engine
 * (closed or open model, in-process or worker threads) → model the result → write
 * result.json, report.html, k6-summary.json and k6-script.js → summary text.
 */
export async function runLoadTest(
  input: LoadTestInput,
  context: RunContext,
  /** Called once a second with the requests completed so far (profile_process kind "leak" plots memory against it). */
  observe?: (tick: { elapsedS: number; totalS: number; requests: number }) => void,
): Promise<ToolOutcome<LoadTestOutput>> {
  if (input.script !== undefined) return runScriptInput(input, input.script, context);
  const scriptOnly = (['env', 'vus', 'iterations'] as const).filter((k) => input[k] !== undefined);
  if (scriptOnly.length)
    throw new UserError(`\`${scriptOnly[0]}\` applies to k6 scripts only`, 'give `script` (a k6 script), or use `connections` for virtual users');
  // Validate everything that needs no network first, so bad input fails fast.
  const draft = buildPlan(input, context.config, { configuredTargets: await configuredTargets(context.projectDir, context.config) });
  const addresses: Record<string, string> = {};
  for (const request of draft.requests) {
    if (addresses[request.hostname] !== undefined) continue;
    const verdict = await assertHostAllowed(request.url, { allowHosts: context.config.load.allowHosts });
    const address = verdict.addresses[0];
    if (!address) throw new UserError(`cannot resolve "${request.hostname}"`, 'check the host name');
    addresses[request.hostname] = address;
  }
  const plan = { ...draft, addresses };
  await assertListening(
    plan.requests.map((r) => ({ address: addresses[r.hostname] ?? r.hostname, port: r.port })),
    Math.min(plan.timeoutMs, PROBE_TIMEOUT_MS),
    context.signal,
  );
  context.report(0, plan.durationMs / 1000, plan.warmupMs ? `warming up for ${plan.warmupMs / 1000} s` : 'starting');

  const engine = await runEngine(plan, {
    signal: context.signal,
    onTick: ({ elapsedS, totalS: total, aggregate }) => {
      const last = aggregate.timeline.at(-1);
      const message = `${elapsedS.toFixed(0)}/${total.toFixed(0)} s · ${formatRate(last?.rps ?? 0)} · p99 ${formatMs(last?.p99 ?? 0)} · ${aggregate.total} requests${aggregate.failed ? `, ${aggregate.failed} failed` : ''}`;
      context.report(elapsedS, total, message);
      observe?.({ elapsedS, totalS: total, requests: aggregate.total });
    },
  });
  const partial = buildResult(plan, engine);
  const run = await createRun(context.projectDir, 'load', plan.title);
  const artifacts = {
    dir: run.dir,
    result: run.path('result.json'),
    report: run.path('report.html'),
    k6Summary: run.path('k6-summary.json'),
    k6Script: run.path('k6-script.js'),
  };
  const structured: LoadTestOutput = { ...partial, artifacts };
  const agg = engine.aggregate;
  await run.writeResult({
    tool: runLoadTestTool.name,
    input,
    result: structured,
    verdict: runLoadTestTool.verdict(structured),
    aborted: context.signal.aborted,
    extras: {
      histograms: {
        unit: 'microseconds',
        overall: encodeHistogram(agg.overall),
        endpoints: Object.fromEntries(agg.endpoints.map((e) => [e.request.name, encodeHistogram(e.hist)])),
      },
    },
  });
  await run.writeFile('report.html', renderLoadReport(structured, agg.overall, plan.title));
  await run.writeJson('k6-summary.json', buildK6Summary(plan, agg, partial));
  await run.writeFile('k6-script.js', buildK6Script(plan));
  context.report(plan.durationMs / 1000, plan.durationMs / 1000, 'done');
  return { structured, summary: summarise(structured), ...nextCalls(structured, input) };
}

/** A saturated or stalled closed-model run: the same requests again at an arrival rate. */
function nextCalls(r: LoadTestOutput, input: LoadTestInput): { next?: string[] } {
  const d = r.closedModel;
  if (!d || d.state === 'not saturated') return {};
  const target = input.url !== undefined ? `"url":${JSON.stringify(input.url)}` : `"requests":[…same ${r.endpoints.length}…]`;
  return { next: [`run_load_test {${target},"rate":${d.suggestedRate},"duration":"${r.durationS.toFixed(0)}s"}`] };
}

/** `script`: a k6 script on our engine (src/load/k6/); the plain-run fields do not mix with it. */
async function runScriptInput(input: LoadTestInput, script: string, context: RunContext): Promise<ToolOutcome<LoadTestOutput>> {
  const plain = (['url', 'requests', 'rate', 'connections', 'stages', 'thresholds', 'warmup', 'body', 'headers', 'expect'] as const).filter(
    (k) => input[k] !== undefined,
  );
  if (plain.length) {
    throw new UserError(
      `\`${plain[0]}\` cannot be combined with \`script\``,
      'the k6 script defines requests, load and thresholds itself; override only vus, duration, iterations and env',
    );
  }
  const { runK6Script } = await import('./k6/index.js');
  const outcome = await runK6Script(
    { script, env: input.env, vus: input.vus, duration: input.duration, iterations: input.iterations, title: input.title },
    context,
  );
  // A script's thresholds are its author's: the user's.
  const thresholds = outcome.structured.thresholds.map((t) => ({ ...t, source: t.source ?? ('user' as const) }));
  return { ...outcome, structured: { ...outcome.structured, thresholds } };
}

function sourceText(source: LoadTestOutput['thresholds'][number]['source']): string {
  return source === 'config' ? 'target in .perf/config.json' : source === 'default' ? 'built-in default target' : 'your threshold';
}

function summarise(r: LoadTestOutput): string {
  const lines: string[] = [];
  const failedThresholds = r.thresholds.filter((t) => !t.ok);
  const verdict = r.aborted ? `ABORTED (${r.abortReason})` : r.passed ? 'PASSED' : 'FAILED';
  lines.push(
    `${verdict}: ${r.requests.total} requests in ${r.durationS.toFixed(1)} s (${r.model} model${r.model === 'open' ? ', latency from intended send time' : ''}), ${formatRate(r.throughputRps)}, ` +
      `p50 ${formatMs(r.latencyMs.p50)}, p95 ${formatMs(r.latencyMs.p95)}, p99 ${formatMs(r.latencyMs.p99)}, max ${formatMs(r.latencyMs.max)}; ` +
      `failed ${r.requests.failed} (${formatPct(r.requests.total ? r.requests.failed / r.requests.total : 0)})${r.model === 'open' ? `, dropped ${r.requests.dropped}` : ''}.`,
  );
  const d = r.closedModel;
  if (d?.state === 'saturated') {
    lines.push(
      `Saturated, not stalled: ${d.users} users ÷ ${formatRate(d.throughputRps)} = ${formatMs(d.usersOverThroughputMs)}, mean latency measured ${formatMs(d.meanLatencyMs)} (Little's law${d.littleAgrees ? '' : ' does not hold: the client added time'}); the latency is the users' own queue. Use \`rate: ${d.suggestedRate}\` (open model), or think time: N users pausing Z s arrive at N ÷ (Z + latency)/s.`,
    );
  } else if (d?.state === 'stalled') {
    lines.push(`Stalled: for ${d.stalledSeconds} s requests stopped completing (under 10% of the usual throughput).`);
  }
  if (r.thresholds.length) {
    lines.push(
      failedThresholds.length
        ? `Thresholds failed: ${failedThresholds.map((t) => `${t.metric} ${t.expression} (actual ${t.actual ?? 'no data'}; ${sourceText(t.source)})`).join('; ')}.`
        : r.thresholds.length === 1
          ? 'The threshold held.'
          : `All ${r.thresholds.length} thresholds held.`,
    );
  }
  if (r.errors.length)
    lines.push(
      `Errors: ${r.errors
        .slice(0, 5)
        .map((e) => `${e.kind}${e.status ? ` ${e.status}` : ''} ×${e.count}`)
        .join(', ')}.`,
    );
  const failingChecks = r.checks.filter((c) => c.fails > 0);
  if (failingChecks.length) lines.push(`Checks failing: ${failingChecks.map((c) => `${c.name} (${c.fails}/${c.passes + c.fails})`).join('; ')}.`);
  if (r.endpoints.length > 1) {
    lines.push(
      `Per request: ${r.endpoints
        .slice(0, 8)
        .map((e) => `${e.name} ${e.requests} req, p99 ${formatMs(e.latencyMs.p99)}, errors ${formatPct(e.errorRate)}`)
        .join('; ')}.`,
    );
  }
  const cacheNotes = r.endpoints
    .filter((e) => e.cache.responses > 0 && e.method === 'GET')
    .map((e) => {
      const c = e.cache;
      if (c.hitRatio !== null) return `${e.name}: cache hit ratio ${formatPct(c.hitRatio)}`;
      if (c.withCacheControl === 0 && c.withEtag === 0 && c.withLastModified === 0) return `${e.name}: no Cache-Control/ETag/Last-Modified`;
      return `${e.name}: Cache-Control ${formatPct(c.withCacheControl)} (cacheable ${formatPct(c.cacheable)}), ETag ${formatPct(c.withEtag)}`;
    });
  if (cacheNotes.length) lines.push(`Caching evidence: ${cacheNotes.slice(0, 5).join('; ')}.`);
  for (const warning of r.warnings) lines.push(`Warning: ${warning}`);
  lines.push(`Report: ${r.artifacts.report} (result.json, k6-summary.json, k6-script.js in ${r.artifacts.dir})`);
  return lines.join('\n');
}
