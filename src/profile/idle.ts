import { round } from '../common/units.js';
import type { Analysis } from './analyse.js';

/**
 * Was the process doing anything during the window? V8 files the samples of a process waiting
 * for I/O or timers under (idle), its own bookkeeping under (program), and collection under
 * (garbage collector). When nearly every sample is one of those and the code itself ran for
 * no more than a sliver of the window, "hottest (program) 100 %" is a true statement about
 * nothing: the profile shows an idle process, and the fix is to give it work while profiling.
 */
const QUIET_SHARE = 0.9;
/** Self time in the user's code (the program's and its dependencies') below this share of the window is "negligible". */
const CODE_SHARE_OF_WINDOW = 0.02;

export interface IdleFinding {
  /** Share of all samples in (idle), (program) or (garbage collector), 0–100; with `offCpu`, the share of the window the process spent off the CPU. */
  quietPct: number;
  /** Judged from CPU time (a CPU-timed profile), not from idle samples. */
  offCpu?: true;
  /** Self time in the program's own code and its dependencies, ms (start-up inside Node itself is not counted). */
  userCodeMs: number;
}

/**
 * A profiler that times only CPU (cProfile with its CPU timer, py-spy without --idle) has no
 * (idle) bucket: its total is the CPU the process used. Using at most this share of the window
 * while its own code ran for no more than a sliver of it is idle the same way.
 */
const CPU_SHARE_OF_WINDOW = 0.25;

/** `weightToMs` converts the analysis' weights (µs for V8 samples); `cpuTimed`: see CPU_SHARE_OF_WINDOW. */
export function findIdle(analysis: Analysis, windowMs: number, weightToMs: number, options: { cpuTimed?: boolean } = {}): IdleFinding | undefined {
  if (analysis.total <= 0 || windowMs <= 0) return undefined;
  const c = analysis.byCategory;
  const userCodeMs = ((c.app ?? 0) + (c.dependency ?? 0)) * weightToMs;
  if (userCodeMs > CODE_SHARE_OF_WINDOW * windowMs) return undefined;
  const quiet = (c.idle ?? 0) + (c.program ?? 0) + (c.gc ?? 0);
  if (quiet / analysis.total >= QUIET_SHARE) return { quietPct: round((quiet / analysis.total) * 100, 1), userCodeMs: round(userCodeMs, 1) };
  const cpuMs = analysis.onCpu * weightToMs;
  if (options.cpuTimed && cpuMs <= CPU_SHARE_OF_WINDOW * windowMs) {
    return { quietPct: round(Math.max(0, 1 - cpuMs / windowMs) * 100, 1), userCodeMs: round(userCodeMs, 1), offCpu: true };
  }
  return undefined;
}
