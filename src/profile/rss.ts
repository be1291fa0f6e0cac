import { readFileSync } from 'node:fs';
import { listDescendants } from '../common/spawn.js';

/**
 * Peak resident memory of a process tree, sampled from /proc/<pid>/status (VmRSS) of the
 * root and every descendant — what `ps`/`top` show, summed, the way clinic doctor and
 * /usr/bin/time -v report it (they watch one process; we watch the tree, since `npm start`
 * and worker pools put the memory in children). Sampling every 100 ms can miss a spike
 * shorter than that; the figure is a lower bound, said in the tool's description.
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

export function sampleTreeRss(rootPid: number, options: { intervalMs?: number; excludeRoot?: boolean } = {}): RssSampler {
  let peak = 0;
  const sample = () => {
    const pids = options.excludeRoot ? listDescendants(rootPid) : [rootPid, ...listDescendants(rootPid)];
    let sum = 0;
    for (const pid of pids) sum += readRssBytes(pid);
    if (sum > peak) peak = sum;
  };
  sample();
  const timer = setInterval(sample, options.intervalMs ?? 100);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
    peak: () => peak,
  };
}
