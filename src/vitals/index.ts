import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { RunContext, ToolOutcome } from '../common/context.js';
import { CancelledError, defined, UserError } from '../common/errors.js';
import { assertHostAllowed } from '../common/hosts.js';
import { createRun } from '../store/runs.js';
import { analyseRun, representativeRun, runValues, summarise, summariseInteractions, type RunMetrics } from './analyse.js';
import { findChromium, launchChromium, type ChromiumSession } from './chromium.js';
import { measureCoverage, summariseCoverage, type CoverageResult } from './coverage.js';
import { parseTraceEvents, pickFilmstrip, screenshotsFromTrace } from './filmstrip.js';
import { runLighthouse, type LighthouseRun } from './lighthouse.js';
import { summariseLighthouse } from './lighthouse-result.js';
import { measureRun, type RunObservation } from './measure-run.js';
import { createNetworkGuard, type NetworkGuard } from './network-guard.js';
import { resolveThrottling } from './profiles.js';
import { renderVitalsReport, renderVitalsSummary } from './report.js';
import type { MetricSummary, VitalsInput, VitalsOutput } from './schema.js';
import { defaultThresholds, evaluateThresholds, parseThreshold } from './thresholds.js';
import { maximum, median, minimum } from '../common/sample-stats.js';
import { measureWebVitalsTool } from './tool.js';

export { vitalsInputSchema, vitalsOutputSchema, type VitalsInput, type VitalsOutput } from './schema.js';

/**
 * measure_web_vitals: loads a page N times, cold, in the system Chromium and measures Core
 * Web Vitals from the page itself. Pipeline: validate + guard → measure (measure-run.ts, one
 * cold load each) → analyse (metrics.ts / analyse.ts) → judge (thresholds.ts) → render.
 */

/** `file://…`, an absolute or relative path to an .html file, or an http(s) URL. */
export function normaliseUrl(raw: string, projectDir: string): string {
  const text = raw.trim();
  if (/^https?:\/\//i.test(text) || /^file:\/\//i.test(text)) {
    try {
      return new URL(text).href;
    } catch {
      throw new UserError(`invalid URL "${raw}"`, 'give a full URL such as http://127.0.0.1:3000/ or file:///path/page.html');
    }
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(text)) {
    throw new UserError(`unsupported URL scheme in "${raw}"`, 'use http://, https:// or file://');
  }
  if (/\.html?$/i.test(text)) return pathToFileURL(resolvePath(projectDir, text)).href;
  throw new UserError(`"${raw}" is not a URL`, 'give a full URL such as http://127.0.0.1:3000/ (or a path to an .html file)');
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new CancelledError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CancelledError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(signal.aborted ? new CancelledError() : error);
      },
    );
  });
}

export async function measureWebVitals(input: VitalsInput, context: RunContext): Promise<ToolOutcome<VitalsOutput>> {
  const url = normaliseUrl(input.url, context.projectDir);
  const allowHosts = context.config.load.allowHosts;
  if (!url.startsWith('file:')) await assertHostAllowed(url, { allowHosts });
  const thresholdTexts =
    input.thresholds ??
    defaultThresholds(
      context.config.targets,
      context.config.vitals.tbtMs,
      input.interactions.some((s) => s.action !== 'wait' && s.action !== 'hover'),
    );
  const parsedThresholds = thresholdTexts.map(parseThreshold);
  const executable = findChromium(context.config.vitals.chromium);
  const throttling = resolveThrottling(input.throttling);
  const runLighthouseToo = input.lighthouse && !url.startsWith('file:');
  const totalSteps = input.runs + 2 + (input.coverage ? 1 : 0) + (runLighthouseToo ? 1 : 0);
  context.report(0, totalSteps, 'starting Chromium');

  let guard: NetworkGuard | undefined;
  let session: ChromiumSession | undefined;
  const onAbort = () => void session?.close();
  context.signal.addEventListener('abort', onAbort, { once: true });
  const observations: RunObservation[] = [];
  let coverage: CoverageResult | undefined;
  let lighthouse: LighthouseRun | undefined;
  const extraWarnings: string[] = [];
  if (input.lighthouse && !runLighthouseToo) extraWarnings.push('Lighthouse was not run: it needs an http(s) URL (serve the file on 127.0.0.1)');
  try {
    guard = await createNetworkGuard(url, allowHosts);
    session = await launchChromium({ executable, extraArgs: guard.chromiumArgs(), signal: context.signal });
    for (let i = 0; i < input.runs; i++) {
      if (context.signal.aborted) throw new CancelledError();
      context.report(i + 1, totalSteps, `run ${i + 1}/${input.runs}`);
      const observation = await abortable(
        measureRun(
          session.browser,
          guard,
          {
            url,
            device: input.device,
            throttling,
            interactions: input.interactions,
            quietMs: input.quietMs,
            timeoutMs: input.timeoutMs,
            trace: input.trace,
            browserVersion: session.version,
            signal: context.signal,
          },
          i,
        ),
        context.signal,
      );
      observations.push(observation);
    }
    let step = input.runs + 1;
    if (input.coverage) {
      context.report(step++, totalSteps, 'coverage of JS and CSS');
      coverage = await abortable(
        measureCoverage(session.browser, guard, {
          url,
          device: input.device,
          browserVersion: session.version,
          timeoutMs: input.timeoutMs,
          quietMs: input.quietMs,
        }),
        context.signal,
      );
      extraWarnings.push(...coverage.warnings);
    }
    if (runLighthouseToo) {
      context.report(step++, totalSteps, 'Lighthouse');
      try {
        lighthouse = await abortable(runLighthouse({ url, port: session.port, device: input.device, timeoutMs: input.timeoutMs }), context.signal);
      } catch (error) {
        if (context.signal.aborted) throw error;
        extraWarnings.push(`Lighthouse failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      }
    }
  } finally {
    context.signal.removeEventListener('abort', onAbort);
    await session?.close();
    await guard?.close();
  }
  if (context.signal.aborted) throw new CancelledError();
  context.report(totalSteps - 1, totalSteps, 'writing report');

  const runs: RunMetrics[] = observations.map(analyseRun);
  const rep = representativeRun(runs);
  const repRun = defined(runs[rep], 'the representative run');
  const repObservation = defined(observations[rep], 'the representative observation');
  const warnings = [...collectWarnings(observations, runs, guard?.backstopHits() ?? []), ...extraWarnings];
  const lighthouseSummary = lighthouse ? summariseLighthouse(lighthouse.lhr, Math.min(input.limit, 5)) : undefined;
  const allowsUrl = guard ? guard.allowsUrl : () => true;
  const lighthouseBlocked = lighthouseSummary ? lighthouseSummary.requestUrls.filter((u) => !allowsUrl(u)) : [];
  if (lighthouseBlocked.length)
    warnings.push(
      `Lighthouse's page asked for ${lighthouseBlocked.length} URL(s) outside the allow-list; the network guard stopped them (${lighthouseBlocked.slice(0, 3).join(', ')})`,
    );
  if (lighthouse?.lhr.runtimeError) warnings.push(`Lighthouse: ${lighthouse.lhr.runtimeError.code}: ${lighthouse.lhr.runtimeError.message}`);
  for (const w of lighthouse?.lhr.runWarnings ?? []) warnings.push(`Lighthouse: ${w.slice(0, 300)}`);
  if (throttling.downloadKbps > 0 || throttling.uploadKbps > 0) {
    warnings.push(
      'network throttling: subresources get latency and bandwidth limits via CDP; the main document gets the latency only (Chromium does not apply CDP network emulation to navigations), so a large HTML document downloads faster than on the emulated network',
    );
  }
  const thresholds = evaluateThresholds(parsedThresholds, runValues(runs));
  for (const t of thresholds) if (t.actual === null) warnings.push(`threshold "${t.expression}" fails: the page reported no ${t.metric.toUpperCase()} value`);
  const badStatus = observations.find((o) => o.status !== null && o.status >= 400);
  const passed = thresholds.every((t) => t.ok) && !badStatus;

  const run = await createRun(context.projectDir, 'vitals', url.replace(/^file:\/\/.*\//, 'file-'));
  // The representative run's trace as plain JSON (DevTools loads it as is); the others
  // gzipped, since a trace with screenshots is several MB.
  const lighthouseReport = lighthouse ? await run.writeFile('lighthouse.html', lighthouse.html) : undefined;
  const lighthouseJson = lighthouse ? await run.writeFile('lighthouse.json', lighthouse.json) : undefined;
  const traces: string[] = [];
  let repTrace: string | undefined;
  for (const o of observations) {
    if (!o.trace) continue;
    if (o.index === rep) traces.push((repTrace = await run.writeFile(`trace-run-${o.index + 1}.json`, o.trace)));
    else traces.push(await run.writeFile(`trace-run-${o.index + 1}.json.gz`, gzipSync(o.trace)));
  }

  /** A metric some runs may not report (no LCP when nothing painted): present only when one did. */
  const reported = <K extends string>(name: K, pick: (run: RunMetrics) => number | undefined): Partial<Record<K, MetricSummary>> => {
    const summary = summarise(runs.map(pick));
    return summary ? ({ [name]: summary } as Partial<Record<K, MetricSummary>>) : {};
  };
  const structured: VitalsOutput = {
    url,
    runs: runs.length,
    device: input.device,
    throttling,
    browser: session?.version ?? '',
    metrics: {
      ...reported('lcpMs', (r) => r.lcpMs),
      cls: defined(
        summarise(
          runs.map((r) => r.cls),
          4,
        ),
        'CLS of every run',
      ),
      ...reported('inpMs', (r) => r.inpMs),
      tbtMs: defined(summarise(runs.map((r) => r.tbtMs)), 'TBT of every run'),
      ...reported('fcpMs', (r) => r.fcpMs),
      ttfbMs: defined(summarise(runs.map((r) => r.ttfbMs)), 'TTFB of every run'),
      ...reported('loadMs', (r) => r.loadMs),
    },
    lcpElement: repRun.lcpElement,
    representativeRun: rep + 1,
    longTasks: [...repRun.longTasks].sort((a, b) => b.durationMs - a.durationMs).slice(0, input.limit),
    layoutShifts: [...repRun.layoutShifts].sort((a, b) => b.value - a.value).slice(0, input.limit),
    interactions: summariseInteractions(input.interactions, runs),
    resources: {
      count: repRun.requests,
      bytes: repRun.bytes,
      byType: repRun.byType,
      blocked: [...new Set([...observations.flatMap((o) => o.blocked), ...lighthouseBlocked])].slice(0, 20),
    },
    ...(coverage ? { coverage: summariseCoverage(coverage.files, Math.min(input.limit, 5)) } : {}),
    ...(lighthouseSummary && lighthouseReport && lighthouseJson
      ? {
          lighthouse: {
            performanceScore: lighthouseSummary.performanceScore,
            opportunities: lighthouseSummary.opportunities,
            diagnostics: lighthouseSummary.diagnostics,
            metrics: lighthouseSummary.metrics,
            note: lighthouseNote(input.runs, input.device),
            report: lighthouseReport,
            lhr: lighthouseJson,
          },
        }
      : {}),
    thresholds,
    passed,
    warnings,
    artifacts: {
      dir: run.dir,
      report: run.path('report.html'),
      result: run.path('result.json'),
      ...(repTrace ? { trace: repTrace } : {}),
      traces,
    },
  };

  const frames = repObservation.trace ? screenshotsFromTrace(parseTraceEvents(repObservation.trace), url) : [];
  const filmEnd = Math.max(repRun.lcpMs ?? 0, repRun.loadMs ?? 0, repRun.fcpMs ?? 0, 100) * 1.1;
  const html = renderVitalsReport({
    result: structured,
    runs,
    filmstrip: frames.length ? pickFilmstrip(frames, filmEnd) : [],
    allLongTasks: repRun.longTasks,
    timelineEndMs: Math.max(repObservation.settledAtMs, filmEnd),
    fcpMs: repRun.fcpMs,
    lcpMs: repRun.lcpMs,
    loadMs: repRun.loadMs,
  });
  await run.writeFile('report.html', html);
  await run.writeResult({
    tool: measureWebVitalsTool.name,
    input,
    result: structured,
    verdict: measureWebVitalsTool.verdict(structured),
    aborted: context.signal.aborted,
    extras: {
      ...(coverage ? { coverageFiles: coverage.files } : {}),
      perRun: runs.map(({ steps, ...rest }, i) => ({
        ...rest,
        steps: steps.map((s) => s ?? null),
        status: observations[i]?.status ?? null,
        requestList: observations[i]?.requests.slice(0, 500) ?? [],
      })),
    },
  });
  context.report(totalSteps, totalSteps, 'done');
  return { structured, summary: renderVitalsSummary(structured) };
}

/** Which lab number to trust for what: ours are measured, Lighthouse's are simulated once. */
function lighthouseNote(runs: number, device: VitalsInput['device']): string {
  return `metrics: median of ${runs} measured cold load(s) here, for thresholds and regressions; lighthouse.metrics: one run, simulated ${device === 'mobile' ? 'slow 4G + CPU x4' : 'desktop'} preset, for its score and ranking fixes`;
}

const CHROMIUM_SERVICE_HOST = /(^|\.)(google\.com|googleapis\.com|gstatic\.com|gvt1\.com)(:\d+)?$/;

function collectWarnings(observations: readonly RunObservation[], runs: readonly RunMetrics[], backstopHits: string[]): string[] {
  const warnings = observations.flatMap((o) => o.warnings);
  const statuses = observations.map((o) => o.status).filter((s): s is number => s !== null && s >= 400);
  if (statuses.length)
    warnings.push(
      `the page returned HTTP ${statuses[0]} in ${statuses.length} of ${observations.length} runs: the numbers describe an error page (verdict: failed)`,
    );
  const blocked = [...new Set(observations.flatMap((o) => o.blocked))];
  if (blocked.length) {
    const hosts = [
      ...new Set(
        blocked.map((u) => {
          try {
            return new URL(u).host;
          } catch {
            return u;
          }
        }),
      ),
    ];
    warnings.push(
      `blocked ${blocked.length} request(s) to hosts outside the allow-list (${hosts.slice(0, 5).join(', ')}): the page was measured without them; add hosts you own to load.allowHosts`,
    );
  }
  // Chromium's own services (time, component updates, sign-in) knock on Google's doors even
  // with every background flag set; the backstop stops them and they say nothing about the page.
  const foreign = backstopHits.filter((h) => !CHROMIUM_SERVICE_HOST.test(h));
  if (foreign.length > 0)
    warnings.push(
      `${foreign.length} connection(s) that bypassed request interception (WebSockets, preconnects) were stopped at the network level: ${[...new Set(foreign)].slice(0, 5).join(', ')}`,
    );
  const errors = [...new Set(observations.flatMap((o) => o.pageErrors))];
  if (errors.length) warnings.push(`uncaught page errors: ${errors.slice(0, 3).join(' | ')}`);
  const unsupported = [...new Set(observations.flatMap((o) => o.observations.unsupported))];
  if (unsupported.length) warnings.push(`this Chromium does not support: ${unsupported.join(', ')} (those metrics are missing)`);
  if (runs.some((r) => r.lcpMs === undefined)) warnings.push('some runs reported no LCP (nothing contentful was painted, or the page was hidden)');
  const lcps = runs.map((r) => r.lcpMs).filter((v): v is number => v !== undefined);
  if (lcps.length >= 3) {
    const [low, high, mid] = [minimum(lcps), maximum(lcps), median(lcps)];
    const spread = high - low;
    if (mid > 0 && spread > 0.5 * mid && spread > 100)
      warnings.push(`LCP varied a lot between runs (${Math.round(low)}–${Math.round(high)} ms): the machine or the server is noisy; use more runs`);
  }
  const elements = new Set(runs.map((r) => r.lcpElement?.selector).filter(Boolean));
  if (elements.size > 1) warnings.push(`the LCP element differed between runs (${[...elements].slice(0, 3).join(', ')})`);
  if (runs.length < 3) warnings.push(`only ${runs.length} run(s): lab metrics vary from load to load; 5 runs give a usable median`);
  return warnings;
}
