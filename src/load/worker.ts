import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { defined } from '../common/errors.js';
import { encodeHistogram, type Histogram } from './histogram.js';
import type { LoadPlan } from './plan.js';
import { loadConnectionFactory, Shard, type ShardEnd } from './shard.js';
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

/** What a generator thread posts to the coordinator (engine.ts). */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'delta'; delta: MetricsDelta<string> }
  | { type: 'end'; end: ShardEnd }
  | { type: 'error'; message: string };

/** What the coordinator posts to a generator thread. */
export type CoordinatorMessage = { type: 'start'; measureStartEpochMs: number } | { type: 'stop' };

function encodeDelta(delta: MetricsDelta<Histogram>): MetricsDelta<string> {
  return {
    ...delta,
    seconds: delta.seconds.map((s) => ({ ...s, hist: encodeHistogram(s.hist) })),
    endpoints: delta.endpoints.map((e) => ({ ...e, hist: encodeHistogram(e.hist) })),
  };
}

const init = workerData as WorkerInit;
const port = defined(parentPort, 'parentPort (load/worker.js runs only as a worker thread)');
const post = (message: WorkerMessage) => port.postMessage(message);
const connect = await loadConnectionFactory(init.plan);
let shard: Shard | undefined;
port.on('message', (message: CoordinatorMessage) => {
  if (message.type === 'start') {
    shard = new Shard({
      plan: init.plan,
      connect,
      shard: init.shard,
      shards: init.shards,
      // Wall-clock epoch (sub-ms) shared by all threads → this thread's performance.now().
      measureStartMs: message.measureStartEpochMs - performance.timeOrigin,
      flush: (delta) => post({ type: 'delta', delta: encodeDelta(delta) }),
    });
    shard.run().then(
      (end) => {
        post({ type: 'end', end });
        port.close();
      },
      (error: unknown) => {
        post({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
        port.close();
      },
    );
  } else if (message.type === 'stop') {
    if (shard) shard.cancel();
    else port.close();
  }
});
post({ type: 'ready' });
