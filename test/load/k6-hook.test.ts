import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { adviseTool } from '../../src/hooks/tool-advice.js';
import { assertBuilt, makeRepo, payloads, runHookCli, sessionId, tempDir } from '../hooks/harness.js';

/**
 * A changed k6 script: the hook's note names the exact call that runs it, and that call is
 * what run_load_test accepts (the input schema takes `script`).
 */
beforeAll(() => assertBuilt());

describe('hook note for a k6 script', () => {
  it('adviseTool gives the run_load_test call with the project-relative path', () => {
    const advice = adviseTool('load-test/checkout.js', "import http from 'k6/http';\nimport { check } from 'k6';", 'load-test');
    expect(advice.call).toBe('run_load_test {"script":"load-test/checkout.js"}');
    // Not a k6 script: no call is made up.
    expect(adviseTool('load-test/results.json', '{}', 'load-test').call).toBeUndefined();
  });

  it('the built hook names the call when a k6 script under load-test/ is edited', async () => {
    const repo = makeRepo();
    mkdirSync(join(repo, 'load-test'), { recursive: true });
    const file = join(repo, 'load-test', 'smoke.js');
    writeFileSync(file, "import http from 'k6/http';\nexport default function () { http.get(__ENV.BASE_URL); }\n");
    const run = await runHookCli('post-tool-use', payloads.postToolUse(sessionId(), repo, 'Edit', file), {
      CLAUDE_PROJECT_DIR: repo,
      CLAUDE_PLUGIN_DATA: tempDir('data'),
    });
    expect(run.code).toBe(0);
    const context: string = run.json?.hookSpecificOutput?.additionalContext;
    expect(context).toContain('run_load_test {"script":"load-test/smoke.js"}');
    const { loadTestInputSchema } = await import('../../src/load/schema.js');
    expect(loadTestInputSchema.parse({ script: 'load-test/smoke.js' }).script).toBe('load-test/smoke.js');
  });
});
