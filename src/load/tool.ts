import { defineTool } from '../common/tool.js';
import { loadTestInputSchema, loadTestOutputSchema } from './schema.js';

export const runLoadTestTool = defineTool({
  name: 'run_load_test',
  title: 'Run an HTTP load test',
  description:
    'Sends HTTP(S) load to one URL or a weighted mix / ordered journey of requests and measures latency (p50…p99.9, HDR histogram, µs resolution), throughput, errors by kind, checks and k6-style thresholds. ' +
    'Closed model: `connections` virtual users. Open model: `rate` requests/s — latency is measured from the scheduled send time (no coordinated omission) and arrivals that find no free slot are counted as dropped. ' +
    '`stages` ramp either model linearly (k6 semantics). Thresholds default to the project targets in .perf/config.json; `passed` says whether they held. ' +
    'Also reports a per-second timeline, per-request cacheability evidence and whether the generator itself was the bottleneck. ' +
    'Only loopback hosts unless listed in load.allowHosts. Writes result.json, report.html, k6-summary.json and an equivalent k6-script.js to .perf/runs/.',
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
