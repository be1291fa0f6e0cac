import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { encodeHistogram, type Histogram } from './histogram.js';
import type { LoadPlan } from './plan.js';
import { loadConnectionFactory, Shard } from './shard.js';
import type { MetricsDelta } from './shard-metrics.js';

/**
 * Worker-thread entry: loads its client, says `ready`, and on `start` runs one Shard,
 * posting its metric deltas (histograms in HdrHistogram's compressed format) to the
 * coordinator. `stop` cancels it. The handshake matters on a busy machine: a thread can
 * take seconds to load, and the clock must not start before every thread can send.
 */
export interface WorkerInit {
  plan: LoadPlan;
  shard: number;
  shards: number;
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
const connect = await loadConnectionFactory(init.plan);
let shard: Shard | undefined;
port.on('message', (message: { type: string; measureStartEpochMs?: number }) => {
  if (message.type === 'start') {
    shard = new Shard({
      plan: init.plan,
      connect,
      shard: init.shard,
      shards: init.shards,
      // Wall-clock epoch (sub-ms) shared by all threads → this thread's performance.now().
      measureStartMs: message.measureStartEpochMs! - performance.timeOrigin,
      flush: (delta) => port.postMessage({ type: 'delta', delta: encodeDelta(delta) }),
    });
    shard.run().then(
      (end) => {
        port.postMessage({ type: 'end', end });
        port.close();
      },
      (error: unknown) => {
        port.postMessage({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
        port.close();
      },
    );
  } else if (message.type === 'stop') {
    if (shard) shard.cancel();
    else port.close();
  }
});
port.postMessage({ type: 'ready' });
