import { join } from 'node:path';
import type { RunContext, ToolOutcome } from '../common/context.js';
import { defined, UserError } from '../common/errors.js';
import { readInputFile } from '../common/input-files.js';
import { median } from '../common/sample-stats.js';
import { isLoaded } from '../store/environment.js';
import { createRun, listRuns, type StoredRun } from '../store/runs.js';
import { detectChangePoints } from './change-points.js';
import { extractMetrics, type MetricValue } from './metrics.js';
import { renderHistoryPage } from './render.js';
import type { ChangePoint, HistoryInput, HistoryOutput, HistoryPoint } from './schema.js';

export { historyInputSchema, historyOutputSchema } from './schema.js';
export type { ChangePoint, HistoryInput, HistoryOutput, HistoryPoint } from './schema.js';

/** result.json files are far smaller; the cap only keeps a stray huge file from being read. */
const RESULT_MAX_BYTES = 100 * 1024 * 1024;

async function readResult(projectDir: string, run: StoredRun): Promise<unknown> {
  try {
    // Through the input-file gate: a result.json that is a FIFO or a link to a device is skipped, not read.
    return JSON.parse(await readInputFile(join(run.dir, 'result.json'), { projectDir, maxBytes: RESULT_MAX_BYTES, what: 'run result' }));
  } catch {
    return undefined;
  }
}

function mostCommon(values: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}

/** The series of `metric` over the runs of `kind`, oldest first, one point per run that has it. */
export async function collectSeries(
  projectDir: string,
  kind: string,
  metric: string,
  target?: string,
): Promise<{
  points: HistoryPoint[];
  unit: string;
  direction: MetricValue['direction'];
  known: string[];
  /** What the runs measured (targetOf), with how many runs each, when their inputs say. */
  targets: Map<string, number>;
  latestTarget: string | undefined;
}> {
  const wanted = target?.toLowerCase();
  const runs = await listRuns(projectDir, kind);
  const targets = new Map<string, number>();
  let latestTarget: string | undefined;
  const points: HistoryPoint[] = [];
  const hosts: string[] = [];
  const known = new Set<string>();
  let unit = 'value';
  let direction: MetricValue['direction'] = 'lower-is-better';
  const raw: Array<{ point: HistoryPoint; run: StoredRun }> = [];
  for (const run of runs) {
    const stored = await readResult(projectDir, run);
    const subject = targetOf(stored);
    if (wanted && !`${subject ?? ''}\n${run.title}`.toLowerCase().includes(wanted)) continue;
    const metrics = extractMetrics(run.kind, stored);
    const m = metrics[metric];
    if (!m) {
      for (const name of Object.keys(metrics)) known.add(name);
      continue;
    }
    unit = m.unit;
    direction = m.direction;
    if (subject !== undefined) targets.set(subject, (targets.get(subject) ?? 0) + 1);
    latestTarget = subject;
    const env = run.environment;
    raw.push({ point: { commit: env?.git?.commit ?? null, runId: run.id, at: run.createdAt, value: m.value, flags: [] }, run });
    if (env) hosts.push(env.host);
  }
  const usualHost = mostCommon(hosts);
  for (const { point, run } of raw) {
    const env = run.environment;
    if (env?.git?.dirty) point.flags.push('dirty');
    if (env && usualHost && env.host !== usualHost) point.flags.push('other-machine');
    if (env && isLoaded(env)) point.flags.push('loaded');
    points.push(point);
  }
  return { points, unit, direction, known: [...known].sort(), targets, latestTarget };
}

/**
 * Runs of different targets side by side are not one metric over time: a change point between
 * them says "another endpoint", not "this commit". Undefined when the runs measured one target.
 */
function mixedTargets(counts: Map<string, number>): { targets: Array<{ target: string; runs: number }>; warning: string } | undefined {
  if (counts.size < 2) return undefined;
  const targets = [...counts].map(([target, runs]) => ({ target, runs })).sort((a, b) => b.runs - a.runs);
  const named = targets
    .slice(0, 3)
    .map((t) => `"${t.target}" ×${t.runs}`)
    .join(', ');
  return { targets, warning: `the series mixes ${targets.length} targets (${named}${targets.length > 3 ? ', …' : ''}): pass target to follow one` };
}

/** The same history for one target: the one the latest run measured. */
function followOne(input: HistoryInput, target: string): string {
  return `performance_history ${JSON.stringify({ kind: input.kind, metric: input.metric, target })}`;
}

/**
 * What a run measured, from the input it stored: the load test's script or URL, the profiled
 * command, the page. A URL loses its port (a test server's port changes from run to run).
 * Undefined where the metric name already says it (compare rows, query fingerprints).
 */
function targetOf(stored: unknown): string | undefined {
  const input = (stored as { input?: Record<string, unknown> } | undefined)?.input;
  if (!input) return undefined;
  const requests = Array.isArray(input.requests) ? (input.requests as Array<{ url?: unknown }>) : [];
  const url = input.url ?? requests[0]?.url;
  const value = input.script ?? (typeof url === 'string' ? url : undefined) ?? (Array.isArray(input.command) ? input.command.join(' ') : undefined);
  return typeof value === 'string' ? value.replace(/^(\w+:\/\/[^/:\s]+):\d+/, '$1') : undefined;
}

/** Change points of a series, each with the medians of the stretches before and after it. */
export function changePointsOf(points: HistoryPoint[], direction: MetricValue['direction'], alpha: number): ChangePoint[] {
  const values = points.map((p) => p.value);
  const found = detectChangePoints(values, { alpha });
  return found.map((c, i) => {
    // The stretch before runs from the previous change point (or the start), the one after to the next (or the end).
    const beforeValue = median(values.slice(found[i - 1]?.index ?? 0, c.index));
    const afterValue = median(values.slice(c.index, found[i + 1]?.index ?? values.length));
    const deltaPct = beforeValue === 0 ? 0 : ((afterValue - beforeValue) / Math.abs(beforeValue)) * 100;
    const worse = direction === 'lower-is-better' ? afterValue > beforeValue : afterValue < beforeValue;
    const point = defined(points[c.index], `point ${c.index} of the series (a change point's index)`);
    return {
      commit: point.commit,
      runId: point.runId,
      at: point.at,
      beforeValue,
      afterValue,
      deltaPct: Math.round(deltaPct * 100) / 100,
      pValue: c.pValue,
      verdict: worse ? 'regression' : 'improvement',
    };
  });
}

function nextCalls(kind: string, points: HistoryPoint[], changePoints: ChangePoint[]): { next?: string[] } {
  const last = changePoints.at(-1);
  // compare_benchmarks reads load results (their latency histograms); other kinds have no samples to compare.
  if (!last || kind !== 'load') return {};
  const at = points.findIndex((p) => p.runId === last.runId);
  const before = points[at - 1];
  if (!before) return {};
  return { next: [`compare_benchmarks {"baseline":"${before.runId}","candidate":"${last.runId}"}`] };
}

const short = (commit: string | null) => (commit ? commit.slice(0, 10) : 'no commit');
const fmt = (v: number) => `${+v.toPrecision(4)}`;

export async function runHistory(input: HistoryInput, context: RunContext): Promise<ToolOutcome<HistoryOutput>> {
  const { points, unit, direction, known, targets, latestTarget } = await collectSeries(context.projectDir, input.kind, input.metric, input.target);
  const latest = points.at(-1);
  if (!latest) {
    const runs = await listRuns(context.projectDir, input.kind);
    if (input.target && runs.length)
      throw new UserError(
        `no "${input.kind}" run with "${input.metric}" has a target (URL, script, command) or title containing "${input.target}"`,
        `titles of these runs: ${[...new Set(runs.map((r) => r.title))].slice(0, 10).join(' | ')}`,
      );
    if (!runs.length)
      throw new UserError(
        `no "${input.kind}" runs in .perf/runs`,
        'run the tool a few times (one run per commit), or import results: perfeng history import DIR',
      );
    throw new UserError(
      `no "${input.kind}" run has the metric "${input.metric}"`,
      `metrics these runs have: ${known.slice(0, 25).join(', ')}${known.length > 25 ? ', …' : ''}`,
    );
  }
  const changePoints = changePointsOf(points, direction, input.alpha);
  const flagged = points.filter((p) => p.flags.length).length;
  const mixed = mixedTargets(targets);
  const title = input.title ?? `${input.metric} of ${input.kind} runs`;
  const run = await createRun(context.projectDir, 'history', `${input.kind} ${input.metric}`);
  const artifacts = { dir: run.dir, report: run.path('history.html'), result: run.path('result.json') };

  const regressions = changePoints.filter((c) => c.verdict === 'regression');
  const verdict = regressions.length ? 'REGRESSED' : changePoints.length ? 'IMPROVED' : 'STABLE';
  const cpText = changePoints.length
    ? changePoints
        .slice(-3)
        .map(
          (c) =>
            `${c.deltaPct > 0 ? '+' : ''}${c.deltaPct}% at ${short(c.commit)} (${fmt(c.beforeValue)} → ${fmt(c.afterValue)} ${unit}, p=${c.pValue.toFixed(3)})`,
        )
        .join('; ')
    : 'no change point';
  const summary =
    `${verdict}: ${input.metric} of ${input.kind} over ${points.length} runs; ${cpText}; latest ${fmt(latest.value)} ${unit} at ${short(latest.commit)}${flagged ? `; ${flagged} runs flagged (dirty/other machine/loaded)` : ''}${mixed ? `; ${mixed.warning}` : ''}. Run ${run.id}`.slice(
      0,
      700,
    );

  const structured: HistoryOutput = {
    summary,
    kind: input.kind,
    metric: input.metric,
    unit,
    direction,
    series: points.slice(-input.limit),
    seriesTotal: points.length,
    changePoints,
    flagged,
    ...(mixed ? { targets: mixed.targets.slice(0, 10), warnings: [mixed.warning] } : {}),
    ...(mixed && latestTarget ? { next: [followOne(input, latestTarget)] } : nextCalls(input.kind, points, changePoints)),
    artifacts,
  };
  await run.writeResult({ tool: 'performance_history', input, result: { ...structured, series: points }, verdict: { verdict, failed: false } });
  await run.writeFile('history.html', renderHistoryPage({ title, verdict: summary, metric: input.metric, unit, points, changePoints }));
  const lines = [summary, '', `Change points (E-divisive means, permutation test α ${input.alpha}):`];
  for (const c of changePoints) {
    lines.push(
      `  ${c.verdict.padEnd(11)} ${short(c.commit)}  ${fmt(c.beforeValue)} → ${fmt(c.afterValue)} ${unit} (${c.deltaPct > 0 ? '+' : ''}${c.deltaPct}%, p=${c.pValue.toFixed(3)})  run ${c.runId}`,
    );
  }
  if (!changePoints.length) lines.push('  none');
  lines.push(`Trend page: ${artifacts.report}`);
  return { structured, summary: lines.join('\n') };
}
