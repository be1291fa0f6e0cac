import type { ElementInfo } from './schema.js';

/**
 * Metric definitions over the raw entries the page observer collected. All times are ms
 * since the navigation's time origin (performance.now()). Pure functions, tested alone.
 */

export interface LcpEntry {
  startTime: number;
  size: number;
  url?: string;
  element: ElementInfo | null;
}
export interface ShiftEntry {
  startTime: number;
  value: number;
  hadRecentInput: boolean;
  sources: string[];
}
export interface EventEntry {
  name: string;
  startTime: number;
  duration: number;
  processingStart: number;
  processingEnd: number;
  interactionId: number;
  target: string;
}
export interface TaskEntry {
  startTime: number;
  duration: number;
}
export interface FrameEntry {
  startTime: number;
  duration: number;
  blockingDuration: number;
  source?: string;
}
export interface PageObservations {
  lcp: LcpEntry[];
  shifts: ShiftEntry[];
  events: EventEntry[];
  firstInput: EventEntry[];
  longTasks: TaskEntry[];
  frames: FrameEntry[];
  paints: Array<{ name: string; startTime: number }>;
  unsupported: string[];
}

/** web.dev/articles/lcp: the last candidate reported; candidates stop at the first input. */
export function largestContentfulPaint(entries: readonly LcpEntry[], activationStart = 0): LcpEntry | undefined {
  const last = entries.at(-1);
  return last ? { ...last, startTime: Math.max(0, last.startTime - activationStart) } : undefined;
}

/**
 * CLS as Chrome and web-vitals define it since 2021 (web.dev/articles/evolving-cls): shifts
 * without recent input are grouped into session windows — a window ends after a 1 s gap or
 * once it spans 5 s — and CLS is the largest window's sum.
 */
export function cumulativeLayoutShift(shifts: readonly ShiftEntry[]): { value: number; window: ShiftEntry[] } {
  let best = 0;
  let bestWindow: ShiftEntry[] = [];
  let current: ShiftEntry[] = [];
  let sum = 0;
  for (const shift of [...shifts].filter((s) => !s.hadRecentInput).sort((a, b) => a.startTime - b.startTime)) {
    const first = current[0];
    const last = current.at(-1);
    if (first && last && shift.startTime - last.startTime < 1000 && shift.startTime - first.startTime < 5000) {
      current.push(shift);
      sum += shift.value;
    } else {
      current = [shift];
      sum = shift.value;
    }
    if (sum > best) {
      best = sum;
      bestWindow = [...current];
    }
  }
  return { value: best, window: bestWindow };
}

export interface InteractionLatency {
  interactionId: number;
  startTime: number;
  latency: number;
  inputDelay: number;
  processing: number;
  presentationDelay: number;
  name: string;
  target: string;
}

/**
 * One latency per interaction: the longest event entry sharing its interactionId (a click
 * is pointerdown + pointerup + click). The phases follow web-vitals' INP attribution: input
 * delay = processingStart − startTime, processing = processingEnd − processingStart,
 * presentation delay = the rest until the next frame.
 */
export function interactionLatencies(events: readonly EventEntry[]): InteractionLatency[] {
  const byId = new Map<number, EventEntry[]>();
  for (const event of events) {
    if (!event.interactionId) continue;
    const list = byId.get(event.interactionId) ?? [];
    list.push(event);
    byId.set(event.interactionId, list);
  }
  const result: InteractionLatency[] = [];
  for (const [interactionId, list] of byId) {
    const worst = list.reduce((a, b) => (b.duration > a.duration ? b : a));
    const start = Math.min(...list.map((e) => e.startTime));
    const processingStart = Math.min(...list.map((e) => e.processingStart));
    const processingEnd = Math.max(...list.map((e) => e.processingEnd));
    const end = worst.startTime + worst.duration;
    result.push({
      interactionId,
      startTime: start,
      latency: worst.duration,
      inputDelay: Math.max(0, processingStart - start),
      processing: Math.max(0, processingEnd - processingStart),
      presentationDelay: Math.max(0, end - processingEnd),
      name: worst.name,
      target: worst.target,
    });
  }
  return result.sort((a, b) => a.startTime - b.startTime);
}

/**
 * INP (web.dev/articles/inp): the worst interaction latency, except that for every 50
 * interactions the single worst is ignored (an approximation of the 98th percentile).
 */
export function interactionToNextPaint(latencies: readonly InteractionLatency[]): number | undefined {
  if (latencies.length === 0) return undefined;
  const sorted = latencies.map((l) => l.latency).sort((a, b) => b - a);
  return sorted[Math.min(sorted.length - 1, Math.floor(latencies.length / 50))];
}

export const BLOCKING_THRESHOLD_MS = 50;

/**
 * Total Blocking Time as Lighthouse computes it (core/computed/metrics/tbt-utils.js): each
 * long task is clipped to [start, end] (FCP … end of the quiet load), and what remains
 * beyond 50 ms counts. Lighthouse's end is TTI; ours is when the page went quiet.
 */
export function blockingTime(task: TaskEntry, startMs: number, endMs = Infinity): number {
  const taskEnd = task.startTime + task.duration;
  if (task.duration < BLOCKING_THRESHOLD_MS || taskEnd < startMs || task.startTime > endMs) return 0;
  const clipped = Math.min(taskEnd, endMs) - Math.max(task.startTime, startMs);
  return clipped > BLOCKING_THRESHOLD_MS ? clipped - BLOCKING_THRESHOLD_MS : 0;
}

export function totalBlockingTime(tasks: readonly TaskEntry[], startMs: number, endMs = Infinity): number {
  return tasks.reduce((sum, task) => sum + blockingTime(task, startMs, endMs), 0);
}
