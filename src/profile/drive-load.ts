import type { RunContext } from '../common/context.js';
import { parseInput } from '../common/validate.js';
import { loadTestInputSchema } from '../load/schema.js';

/**
 * "Profile under load": the same run_load_test the agent would call, with the same
 * validation, caps and loopback-only rule, writing its own run folder; we keep a summary.
 */
export interface LoadSummary {
  passed: boolean;
  durationS: number;
  requests: number;
  failed: number;
  throughputRps: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  runDir: string;
}

export type LoadObserver = (tick: { elapsedS: number; totalS: number; requests: number }) => void;

export async function driveLoad(raw: Record<string, unknown>, context: RunContext, observe?: LoadObserver): Promise<LoadSummary> {
  const input = parseInput(loadTestInputSchema, raw, 'load');
  const { runLoadTest } = await import('../load/index.js');
  const outcome = await runLoadTest(input, context, observe);
  const s = outcome.structured;
  return {
    passed: s.passed,
    durationS: s.durationS,
    requests: s.requests.total,
    failed: s.requests.failed,
    throughputRps: s.throughputRps,
    latencyMs: { p50: s.latencyMs.p50, p95: s.latencyMs.p95, p99: s.latencyMs.p99, max: s.latencyMs.max },
    runDir: s.artifacts.dir,
  };
}
