import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { RunAggregate } from './aggregate.js';
import type { LoadPlan } from './plan.js';
import { loadConnectionFactory, Shard, type ShardEnd } from './shard.js';
import type { Histogram } from './histogram.js';
import type { MetricsDelta } from './shard-metrics.js';
import { evaluateThreshold } from './thresholds.js';
import type { CoordinatorMessage, WorkerMessage } from './worker.js';

/**
 * Coordinates the generator threads: starts them on a shared clock, merges their deltas,
 * ticks once a second (timeline, progress, abortOnFail thresholds, self-monitoring) and
 * stops them on time, on cancellation or when an abortOnFail threshold fails.
 */
export interface EngineTick {
  elapsedS: number;
  totalS: number;
  aggregate: RunAggregate;
}

export interface EngineResult {
  aggregate: RunAggregate;
  ends: ShardEnd[];
  aborted: boolean;
  abortReason?: string;
  measuredMs: number;
  cpuPct: number;
  peakRssMb: number;
  workers: number;
  inProcess: boolean;
}

interface ShardHandle {
  ended: Promise<ShardEnd>;
  cancel(): void;
}

/** The compiled worker entry. Under vitest (src/*.ts) it comes from dist/ when built. */
export function workerEntry(): URL | null {
  const sibling = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(sibling))) return sibling;
  const built = new URL('../../dist/load/worker.js', import.meta.url);
  return existsSync(fileURLToPath(built)) ? built : null;
}

export async function runEngine(plan: LoadPlan, options: { signal: AbortSignal; onTick?(tick: EngineTick): void }): Promise<EngineResult> {
  const entry = plan.workers > 1 ? workerEntry() : null;
  const shards = entry ? plan.workers : 1;
  const aggregate = new RunAggregate(plan, shards);
  const handles: ShardHandle[] = [];
  let measureStartLocal: number;
  if (entry) {
    const workers: Worker[] = [];
    const ready: Array<Promise<void>> = [];
    for (let shard = 0; shard < shards; shard++) {
      const worker = new Worker(entry, { workerData: { plan, shard, shards } });
      workers.push(worker);
      let markReady!: () => void;
      ready.push(new Promise<void>((resolve) => (markReady = resolve)));
      const ended = new Promise<ShardEnd>((resolve, reject) => {
        let result: ShardEnd | undefined;
        worker.on('message', (message: WorkerMessage) => {
          if (message.type === 'ready') markReady();
          else if (message.type === 'delta') aggregate.merge(shard, message.delta);
          else if (message.type === 'end') result = message.end;
          else if (message.type === 'error') reject(new Error(`load generator thread failed: ${message.message}`));
        });
        worker.on('error', (error) => {
          markReady();
          reject(error);
        });
        worker.on('exit', () => {
          markReady();
          if (result) resolve(result);
          else reject(new Error('load generator thread exited without a result'));
        });
      });
      handles.push({ ended, cancel: () => worker.postMessage({ type: 'stop' } satisfies CoordinatorMessage) });
    }
    await Promise.all(ready);
    // Every thread can send now: start them together on one wall-clock instant.
    measureStartLocal = performance.now() + 20 + plan.warmupMs;
    for (const worker of workers)
      worker.postMessage({ type: 'start', measureStartEpochMs: performance.timeOrigin + measureStartLocal } satisfies CoordinatorMessage);
  } else {
    const connect = await loadConnectionFactory(plan);
    measureStartLocal = performance.now() + 5 + plan.warmupMs;
    const shard = new Shard({
      plan,
      connect,
      shard: 0,
      shards: 1,
      measureStartMs: measureStartLocal,
      flush: (delta: MetricsDelta<Histogram>) => aggregate.merge(0, delta),
    });
    handles.push({ ended: shard.run(), cancel: () => shard.cancel() });
  }
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  let peakRss = process.memoryUsage.rss();

  let aborted = false;
  let abortReason: string | undefined;
  let stopAt: number | undefined;
  const stopAll = (reason: string) => {
    if (aborted) return;
    aborted = true;
    abortReason = reason;
    stopAt = performance.now();
    for (const handle of handles) handle.cancel();
  };
  const onAbort = () => stopAll('cancelled');
  if (options.signal.aborted) onAbort();
  else options.signal.addEventListener('abort', onAbort, { once: true });

  const abortable = plan.thresholds.filter((t) => t.abortOnFail);
  const totalS = plan.durationMs / 1000;
  const tick = () => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    const elapsed = performance.now() - measureStartLocal;
    if (elapsed < 0) return;
    aggregate.elapsedMs = Math.min(elapsed, plan.durationMs);
    aggregate.finalise();
    for (const spec of abortable) {
      if (elapsed < spec.delayAbortEvalMs) continue;
      const verdict = evaluateThreshold(spec, aggregate);
      if (!verdict.ok && verdict.actual !== null) {
        stopAll(`threshold ${spec.metric} "${spec.expression}" failed (actual ${verdict.actual}) at ${(elapsed / 1000).toFixed(1)} s (abortOnFail)`);
        break;
      }
    }
    options.onTick?.({ elapsedS: Math.min(totalS, elapsed / 1000), totalS, aggregate });
  };
  const ticker = setInterval(tick, 1000);
  let ends: ShardEnd[];
  try {
    ends = await Promise.all(handles.map((h) => h.ended));
  } catch (error) {
    // One thread failed: stop the others too, so no load keeps going behind the error.
    for (const handle of handles) handle.cancel();
    await Promise.allSettled(handles.map((h) => h.ended));
    throw error;
  } finally {
    clearInterval(ticker);
    options.signal.removeEventListener('abort', onAbort);
  }
  const endedAt = stopAt ?? performance.now();
  const measuredMs = Math.max(0, Math.min(plan.durationMs, endedAt - measureStartLocal));
  aggregate.elapsedMs = measuredMs;
  aggregate.finalise(true, measuredMs);
  const cpu = process.cpuUsage(cpuStart);
  const wallUs = (performance.now() - wallStart) * 1000;
  return {
    aggregate,
    ends,
    aborted,
    abortReason,
    measuredMs,
    cpuPct: wallUs > 0 ? ((cpu.user + cpu.system) / wallUs) * 100 : 0,
    peakRssMb: peakRss / 1024 / 1024,
    workers: shards,
    inProcess: !entry,
  };
}
