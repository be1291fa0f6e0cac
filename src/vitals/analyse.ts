import { round } from '../common/units.js';
import type { RunObservation } from './measure-run.js';
import {
  blockingTime,
  cumulativeLayoutShift,
  interactionLatencies,
  interactionToNextPaint,
  largestContentfulPaint,
  totalBlockingTime,
  type InteractionLatency,
} from './metrics.js';
import type { ElementInfo, Interaction, MetricSummary, VitalsOutput } from './schema.js';
import type { RunValues } from './thresholds.js';
import { median } from '../common/sample-stats.js';

/** One run's numbers, derived from what the page observed. */
export interface RunMetrics {
  run: number;
  ttfbMs: number;
  fcpMs?: number;
  lcpMs?: number;
  lcpElement: ElementInfo | null;
  cls: number;
  tbtMs: number;
  inpMs?: number;
  loadMs?: number;
  requests: number;
  bytes: number;
  byType: Record<string, { count: number; bytes: number }>;
  longTasks: VitalsOutput['longTasks'];
  layoutShifts: VitalsOutput['layoutShifts'];
  /** Per step: the worst interaction inside it (undefined = none over 16 ms). */
  steps: Array<InteractionLatency | undefined>;
}

export function analyseRun(observation: RunObservation): RunMetrics {
  const { observations: o, navigation } = observation;
  const activation = navigation?.activationStart ?? 0;
  const fcp = o.paints.find((p) => p.name === 'first-contentful-paint')?.startTime;
  const lcp = largestContentfulPaint(o.lcp, activation);
  const cls = cumulativeLayoutShift(o.shifts);
  // TBT window: FCP until the page went quiet, before any scripted interaction.
  const tbtStart = fcp ?? 0;
  const tbtEnd = observation.settledAtMs;
  const tbt = totalBlockingTime(o.longTasks, tbtStart, tbtEnd);
  const latencies = interactionLatencies([...o.events, ...o.firstInput.filter((f) => !o.events.some((e) => e.interactionId === f.interactionId))]);
  const steps = observation.marks.map((mark) => {
    const inside = latencies.filter((l) => l.startTime >= mark.startMs && l.startTime <= mark.endMs);
    return inside.length ? inside.reduce((a, b) => (b.latency > a.latency ? b : a)) : undefined;
  });
  // With interactions but none over the 16 ms Event Timing floor, INP is reported as 0.
  const inp = observation.measuresInp ? (interactionToNextPaint(latencies) ?? 0) : undefined;

  const counted = observation.requests.filter((r) => !r.blocked);
  const byType: RunMetrics['byType'] = {};
  for (const request of counted) {
    const entry = (byType[request.type] ??= { count: 0, bytes: 0 });
    entry.count++;
    entry.bytes += request.bytes;
  }
  // Long Animation Frames carry script attribution that plain long tasks lack.
  const sourceOf = (start: number, end: number): { source?: string } => {
    const source = o.frames.find((f) => f.source && f.startTime <= end && f.startTime + f.duration >= start)?.source;
    return source ? { source } : {};
  };
  const longTasks = o.longTasks.map((t) => ({
    startMs: round(t.startTime, 1),
    durationMs: round(t.duration, 1),
    blockingMs: round(t.startTime <= tbtEnd ? blockingTime(t, tbtStart, tbtEnd) : 0, 1),
    ...sourceOf(t.startTime, t.startTime + t.duration),
  }));
  const layoutShifts = o.shifts.filter((s) => !s.hadRecentInput).map((s) => ({ startMs: round(s.startTime, 1), value: round(s.value, 4), sources: s.sources }));
  return {
    run: observation.index + 1,
    ttfbMs: Math.max(0, (navigation?.responseStart ?? 0) - activation),
    fcpMs: fcp,
    lcpMs: lcp?.startTime,
    lcpElement: lcp?.element ?? (lcp?.url ? { selector: '(removed element)', tag: '', url: lcp.url } : null),
    cls: cls.value,
    tbtMs: tbt,
    inpMs: inp,
    loadMs: navigation && navigation.loadEventEnd > 0 ? navigation.loadEventEnd - activation : undefined,
    requests: counted.length,
    bytes: counted.reduce((sum, r) => sum + r.bytes, 0),
    byType,
    longTasks,
    layoutShifts,
    steps,
  };
}

export function summarise(values: Array<number | undefined>, digits = 1): MetricSummary | undefined {
  const present = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (present.length === 0) return undefined;
  return {
    median: round(median(present), digits),
    min: round(Math.min(...present), digits),
    max: round(Math.max(...present), digits),
    values: values.map((v) => (typeof v === 'number' && Number.isFinite(v) ? round(v, digits) : null)),
  };
}

export function runValues(runs: readonly RunMetrics[]): RunValues {
  return {
    lcp: runs.map((r) => r.lcpMs),
    fcp: runs.map((r) => r.fcpMs),
    ttfb: runs.map((r) => r.ttfbMs),
    tbt: runs.map((r) => r.tbtMs),
    inp: runs.map((r) => r.inpMs),
    load: runs.map((r) => r.loadMs),
    cls: runs.map((r) => r.cls),
    bytes: runs.map((r) => r.bytes),
    requests: runs.map((r) => r.requests),
  };
}

/**
 * The run closest to the medians, as Lighthouse's computeMedianRun (core/lib/median-run.js)
 * picks it — there by FCP and TTI, here by LCP (FCP when absent) and TBT, each distance
 * scaled by its median so both count alike.
 */
export function representativeRun(runs: readonly RunMetrics[]): number {
  if (runs.length <= 2) return 0;
  const paint = runs.map((r) => r.lcpMs ?? r.fcpMs ?? r.ttfbMs);
  const mPaint = median(paint) || 1;
  const mTbt = median(runs.map((r) => r.tbtMs)) || 1;
  let best = 0;
  let bestDistance = Infinity;
  const typicalTbt = median(runs.map((x) => x.tbtMs));
  runs.forEach((r, i) => {
    const distance = (((paint[i] ?? mPaint) - mPaint) / mPaint) ** 2 + ((r.tbtMs - typicalTbt) / mTbt) ** 2;
    if (distance < bestDistance) {
      bestDistance = distance;
      best = i;
    }
  });
  return best;
}

function describeTarget(step: Interaction): string {
  return 'selector' in step ? step.selector : `${step.ms} ms`;
}

export function summariseInteractions(interactions: readonly Interaction[], runs: readonly RunMetrics[]): VitalsOutput['interactions'] {
  return interactions.flatMap((step, i) => {
    if (step.action === 'wait' || step.action === 'hover') return [];
    const seen = runs.map((r) => r.steps[i]);
    const medianOf = (pick: (l: InteractionLatency) => number) => {
      const values = seen.filter((l): l is InteractionLatency => l !== undefined).map(pick);
      // Steps under the 16 ms Event Timing floor in most runs report null, not a made-up number.
      return values.length * 2 > runs.length ? round(median(values), 1) : null;
    };
    return [
      {
        step: i + 1,
        action: step.action,
        target: describeTarget(step),
        latencyMs: medianOf((l) => l.latency),
        inputDelayMs: medianOf((l) => l.inputDelay),
        processingMs: medianOf((l) => l.processing),
        presentationDelayMs: medianOf((l) => l.presentationDelay),
      },
    ];
  });
}
