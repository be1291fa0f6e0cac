import { UserError } from '../common/errors.js';
import { defineTool, unknownKeys } from '../common/tool.js';
import { parseInput } from '../common/validate.js';
import { loadTestInputSchema } from '../load/schema.js';
import { profileInputSchema, profileOutputSchema } from './schema.js';

export const profileProcessTool = defineTool({
  name: 'profile_process',
  title: 'Profile a process (CPU or heap)',
  description:
    'Use to find where a program spends CPU or memory: launch `command` (Node, Python, native) or attach to a `pid`. Returns the hot functions with file:line, hot paths, GC/idle share. ' +
    'For a server give `waitForPort` and `load` (run_load_test fields) to profile under load; `kind: "leak"` says whether memory grows per request and which sites keep it; `baseline` diffs against an earlier profile. ' +
    'Next: analyze_query for hot SQL, or re-run after a fix and compare.',
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
