import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { RunContext, ToolOutcome } from '../common/context.js';
import { CancelledError, defined, describeError, isCancelled, isUserError, throwIfAborted, UserError } from '../common/errors.js';
import { parseInput } from '../common/validate.js';
import type { LoadTestOutput } from '../load/schema.js';
import { loadTestInputSchema } from '../load/schema.js';
import type { ProfileOutput } from '../profile/schema.js';
import { nPlusOneCount } from '../query/render.js';
import type { QueryOutput } from '../query/schema.js';
import { createRun } from '../store/runs.js';
import { DEMO_ENDPOINTS, ORDER_SEARCH_SQL } from './app/endpoints.js';
import { demoAppEntry, freeLoopbackPort, startAppProcess, type RunningApp } from './app-process.js';
import { renderDemoIndex } from './render-index.js';
import { demoInputSchema, type DemoInput, type DemoOutput } from './schema.js';
import { renderDemoSummary, summariseDemo } from './summary.js';
import { loadTool, ToolMissingError } from './tools.js';
import { walkThrough } from './walkthrough.js';

export { demoInputSchema, demoOutputSchema } from './schema.js';
export type { DemoInput, DemoOutput } from './schema.js';

type Step = DemoOutput['steps'][number];
type EndpointResult = DemoOutput['endpoints'][number];
type Phase = NonNullable<EndpointResult['before']>;

/** The fields of analyze_query's and compare_benchmarks' results the demo reads. */
interface QueryResultView {
  nPlusOne: QueryOutput['nPlusOne'];
  findings: Array<{ rule: string; severity: string; message: string }>;
  indexSuggestions: Array<{ sql: string; verified: boolean; improvementPct: number | null }>;
  artifacts: { dir: string; report: string };
}
interface CompareResultView {
  rows: Array<{
    name: string;
    deltaPct: number | null;
    pValue: number | null;
    pAdjusted: number | null;
    significant: boolean;
    verdict: 'faster' | 'slower' | 'same' | 'inconclusive';
  }>;
  artifacts: { dir: string; report: string };
}

const runIdOf = (dir: string) => basename(dir);

function phaseOf(result: LoadTestOutput): Phase {
  return {
    p50Ms: result.latencyMs.p50,
    p95Ms: result.latencyMs.p95,
    p99Ms: result.latencyMs.p99,
    throughputRps: result.throughputRps,
    requests: result.requests.total,
    failed: result.requests.failed,
    runId: runIdOf(result.artifacts.dir),
    report: result.artifacts.report,
  };
}

/**
 * `perfeng demo`: the whole loop on the embedded demo application, with the real tools —
 * baseline load per endpoint → profile under load → analyse the logged queries → restart
 * with the fixes → load again → compare baseline vs fixed → one index report.
 * A step that fails is recorded and the loop goes on, so one broken tool does not hide
 * what the others measured; cancellation stops everything and kills the app.
 */
export async function runDemo(rawInput: Partial<DemoInput> | Record<string, unknown>, context: RunContext): Promise<ToolOutcome<DemoOutput>> {
  const input = parseInput(demoInputSchema, rawInput, 'demo input');
  const started = performance.now();
  const durationS = input.durationS ?? (input.quick ? 1.2 : 5);
  const warmupS = input.quick ? 0.3 : 1;
  const connections = input.connections ?? (input.quick ? 8 : 16);
  const endpoints = input.endpoints ? DEMO_ENDPOINTS.filter((e) => input.endpoints?.includes(e.name as never)) : DEMO_ENDPOINTS;
  const fixArgs = input.fixes.length ? ['--fix', input.fixes.join(',')] : [];
  demoAppEntry(); // fail fast, before creating anything, when the app is not built

  const run = await createRun(context.projectDir, 'demo', input.quick ? 'quick demo' : 'demo');
  const dataDir = join(context.projectDir, '.perf', 'demo');
  await mkdir(dataDir, { recursive: true });
  const database = join(dataDir, 'demo.sqlite');
  const queryLog = run.path('queries.jsonl');
  const warnings: string[] = [];
  const steps: Step[] = [];
  /** Query logging for an app under load: the same cap for every phase, so all pay the same cost per query. */
  const measuredLog = (phase: string) => ['--query-log', run.path(`${phase}-queries.jsonl`), '--query-log-max-lines', '20000'];
  const totalSteps = 5 + endpoints.length * 3;
  let done = 0;

  /** Runs one step; a failure (or a missing tool) is recorded, cancellation propagates. */
  async function step<T>(
    name: string,
    tool: string | undefined,
    body: () => Promise<{ value: T; detail: string; runDir?: string; report?: string }>,
  ): Promise<T | undefined> {
    throwIfAborted(context.signal);
    context.report(done, totalSteps, name);
    const t0 = performance.now();
    const record = (status: Step['status'], detail: string, extra: Partial<Step> = {}) => {
      steps.push({ step: name, ...(tool ? { tool } : {}), status, seconds: Math.round((performance.now() - t0) / 100) / 10, detail, ...extra });
      done++;
      context.report(done, totalSteps, `${name}: ${status === 'ok' ? detail : `${status} — ${detail}`}`);
    };
    try {
      const outcome = await body();
      record('ok', outcome.detail, {
        ...(outcome.runDir ? { runId: runIdOf(outcome.runDir) } : {}),
        ...(outcome.report ? { report: outcome.report } : {}),
      });
      return outcome.value;
    } catch (error) {
      if (isCancelled(error) || context.signal.aborted) throw error instanceof CancelledError ? error : new CancelledError();
      if (error instanceof ToolMissingError) record('skipped', error.message);
      else {
        record('failed', describeError(error));
        if (!isUserError(error)) warnings.push(`${name} failed unexpectedly: ${describeError(error)}`);
      }
      return undefined;
    }
  }

  const results: EndpointResult[] = endpoints.map((e) => ({
    name: e.name,
    path: e.path,
    problem: e.problem,
    fix: e.fix,
    fixApplied: input.fixes.includes(e.fixFlag),
    p95ChangePct: null,
    throughputChangePct: null,
    significance: [],
  }));

  async function loadPhase(app: RunningApp, phase: 'before' | 'after'): Promise<void> {
    for (const [i, endpoint] of endpoints.entries()) {
      await step(`${phase === 'before' ? 'baseline' : 'fixed'} load: ${endpoint.name}`, 'run_load_test', async () => {
        const runLoadTest = await loadTool<LoadTestOutput>('run_load_test');
        const loadInput = loadTestInputSchema.parse({
          requests: [{ name: endpoint.name, url: app.url + endpoint.path, expect: { status: 200 } }],
          connections,
          duration: `${durationS}s`,
          warmup: `${warmupS}s`,
          // The demo judges by comparison, not by the project's targets: only errors fail a run.
          thresholds: { http_req_failed: ['rate<0.01'] },
          title: `demo ${phase === 'before' ? 'baseline' : 'fixed'} ${endpoint.name}`,
        });
        const { structured } = await runLoadTest(loadInput, context);
        const numbers = phaseOf(structured);
        defined(results[i], `the results of ${endpoint.name}`)[phase] = numbers;
        if (structured.warnings.length) warnings.push(...structured.warnings.map((w) => `${endpoint.name} (${phase}): ${w}`));
        return {
          value: numbers,
          detail: `p95 ${numbers.p95Ms.toFixed(1)} ms, ${numbers.throughputRps.toFixed(0)} req/s, ${numbers.failed} failed`,
          runDir: structured.artifacts.dir,
          report: structured.artifacts.report,
        };
      });
    }
  }

  let app: RunningApp | undefined;
  let profile: DemoOutput['profile'];
  let query: DemoOutput['query'];
  try {
    // 1. A query log recorded from a walk through the baseline app (this first start also
    //    creates and fills the database), then the baseline app for the load tests. Every app
    //    that is measured logs its queries (capped), as an app with ORM query logging or APM
    //    does: that per-query cost (timing, call-site capture, a log line) is what makes N+1
    //    expensive even on an embedded database, and both phases pay it alike.
    await step('record a query log (baseline app, every endpoint 3×)', undefined, async () => {
      const logging = await startAppProcess(['--port', '0', '--db', database, '--query-log', queryLog], { signal: context.signal });
      try {
        const requests = await walkThrough(logging.url, DEMO_ENDPOINTS, 3, context.signal);
        return { value: requests, detail: `${requests} requests logged to ${queryLog}` };
      } finally {
        await logging.stop();
      }
    });
    app = await step('start the demo app (baseline)', undefined, async () => {
      const running = await startAppProcess(['--port', '0', '--db', database, ...measuredLog('baseline-load')], { signal: context.signal });
      return { value: running, detail: `${running.url}, no fixes` };
    });
    if (!app)
      throw new UserError(
        `the demo app did not start: ${steps.at(-1)?.detail ?? 'unknown reason'}`,
        'see the message; `node dist/demo/app/main.js --db /tmp/demo.sqlite` shows the app on its own',
      );
    await loadPhase(app, 'before');
    await app.stop();
    app = undefined;

    // 2. Profile the baseline app under a mix of all endpoints.
    if (input.profile) {
      profile = await step('profile the app under load', 'profile_process', async () => {
        const runProfile = await loadTool<ProfileOutput>('profile_process');
        const port = await freeLoopbackPort();
        const { structured } = await runProfile(
          {
            command: [process.execPath, demoAppEntry(), '--port', String(port), '--db', database, ...measuredLog('profile')],
            waitForPort: port,
            load: {
              requests: endpoints.map((e) => ({ name: e.name, url: `http://127.0.0.1:${port}${e.path}` })),
              connections,
              duration: `${durationS}s`,
              thresholds: { http_req_failed: ['rate<0.01'] },
              title: 'demo profile load',
            },
            top: 10,
            title: 'demo app under load',
          },
          context,
        );
        const app = structured.hotFunctions.filter((f) => f.category === 'app');
        const view = {
          runId: runIdOf(structured.artifacts.dir),
          topFunctions: structured.hotFunctions.slice(0, 8).map((f) => ({ name: f.name, file: f.file, line: f.line, selfPct: f.selfPct })),
          flamegraph: structured.artifacts.flamegraph,
        };
        const top = app[0] ?? structured.hotFunctions[0];
        return {
          value: view,
          detail: top
            ? `hottest app function ${top.name} (${top.file}:${top.line}) ${top.totalPct.toFixed(1)}% total, ${top.selfPct.toFixed(1)}% self`
            : 'no samples',
          runDir: structured.artifacts.dir,
          report: structured.artifacts.flamegraph,
        };
      });
    }

    // 3. The logged queries: N+1 over the log, plan + verified index for the slow filter.
    query = await step('analyze the logged queries', 'analyze_query', async () => {
      const analyzeQuery = await loadTool<QueryResultView>('analyze_query');
      const { structured } = await analyzeQuery({ database, sql: ORDER_SEARCH_SQL, queryLog, limit: 5 }, context);
      const view = {
        runId: runIdOf(structured.artifacts.dir),
        nPlusOne: structured.nPlusOne.map((n) => ({
          fingerprint: n.fingerprint,
          count: n.count,
          loop: nPlusOneCount(n),
          ...(n.callSite ? { callSite: n.callSite } : {}),
        })),
        findings: structured.findings.map((f) => ({ rule: f.rule, severity: f.severity, message: f.message })),
        indexSuggestions: structured.indexSuggestions.map((s) => ({ sql: s.sql, verified: s.verified, improvementPct: s.improvementPct })),
        report: structured.artifacts.report,
      };
      const index = view.indexSuggestions.find((s) => s.verified);
      return {
        value: view,
        detail: `${view.nPlusOne.length} N+1 pattern(s), ${view.findings.length} plan finding(s)${index ? `, verified index ${index.sql} (−${index.improvementPct ?? '?'}% cost)` : ''}`,
        runDir: structured.artifacts.dir,
        report: structured.artifacts.report,
      };
    });

    // 4. Fixed app, same load.
    app = await step('restart the demo app with the fixes', undefined, async () => {
      const running = await startAppProcess(['--port', '0', '--db', database, ...measuredLog('fixed-load'), ...fixArgs], { signal: context.signal });
      return { value: running, detail: `${running.url}, fixes: ${input.fixes.join(', ') || 'none'}` };
    });
    if (app) {
      await loadPhase(app, 'after');
      await app.stop();
      app = undefined;
    }

    // 5. Baseline vs fixed, per endpoint, with statistics.
    for (const result of results) {
      if (!result.before || !result.after) continue;
      result.p95ChangePct = result.before.p95Ms > 0 ? ((result.after.p95Ms - result.before.p95Ms) / result.before.p95Ms) * 100 : null;
      result.throughputChangePct =
        result.before.throughputRps > 0 ? ((result.after.throughputRps - result.before.throughputRps) / result.before.throughputRps) * 100 : null;
      const before = result.before;
      const after = result.after;
      await step(`compare: ${result.name}`, 'compare_benchmarks', async () => {
        const compareBenchmarks = await loadTool<CompareResultView>('compare_benchmarks');
        const { structured } = await compareBenchmarks({ baseline: before.runId, candidate: after.runId, limit: 20 }, context);
        const wanted = ['latency p95', 'latency p50', 'throughput'];
        result.significance = wanted.flatMap((metric) => {
          const row = structured.rows.find((r) => r.name === metric);
          return row ? [{ metric, deltaPct: row.deltaPct, pValue: row.pAdjusted ?? row.pValue, significant: row.significant, verdict: row.verdict }] : [];
        });
        result.compareRunId = runIdOf(structured.artifacts.dir);
        const p95 = result.significance.find((s) => s.metric === 'latency p95');
        return {
          value: structured,
          detail: p95
            ? `p95 ${p95.verdict}${p95.deltaPct !== null ? ` (${p95.deltaPct > 0 ? '+' : ''}${p95.deltaPct.toFixed(1)}%)` : ''}${p95.pValue !== null ? `, p=${p95.pValue.toPrecision(2)}` : ''}`
            : 'no p95 row',
          runDir: structured.artifacts.dir,
          report: structured.artifacts.report,
        };
      });
    }
  } finally {
    await app?.stop().catch(() => undefined);
  }

  // 6. Summary, index report, result.
  const output: DemoOutput = {
    ...summariseDemo(results, steps),
    endpoints: results,
    ...(profile ? { profile } : {}),
    ...(query ? { query } : {}),
    steps,
    durationS: Math.round((performance.now() - started) / 100) / 10,
    warnings,
    artifacts: { dir: run.dir, index: run.path('index.html'), result: run.path('result.json'), database, queryLog },
  };
  await run.writeFile('index.html', renderDemoIndex(output, run));
  await run.writeResult({ tool: 'perfeng demo', input, result: output, aborted: context.signal.aborted });
  context.report(totalSteps, totalSteps, 'done');
  return { structured: output, summary: renderDemoSummary(output, context.projectDir) };
}

export { renderDemoSummary };
