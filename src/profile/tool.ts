import { UserError } from '../common/errors.js';
import { defineTool, unknownKeys } from '../common/tool.js';
import { parseInput } from '../common/validate.js';
import { loadTestInputSchema } from '../load/schema.js';
import { profileInputSchema, profileOutputSchema } from './schema.js';

export const profileProcessTool = defineTool({
  name: 'profile_process',
  title: 'Profile a process (CPU or heap)',
  description:
    'Launches `command` (or attaches to a running Node.js `pid`) and records where CPU time or allocations go: Node.js via the V8 sampling profiler (every node process of the tree, e.g. npm → node), Python via cProfile (py-spy when installed) or tracemalloc for heap, native programs via Linux perf. ' +
    'Returns hot functions by self and total time with file:line (source-mapped for TypeScript builds), the heaviest stacks, GC and idle share, peak RSS of the process tree, and for heap the top allocating functions. ' +
    'For servers: give `waitForPort` and a `load` (run_load_test input) to profile under load; the process is stopped with SIGINT when the load ends (or after `durationS`). `baseline` (an earlier run id) adds a diff: which functions grew or shrank. ' +
    'Writes .cpuprofile, speedscope JSON, folded stacks, pprof and an interactive flamegraph.html to .perf/runs/.',
  input: profileInputSchema,
  output: profileOutputSchema,
  annotations: {
    // It runs the command it is given (which may do anything) and may send load to it.
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: false,
    openWorldHint: false,
  },
  budget: 8000,
  async run(input, context) {
    // `load` is "the same fields as run_load_test": checked here, before anything is launched.
    if (input.load) {
      const unknown = unknownKeys(loadTestInputSchema, input.load, 'load');
      if (unknown.length)
        throw new UserError(
          `profile_process does not know the input key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}`,
          'load takes the fields of run_load_test',
        );
      parseInput(loadTestInputSchema, input.load, 'load');
    }
    const { runProfile } = await import('./index.js');
    return runProfile(input, context);
  },
  verdict: (result) => {
    if (result.load && !result.load.passed) return { verdict: 'FAILED', failed: true };
    return { verdict: 'PROFILED', failed: false };
  },
});
