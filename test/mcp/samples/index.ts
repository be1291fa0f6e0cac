import { analyzeQuerySample } from './analyze-query.js';
import { compareBenchmarksSample } from './compare-benchmarks.js';
import { measureWebVitalsSample } from './measure-web-vitals.js';
import { performanceHistorySample } from './performance-history.js';
import { profileProcessSample } from './profile-process.js';
import { runLoadTestSample } from './run-load-test.js';

/**
 * One sample call per registered tool, used by the end-to-end test to check each tool's
 * structuredContent against its declared outputSchema through the real stdio server.
 * A tool that is listed but has no sample here fails that test: add yours in
 * `samples/<tool>.ts` and one line below.
 */
export interface SampleCall {
  /** Prepares whatever the call needs (a loopback server, a database file…) and returns the arguments. */
  setup(workDir: string): Promise<Record<string, unknown>>;
  teardown?(): Promise<void>;
}

export const sampleCalls: Record<string, SampleCall> = {
  run_load_test: runLoadTestSample,
  profile_process: profileProcessSample,
  analyze_query: analyzeQuerySample,
  measure_web_vitals: measureWebVitalsSample,
  compare_benchmarks: compareBenchmarksSample,
  performance_history: performanceHistorySample,
};
