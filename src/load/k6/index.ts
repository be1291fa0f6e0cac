import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { RunContext, ToolOutcome } from '../../common/context.js';
import type { HostLookup } from '../../common/hosts.js';
import { formatMs, formatPct, round } from '../../common/units.js';
import { createRun } from '../../store/runs.js';
import { encodeHistogram, summarise } from '../histogram.js';
import { renderLoadReport } from '../report.js';
import type { LoadTestOutput } from '../schema.js';
import { evaluateK6Threshold } from './metrics.js';
import { type K6RunOutcome, runK6 } from './runner.js';
import { buildK6SummaryData } from './summary.js';
import { runLoadTestTool } from '../tool.js';

/**
 * run_load_test with `script`: a k6 script run in Node on our engine (see README "k6 scripts").
 * Same result shape as a plain run plus iterations, vusMax, groups and custom metrics;
 * artefacts: result.json, report.html, k6-summary.json (handleSummary's data), the script.
 */
export interface K6ScriptInput {
  script: string;
  env?: Record<string, string>;
  vus?: number;
  duration?: string | number;
  iterations?: number;
  title?: string;
}

// Top-N lists keep the result within the tool budget; the full breakdown is in k6-summary.json.
const ENDPOINT_LIMIT = 8;
const GROUP_LIMIT = 10;
const CHECK_LIMIT = 20;

export async function runK6Script(input: K6ScriptInput, context: RunContext, testing: { lookup?: HostLookup } = {}): Promise<ToolOutcome<LoadTestOutput>> {
  const scriptPath = isAbsolute(input.script) ? input.script : resolve(context.projectDir, input.script);
  const caps = context.config.load;
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  let peakRss = process.memoryUsage.rss();
  context.report(0, 1, `starting ${input.script}`);
  let outcome: K6RunOutcome;
  try {
    outcome = await runK6({
      scriptPath,
      files: { projectDir: context.projectDir, allowedPaths: context.config.query.allowedInputPaths, maxBytes: context.config.query.maxInputMb * 1024 * 1024 },
      env: { ...(input.env ?? {}) },
      overrides: { vus: input.vus, duration: input.duration, iterations: input.iterations },
      allowHosts: caps.allowHosts,
      caps: { maxDurationS: caps.maxDurationS, maxConnections: caps.maxConnections, maxRate: caps.maxRate },
      signal: context.signal,
      lookup: testing.lookup,
      onTick: (elapsedS, totalS, c) => {
        peakRss = Math.max(peakRss, process.memoryUsage.rss());
        const last = c.seconds.at(-2);
        context.report(
          elapsedS,
          totalS,
          `${elapsedS.toFixed(0)}/${totalS.toFixed(0)} s · ${last?.count ?? 0} req/s · ${c.vusActive} VUs · ${c.requests} requests${c.failedRequests ? `, ${c.failedRequests} failed` : ''}`,
        );
      },
    });
  } finally {
    lag.disable();
  }
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  const wallUs = (performance.now() - wall0) * 1000;
  const cpuPct = wallUs > 0 ? ((cpu.user + cpu.system) / wallUs) * 100 : 0;
  peakRss = Math.max(peakRss, process.memoryUsage.rss());

  const c = outcome.collector;
  const durationS = outcome.measuredMs / 1000;
  const thresholds = outcome.thresholds.map((t) => evaluateK6Threshold(t, durationS));
  const openModel = outcome.scenarios.every((s) => s.executor.endsWith('arrival-rate'));
  const endpoints = [...c.endpoints.values()]
    .sort((a, b) => b.count - a.count)
    .slice(0, ENDPOINT_LIMIT)
    .map((e) => ({
      name: e.name,
      method: e.method,
      url: e.url,
      requests: e.count,
      failed: e.failed,
      throughputRps: durationS > 0 ? round(e.count / durationS, 1) : 0,
      latencyMs: summarise(e.hist),
      errorRate: e.count ? round(e.failed / e.count, 4) : 0,
      cache: { responses: 0, withCacheControl: 0, cacheable: 0, withEtag: 0, withLastModified: 0, hitRatio: null },
    }));
  const checks = [...c.checks.values()]
    .sort((a, b) => b.fails - a.fails || b.passes + b.fails - (a.passes + a.fails))
    .slice(0, CHECK_LIMIT)
    .map((k) => ({
      name: k.group ? `${k.group.slice(2).replaceAll('::', ' › ')} › ${k.name}` : k.name,
      passes: k.passes,
      fails: k.fails,
    }));
  const groups = [...c.groups.values()]
    .sort((a, b) => b.requests - a.requests)
    .slice(0, GROUP_LIMIT)
    .map((g) => ({
      name: g.name,
      path: g.path,
      requests: g.requests,
      latencyMs: summarise(g.hist),
      checks: { passes: g.passes, fails: g.fails },
    }));
  const custom: Record<string, { type: string; values: Record<string, number> }> = {};
  const BUILTIN = /^(http_|iteration|dropped_iterations|data_|checks$|group_duration$|vus)/;
  const trendStats = Array.isArray(outcome.options.summaryTrendStats)
    ? (outcome.options.summaryTrendStats as string[])
    : ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'];
  for (const m of c.registry.metrics.values()) if (!BUILTIN.test(m.name)) custom[m.name] = { type: m.type, values: m.sink.values_(durationS, trendStats) };

  const warnings: string[] = [];
  const lagP99 = lag.percentile(99) / 1e6;
  // As run_load_test's preflight does for a fixed target: a port nothing listens on fails the
  // run — found afterwards here, since a script's URLs are known only as it runs.
  const notListening = c.notListening();
  const nothingAnswered = c.requests > 0 && c.failedRequests === c.requests;
  // What makes the run measure something other than the server (the people's summary leads with it).
  const broken: string[] = [];
  if (notListening.length) {
    const where = notListening.map((o) => `${o.origin} (${o.refused} refused)`).join(', ');
    broken.push(
      `nothing is listening on ${where}: start the server first, or check the URL's port${nothingAnswered ? '; no request was answered, so this run measured nothing' : ''}.`,
    );
  }
  // A script that throws is a broken script, whatever k6's exit code would say: the agent reads
  // this first, with the first error, and a run where no iteration got through fails.
  const everyIterationThrew = outcome.scriptErrors > 0 && outcome.scriptErrors >= c.iterationsDone;
  if (outcome.scriptErrors) {
    const first = c.errors.get('script_error')?.example;
    broken.push(
      `${everyIterationThrew ? `every iteration threw (${outcome.scriptErrors})` : `${outcome.scriptErrors} of ${c.iterationsDone} iterations threw`}${first ? `: ${first}` : ''} — see errors (kind script_error) and console.log in the run folder.`,
    );
  }
  warnings.push(...broken);
  // Spinning on instant refusals keeps the event loop busy without saying anything about the
  // client; under a second, loading and compiling the script is most of what it measured.
  if ((elu.utilization > 0.9 || cpuPct > 95) && !(nothingAnswered && notListening.length) && durationS >= 1) {
    warnings.push(
      `The load generator was the bottleneck (event loop ${(elu.utilization * 100).toFixed(0)}% busy, CPU ${cpuPct.toFixed(0)}%, lag p99 ${lagP99.toFixed(1)} ms): latencies include client delay and throughput is bounded by the client.`,
    );
  }
  if (c.interrupted) warnings.push(`${c.interrupted} iterations were interrupted (gracefulStop/gracefulRampDown ran out, or the run was stopped).`);
  if (c.dropped)
    warnings.push(`${c.dropped} iterations were dropped: every VU was busy and maxVUs was reached. Raise preAllocatedVUs/maxVUs or lower the rate.`);
  if (c.requests === 0) warnings.push('The script made no HTTP request.');

  const aborted = outcome.aborted;
  const passed = !aborted && thresholds.every((t) => t.ok) && notListening.length === 0 && !everyIterationThrew;
  const run = await createRun(context.projectDir, 'load', input.title ?? `k6 ${relative(context.projectDir, scriptPath) || scriptPath}`);
  const artifacts: LoadTestOutput['artifacts'] = {
    dir: run.dir,
    result: run.path('result.json'),
    report: run.path('report.html'),
    k6Summary: run.path('k6-summary.json'),
    k6Script: run.path('k6-script.js'),
  };
  const structured: LoadTestOutput = {
    passed,
    aborted,
    ...(outcome.abortReason ? { abortReason: outcome.abortReason } : {}),
    model: openModel ? 'open' : 'closed',
    engine: 'k6 script (undici)',
    durationS: round(durationS, 3),
    requests: { total: c.requests, succeeded: c.requests - c.failedRequests, failed: c.failedRequests, dropped: c.dropped },
    throughputRps: durationS > 0 ? round(c.requests / durationS, 1) : 0,
    latencyMs: summarise(c.overall),
    errors: [...c.errors.values()].sort((a, b) => b.count - a.count).slice(0, 10),
    checks,
    thresholds,
    endpoints,
    timeline: c.timeline(durationS),
    generator: {
      workers: 1,
      eventLoopLagP99Ms: round(lagP99, 2),
      eventLoopUtilization: round(elu.utilization, 3),
      cpuPct: round(cpuPct, 1),
      peakRssMb: round(peakRss / 1024 / 1024, 1),
    },
    warnings,
    iterations: { total: c.iterationsDone, dropped: c.dropped },
    vusMax: c.vusMax,
    groups,
    metrics: custom,
    artifacts,
  };
  const summaryData = buildK6SummaryData(c, outcome.thresholds, outcome.options, durationS);
  await run.writeJson('k6-summary.json', summaryData);
  await copyFile(scriptPath, artifacts.k6Script);
  if (outcome.logs.length) await run.writeFile('console.log', `${outcome.logs.join('\n')}\n`);
  if (outcome.handleSummary) {
    const written: string[] = [];
    const files = (await outcome.handleSummary(JSON.parse(JSON.stringify(summaryData)))) ?? {};
    for (const [name, content] of Object.entries(files)) {
      const data = typeof content === 'string' ? content : content instanceof ArrayBuffer ? new Uint8Array(content) : JSON.stringify(content);
      // stdout/stderr go to the run folder (a tool's stdout is its protocol); other keys are paths, as in k6, relative to the project.
      const target = name === 'stdout' || name === 'stderr' ? run.path(`handle-summary-${name}.txt`) : resolve(context.projectDir, name);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, data);
      written.push(target);
    }
    structured.artifacts.handleSummary = written;
  }
  await run.writeResult({
    tool: runLoadTestTool.name,
    input,
    result: structured,
    verdict: runLoadTestTool.verdict(structured),
    aborted: context.signal.aborted,
    extras: { histograms: { unit: 'microseconds', overall: encodeHistogram(c.overall) } },
  });
  await run.writeFile('report.html', renderLoadReport(structured, c.overall, run.title));
  context.report(1, 1, 'done');
  return { structured, summary: summariseK6(structured, run.id, broken[0]) };
}

export function summariseK6(r: LoadTestOutput, runId: string, broken?: string): string {
  const failed = r.thresholds.filter((t) => !t.ok);
  const verdict = r.aborted ? 'ABORTED' : r.passed ? 'PASSED' : 'FAILED';
  const parts = [
    `${verdict}: k6 script, ${r.iterations?.total ?? 0} iterations, ${r.requests.total} requests in ${r.durationS.toFixed(1)} s (${r.throughputRps} req/s), p95 ${formatMs(r.latencyMs.p95)}, p99 ${formatMs(r.latencyMs.p99)}, failed ${formatPct(r.requests.total ? r.requests.failed / r.requests.total : 0)}, VUs max ${r.vusMax ?? 0}${r.iterations?.dropped ? `, dropped ${r.iterations.dropped}` : ''}.`,
  ];
  if (r.aborted && r.abortReason) parts.push(`Stopped: ${r.abortReason}.`);
  if (broken) parts.push(`${broken.charAt(0).toUpperCase()}${broken.slice(1)}`);
  if (failed.length)
    parts.push(
      `Thresholds failed: ${failed
        .slice(0, 3)
        .map((t) => `${t.metric} ${t.expression} (actual ${t.actual})`)
        .join('; ')}.`,
    );
  else if (r.thresholds.length) parts.push(`All ${r.thresholds.length} thresholds held.`);
  const failingChecks = r.checks.filter((k) => k.fails > 0);
  if (failingChecks.length)
    parts.push(
      `Checks failing: ${failingChecks
        .slice(0, 3)
        .map((k) => `${k.name} (${k.fails}/${k.passes + k.fails})`)
        .join('; ')}.`,
    );
  parts.push(`Run ${runId}.`);
  let text = parts.join(' ');
  if (text.length > 700) text = `${text.slice(0, 690)}… Run ${runId}.`.slice(0, 700);
  return text;
}
