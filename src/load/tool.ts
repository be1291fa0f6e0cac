import { defineTool } from '../common/tool.js';
import { loadTestInputSchema, loadTestOutputSchema } from './schema.js';

export const runLoadTestTool = defineTool({
  name: 'run_load_test',
  title: 'Run an HTTP load test',
  description:
    'Use to see how an HTTP service holds up under load: latency p50–p99, throughput, errors, checks and thresholds (PASSED/FAILED). ' +
    'Give one `url`, a `requests` mix, or an existing k6 `script` (with env/vus/duration/iterations). `connections` = concurrent users; `rate` = arrivals/s; `stages` ramp. Loopback only unless allow-listed. ' +
    'Next: profile_process with the same `load` to see where the time goes; compare_benchmarks against an earlier run id.',
  input: loadTestInputSchema,
  output: loadTestOutputSchema,
  annotations: {
    // It sends real traffic (possibly POST/DELETE) to a server the user chose.
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: false,
    openWorldHint: true,
  },
  budget: 6000,
  async run(input, context) {
    const { runLoadTest } = await import('./index.js');
    return runLoadTest(input, context);
  },
  verdict: (result) => ({ verdict: result.aborted ? 'ABORTED' : result.passed ? 'PASSED' : 'FAILED', failed: result.aborted || !result.passed }),
});
