import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { RunContext } from '../common/context.js';
import { CancelledError } from '../common/errors.js';
import { CdpSession, closeInspector, findInspector } from './attach-node.js';
import { WARMUP_SHARE } from './leak-model.js';
import { readRssBytes } from './rss.js';

/**
 * Node.js leak recording over the inspector (launched processes are reached the same way
 * as attached ones: SIGUSR1, then CDP). While the load runs:
 * - every ~0.25 s a memory sample: a full GC (HeapProfiler.collectGarbage) and then the heap
 *   in use outside code space (v8.getHeapSpaceStatistics in the target) — after a GC only
 *   what is reachable is counted, so the young generation's garbage does not drown the
 *   trend — and the process's RSS;
 * - allocation tracking on (HeapProfiler.startTrackingHeapObjects, trackAllocations), so
 *   every object carries its allocation stack;
 * - snapshot 1 after the warm-up (30 % of the window), snapshot 2 at 60 %, and
 *   snapshot 3 when the load has ended (the one stopTrackingHeapObjects writes).
 * Every call races the cancellation signal; on cancel the session is closed at once
 * (the process is the launcher's to stop).
 */
export interface MemorySample {
  /** Date.now() when taken. */
  t: number;
  heapUsed: number;
  rss: number;
  /** Heap snapshots taken before this sample (each starts a segment of the fit). */
  segment?: number;
}

export interface NodeLeakRecording {
  samples: MemorySample[];
  snapshots: [string, string, string];
  warnings: string[];
  /** The heap step across each snapshot (diagnostics: the fit gives each stretch its own intercept). */
  snapshotSteps: Array<{ t: number; bytes: number }>;
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  // The inner call fails too once the session closes; nobody may be listening by then.
  promise.catch(() => undefined);
  if (signal.aborted) return Promise.reject(new CancelledError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CancelledError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(e)),
    );
  });
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

async function writeSnapshot(session: CdpSession, method: string, params: Record<string, unknown>, file: string, signal: AbortSignal): Promise<void> {
  const out = createWriteStream(file);
  session.on('HeapProfiler.addHeapSnapshotChunk', (p) => out.write(String(p.chunk)));
  try {
    await abortable(session.send(method, params), signal);
  } finally {
    await new Promise<void>((resolve) => out.end(resolve));
  }
}

export async function recordNodeLeak(options: {
  pid: number;
  dir: string;
  context: RunContext;
  /** Share of the window elapsed, 0–1. */
  progress(): number;
  /** True once the load (or the attach window) is over. */
  ended(): boolean;
  sampleEveryMs?: number;
}): Promise<NodeLeakRecording> {
  const { pid, context } = options;
  const { signal } = context;
  const { url, openedByUs } = await findInspector(pid, context);
  const session = await CdpSession.open(url);
  const samples: MemorySample[] = [];
  const warnings: string[] = ['allocation tracking was on during the window: allocation-heavy code runs slower, so throughput is lower than without it'];
  const files: [string, string, string] = [
    join(options.dir, 'snapshot-1.heapsnapshot'),
    join(options.dir, 'snapshot-2.heapsnapshot'),
    join(options.dir, 'snapshot-3.heapsnapshot'),
  ];
  let closed = false;
  const onAbort = () => {
    closed = true;
    session.close();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  // Heap spaces other than compiled code: JIT output grows for a while under a new load
  // (warm-up), which is not a leak. `require` is there through the command-line API.
  const heapExpression =
    "(() => { try { return require('node:v8').getHeapSpaceStatistics().filter((s) => !/code/.test(s.space_name)).reduce((a, s) => a + s.space_used_size, 0); } catch (e) { return -1; } })()";
  const steps: Array<{ t: number; bytes: number }> = [];
  const heapUsed = async (): Promise<number> => {
    await abortable(session.send('HeapProfiler.collectGarbage'), signal);
    const evaluated = await abortable(
      session.send<{ result: { value?: number } }>('Runtime.evaluate', { expression: heapExpression, includeCommandLineAPI: true, returnByValue: true }),
      signal,
    );
    const value = evaluated.result.value;
    if (typeof value === 'number' && value > 0) return value;
    return (await abortable(session.send<{ usedSize: number }>('Runtime.getHeapUsage'), signal)).usedSize;
  };
  let segment = 0;
  const sample = async () => {
    const used = await heapUsed();
    samples.push({ t: Date.now(), heapUsed: used, rss: readRssBytes(pid), segment });
    return used;
  };
  // A heap snapshot leaves some of its own bookkeeping on the heap (a step of ~100-200 KB
  // measured on Node 20): samples after it start a new segment of the fit (leak-model.ts).
  const snapshot = async (file: string) => {
    const before = await sample();
    await writeSnapshot(session, 'HeapProfiler.takeHeapSnapshot', { reportProgress: false }, file, signal);
    segment++;
    const after = await sample();
    steps.push({ t: Date.now(), bytes: after - before });
  };
  try {
    await abortable(session.send('HeapProfiler.enable'), signal);
    await sample();
    await abortable(session.send('HeapProfiler.startTrackingHeapObjects', { trackAllocations: true }), signal);
    let taken = 0;
    while (!options.ended()) {
      const share = options.progress();
      if (taken === 0 && share >= WARMUP_SHARE) {
        context.report(share, 1, 'heap snapshot 1 of 3');
        await snapshot(files[0]);
        taken = 1;
      } else if (taken === 1 && share >= 0.6) {
        context.report(share, 1, 'heap snapshot 2 of 3');
        await snapshot(files[1]);
        taken = 2;
      } else {
        await sample();
        await sleep(options.sampleEveryMs ?? 250, signal);
        if (signal.aborted) throw new CancelledError();
      }
    }
    if (taken < 2) warnings.push('the window was too short to space the snapshots: snapshot 1 or 2 was taken at the end of the load');
    if (taken < 1) await snapshot(files[0]);
    if (taken < 2) await snapshot(files[1]);
    await sample();
    context.report(1, 1, 'heap snapshot 3 of 3');
    // Stopping the tracking writes the snapshot that carries the allocation stacks.
    await writeSnapshot(session, 'HeapProfiler.stopTrackingHeapObjects', { reportProgress: false }, files[2], signal);
    await abortable(session.send('HeapProfiler.disable'), signal).catch(() => undefined);
    if (openedByUs) await closeInspector(session);
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (!closed) session.close();
  }
  return { samples, snapshots: files, warnings, snapshotSteps: steps };
}
