import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { encodeHistogram, type Histogram } from './histogram.js';
import type { LoadPlan } from './plan.js';
import { Shard } from './shard.js';
import type { MetricsDelta } from './shard-metrics.js';

/**
 * Worker-thread entry: runs one Shard and posts its metric deltas (histograms encoded
 * with HdrHistogram's compressed format) to the coordinator. `stop` cancels it.
 */
export interface WorkerInit {
  plan: LoadPlan;
  shard: number;
  shards: number;
  /** Wall-clock epoch (ms, sub-ms precision) of the measured start, shared by all threads. */
  measureStartEpochMs: number;
}

function encodeDelta(delta: MetricsDelta<Histogram>): MetricsDelta<string> {
  return {
    ...delta,
    seconds: delta.seconds.map((s) => ({ ...s, hist: encodeHistogram(s.hist) })),
    endpoints: delta.endpoints.map((e) => ({ ...e, hist: encodeHistogram(e.hist) })),
  };
}

const init = workerData as WorkerInit;
const port = parentPort!;
const shard = new Shard({
  plan: init.plan,
  shard: init.shard,
  shards: init.shards,
  measureStartMs: init.measureStartEpochMs - performance.timeOrigin,
  flush: (delta) => port.postMessage({ type: 'delta', delta: encodeDelta(delta) }),
});
port.on('message', (message: { type: string }) => {
  if (message.type === 'stop') shard.cancel();
});
shard.run().then(
  (end) => {
    port.postMessage({ type: 'end', end });
    port.close();
  },
  (error: unknown) => {
    port.postMessage({ type: 'error', message: error instanceof Error ? error.stack ?? error.message : String(error) });
    port.close();
  },
);
