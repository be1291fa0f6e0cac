import type { LoadSummary } from './drive-load.js';
import type { ProcessInfo, Profile, Runtime } from './model.js';

/** One process's profile (or one thread's, for Node workers). */
export interface ProcessProfile {
  profile: Profile;
  process: ProcessInfo;
  /** A launcher (npm, npx, yarn…) that only starts the real program: kept, but left out of the table. */
  launcher?: boolean;
}

/** What a runner hands to analysis: profiles per process plus the raw files worth keeping. */
export interface Collected {
  runtime: Runtime;
  profiler: string;
  cpu: ProcessProfile[];
  heap: ProcessProfile[];
  heapUnit?: string;
  heapGrowth?: Array<{ file: string; line: number; bytes: number; count: number }>;
  lineMemory?: import('./runner-python.js').LineMemory[];
  /** Files copied into the run folder as they are (original .cpuprofile, pstats…). */
  rawFiles: Array<{ name: string; path: string; role?: 'cpuprofile' | 'heapprofile' | 'pstats' }>;
  warnings: string[];
  exitCode?: number | null;
  wallMs: number;
  peakRssBytes: number;
  load?: LoadSummary;
  cancelled?: boolean;
}
