import { readFileSync } from 'node:fs';
import { listDescendants } from '../common/spawn.js';

/**
 * Peak resident memory of a process tree, sampled from /proc/<pid>/status (VmRSS) of the
 * root and every descendant — what `ps`/`top` show, summed, the way clinic doctor and
 * /usr/bin/time -v report it (they watch one process; we watch the tree, since `npm start`
 * and worker pools put the memory in children). Sampling every 200 ms can miss a spike
 * shorter than that (and a child younger than a second is picked up at the next tree walk);
 * the figure is a lower bound.
 */
export function readRssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface RssSampler {
  stop(): number;
  peak(): number;
}

export function sampleTreeRss(rootPid: number, options: { intervalMs?: number; treeRefreshMs?: number; excludeRoot?: boolean } = {}): RssSampler {
  let peak = 0;
  // Walking /proc for the tree is the expensive part (every process on the machine); it runs
  // in our process, next to an in-process load generator, so refresh the pid list once a
  // second and only read the known pids' status in between.
  let pids: number[] = [];
  let listedAt = -Infinity;
  const refreshMs = options.treeRefreshMs ?? 1000;
  const sample = () => {
    const now = performance.now();
    // A tree with no known process yet (the launcher has not forked its target) or whose known
    // processes are gone is re-listed at once: a short-lived target would otherwise be missed.
    if (pids.length === 0 || now - listedAt >= refreshMs) {
      pids = options.excludeRoot ? listDescendants(rootPid) : [rootPid, ...listDescendants(rootPid)];
      listedAt = now;
    }
    let sum = 0;
    for (const pid of pids) sum += readRssBytes(pid);
    if (sum === 0 && pids.length > 0) pids = [];
    if (sum > peak) peak = sum;
  };
  sample();
  const timer = setInterval(sample, options.intervalMs ?? 200);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
    peak: () => peak,
  };
}
