import { availableParallelism } from 'node:os';
import { round } from '../common/units.js';
import type { EngineResult } from './engine.js';
import { summarise } from './histogram.js';
import type { LoadPlan } from './plan.js';
import type { LoadTestOutput } from './schema.js';
import { evaluateThreshold } from './thresholds.js';
import { median } from '../common/sample-stats.js';

/**
 * When the generator, not the server, limited the numbers: a thread busy > 90 % of the
 * time (event-loop utilisation) is saturated; timers firing late (event-loop lag) mean
 * the client added delay of its own — from its own work or CPU contention on the machine.
 */
const LAG_P99_LIMIT_MS = 25;
const LAG_MEAN_LIMIT_MS = 5;
const ELU_LIMIT = 0.9;

function share(part: number, whole: number): number {
  return whole > 0 ? round(part / whole, 4) : 0;
}

/** Builds the structured result (without artefact paths) from what the engine measured. */
export function buildResult(plan: LoadPlan, engine: EngineResult): Omit<LoadTestOutput, 'artifacts'> {
  const agg = engine.aggregate;
  const durationS = engine.measuredMs / 1000;
  const latencyMs = summarise(agg.overall);
  const thresholds = plan.thresholds.map((spec) => evaluateThreshold(spec, agg));
  const errors = [...agg.errors.values()].sort((a, b) => b.count - a.count);
  const endpoints = agg.endpoints.map((e) => {
    const request = e.request;
    const [responses, cc, cacheable, etag, lastModified, hits, misses] = e.cache;
    return {
      name: request.name,
      method: request.method,
      url: request.url,
      requests: e.count,
      failed: e.failed,
      throughputRps: durationS > 0 ? round(e.count / durationS, 1) : 0,
      latencyMs: summarise(e.hist),
      errorRate: share(e.failed, e.count),
      cache: {
        responses,
        withCacheControl: share(cc, responses),
        cacheable: share(cacheable, responses),
        withEtag: share(etag, responses),
        withLastModified: share(lastModified, responses),
        hitRatio: hits + misses > 0 ? share(hits, hits + misses) : null,
      },
    };
  });
  const checks = agg.checks.map(({ check, passes, fails }) => ({ name: check.name, passes, fails }));

  const lagP99 = Math.max(0, ...engine.ends.map((e) => e.lagP99Ms));
  const lagMean = Math.max(0, ...engine.ends.map((e) => e.lagMeanMs));
  const elu = Math.max(0, ...engine.ends.map((e) => e.eventLoopUtilization));
  const warnings: string[] = [];
  const cores = availableParallelism();
  const cpuBound = engine.cpuPct >= 90 * Math.min(cores, engine.workers + (engine.inProcess ? 0 : 1));
  const refused = agg.errors.get('connection_refused')?.count ?? 0;
  const mostlyRefused = refused > 0 && refused >= agg.total * 0.5;
  // Spinning on instant refusals keeps the generator busy: that says nothing about the server.
  const generatorBound = (elu > ELU_LIMIT || cpuBound) && !mostlyRefused;
  if (generatorBound) {
    warnings.push(
      `The load generator was the bottleneck (busiest thread ${(elu * 100).toFixed(0)}% busy, process CPU ${engine.cpuPct.toFixed(0)}% with ${cores} cores, event-loop lag p99 ${lagP99.toFixed(1)} ms): ` +
        'throughput is bounded by the client, not the server, and latencies include client delay. Add workers, or run the generator on another machine.',
    );
  } else if (!mostlyRefused && (lagP99 > LAG_P99_LIMIT_MS || lagMean > LAG_MEAN_LIMIT_MS)) {
    warnings.push(
      `The generator's timers ran late (event-loop lag p99 ${lagP99.toFixed(1)} ms, mean ${lagMean.toFixed(1)} ms) although its threads were not saturated (${(elu * 100).toFixed(0)}% busy): ` +
        'the machine is short of CPU (other processes, or the server on the same cores). Latencies may include up to that much client-side delay.',
    );
  }
  const timeline = agg.timeline;
  const closedModel = diagnoseClosedModel(plan, agg, durationS, latencyMs);
  if (closedModel?.state === 'stalled') {
    warnings.push(
      `The server stopped completing requests: ${closedModel.stalledSeconds} s with under 10% of the usual throughput while users were waiting (max ${latencyMs.max} ms vs p50 ${latencyMs.p50} ms). ` +
        'Closed-model percentiles hide such stalls (coordinated omission): waiting users send nothing, so a stall is counted once per user instead of for every request that would have arrived. ' +
        'Re-run with `rate` (open model) to measure latency from the intended send time.',
    );
  } else if (closedModel?.state === 'saturated') {
    // The diagnosis leads the warnings (a brief shows the first), unless the generator itself was the limit.
    const text = `${saturationSentence(closedModel)} ${closedModel.advice}`;
    if (generatorBound) warnings.push(text);
    else warnings.unshift(text);
  } else if (plan.model === 'closed' && agg.total > 0 && latencyMs.max > Math.max(10 * latencyMs.p50, latencyMs.p50 + 200)) {
    warnings.push(
      `Latency spikes: max ${latencyMs.max} ms vs p50 ${latencyMs.p50} ms. ` +
        'Closed-model percentiles hide queueing (coordinated omission): users waiting on a slow response send nothing, so a pause is counted once per user instead of for every request that would have arrived. ' +
        'Re-run with `rate` (open model) to measure latency from the intended send time.',
    );
  }
  if (agg.dropped > 0) {
    const cause = generatorBound
      ? 'The generator itself was overloaded (see above), so the drops say little about the server.'
      : `The server could not keep up with ${plan.rate ? `${plan.rate} req/s` : 'the schedule'} at this concurrency; raise \`connections\` to allow more in flight, or lower the rate.`;
    warnings.push(`${agg.dropped} scheduled requests were dropped: all ${plan.connections} in-flight slots were busy. ${cause}`);
  }
  const unfinished = engine.ends.reduce((sum, e) => sum + e.unfinished, 0);
  if (unfinished > 0) warnings.push(`${unfinished} requests were still in flight when the run ended and are not counted.`);
  if (mostlyRefused) warnings.push('Most requests were refused: the server stopped listening during the run (it was listening when the run started).');
  if (agg.total === 0 && !engine.aborted) warnings.push('No request finished: nothing was measured.');
  if (engine.workers === 1 && plan.workers > 1) warnings.push('Worker threads are unavailable here (dist/load/worker.js missing); ran on one thread.');

  const aborted = engine.aborted;
  const passed = !aborted && thresholds.every((t) => t.ok) && agg.total > 0;
  return {
    passed,
    aborted,
    ...(engine.abortReason ? { abortReason: engine.abortReason } : {}),
    model: plan.model,
    engine: plan.engine === 'fast' ? 'raw-socket HTTP/1.1' : plan.http2 ? 'undici (HTTP/2)' : 'undici',
    durationS: round(durationS, 3),
    requests: { total: agg.total, succeeded: agg.total - agg.failed, failed: agg.failed, dropped: agg.dropped },
    throughputRps: durationS > 0 ? round(agg.total / durationS, 1) : 0,
    latencyMs,
    errors: errors.map((e) => ({ kind: e.kind, ...(e.status ? { status: e.status } : {}), count: e.count, ...(e.example ? { example: e.example } : {}) })),
    checks,
    thresholds,
    endpoints,
    timeline,
    generator: {
      workers: engine.workers,
      eventLoopLagP99Ms: round(lagP99, 2),
      eventLoopUtilization: round(elu, 3),
      cpuPct: round(engine.cpuPct, 1),
      peakRssMb: round(engine.peakRssMb, 1),
    },
    ...(closedModel ? { closedModel } : {}),
    warnings,
  };
}

/**
 * Closed model without pauses: each of N users sends again the moment a response arrives,
 * so Little's law pins the mean latency to N ÷ throughput — the latency is the queue N users
 * build, not how fast the server answers one request. A server is saturated when that queue
 * is most of the latency: the typical request took several times the fastest one (the work
 * itself), by at least a few ms (sub-ms differences are client noise). It stalled only when
 * requests actually stopped completing (a second with under 10% of the usual throughput).
 */
const QUEUEING_RATIO = 3;
const QUEUEING_MIN_MS = 2;
/** Users ÷ throughput and the measured mean agree within this share (boundary effects, client turnaround). */
const LITTLE_TOLERANCE = 0.2;
/** The think time the advice's example uses. */
const EXAMPLE_THINK_S = 1;

type ClosedModelDiagnosis = NonNullable<LoadTestOutput['closedModel']>;

function diagnoseClosedModel(
  plan: LoadPlan,
  agg: EngineResult['aggregate'],
  durationS: number,
  latencyMs: LoadTestOutput['latencyMs'],
): ClosedModelDiagnosis | undefined {
  if (plan.model !== 'closed' || durationS <= 0) return undefined;
  const timed = agg.overall.totalCount;
  if (timed === 0) return undefined;
  const full = agg.timeline.slice(0, Math.max(0, Math.floor(durationS)));
  // With stages the users vary: Little's law holds for their time average.
  const users = plan.stages.length && full.length ? round(full.reduce((sum, p) => sum + p.active, 0) / full.length, 1) : plan.connections;
  const throughputRps = timed / durationS;
  const usersOverThroughputMs = (users / throughputRps) * 1000;
  const meanMs = latencyMs.mean;
  const agrees = Math.abs(usersOverThroughputMs - meanMs) <= LITTLE_TOLERANCE * Math.max(meanMs, usersOverThroughputMs);
  const typical = full.length ? median(full.map((p) => p.rps)) : 0;
  const stalledSeconds = full.filter((p) => p.active > 0 && typical > 0 && p.rps < typical * 0.1).length;
  const queued = users >= 2 && latencyMs.p50 >= QUEUEING_RATIO * latencyMs.min && latencyMs.p50 - latencyMs.min >= QUEUEING_MIN_MS;
  const state = stalledSeconds > 0 ? 'stalled' : queued ? 'saturated' : 'not saturated';
  const capacity = round(throughputRps, 1);
  const exampleRate = round(users / (EXAMPLE_THINK_S + meanMs / 1000), 1);
  const halfCapacity = round(throughputRps / 2, 1);
  const advice =
    `To model real users, give an arrival rate instead of users: N users who pause Z s between requests (think time) arrive at N ÷ (Z + latency) per second — ${users} users with ${EXAMPLE_THINK_S} s think time → \`rate: ${exampleRate}\`; ` +
    `or probe below the ceiling of ~${capacity} req/s, e.g. \`rate: ${halfCapacity}\` (or a k6 \`script\` with sleep() for think time).`;
  return {
    state,
    users,
    throughputRps: capacity,
    usersOverThroughputMs: round(usersOverThroughputMs, 1),
    meanLatencyMs: round(meanMs, 1),
    littleAgrees: agrees,
    fastestMs: latencyMs.min,
    ...(stalledSeconds ? { stalledSeconds } : {}),
    suggestedRate: state === 'saturated' ? halfCapacity : exampleRate,
    advice,
  };
}

/** "Saturated: …" with both numbers of Little's law. */
function saturationSentence(d: ClosedModelDiagnosis): string {
  // Compact first (a brief keeps about 220 characters): both numbers of Little's law and the rate to use.
  return (
    `The server is saturated, not stalled: ${d.users} users ÷ ${d.throughputRps} req/s = ${d.usersOverThroughputMs} ms vs mean latency measured ${d.meanLatencyMs} ms${d.littleAgrees ? " (Little's law holds)" : ' (they disagree: time went to the client between requests)'}; use \`rate: ${d.suggestedRate}\` or think time. ` +
    `The fastest request took ${d.fastestMs} ms, so most of each wait was queueing behind the other users, and throughput is capped at ~${d.throughputRps} req/s.`
  );
}
