import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_CLI, connectBuiltServer } from '../helpers/mcp-client.js';
import { profileOutputSchema } from '../../src/profile/schema.js';
import { FIXTURES, tempProject } from './helpers.js';

const run = promisify(execFile);

// These drive the *built* CLI and server (dist/): build first (`npx tsc -p tsconfig.json`).
describe('perfeng profile (built CLI) and profile_process over MCP', () => {
  let project: Awaited<ReturnType<typeof tempProject>>;
  beforeAll(async () => {
    project = await tempProject();
  });
  afterAll(() => project.cleanup());

  it('`perfeng profile --json -- node hot.js` prints exactly the structured result', async () => {
    const { stdout } = await run(process.execPath, [BUILT_CLI, 'profile', '--json', '--', 'node', 'hot.js', '1000'], {
      cwd: FIXTURES,
      env: { ...process.env, PERFENG_PROJECT_DIR: project.dir },
    });
    const result = profileOutputSchema.parse(JSON.parse(stdout));
    expect(result.hotFunctions[0]!.name).toBe('hotLoop');
    expect(result.artifacts.dir.startsWith(project.dir)).toBe(true);
  });

  it('bad input exits 2 with one line saying what to do', async () => {
    const failure = await run(process.execPath, [BUILT_CLI, 'profile', '--', 'no-such-program-xyz'], {
      cwd: FIXTURES,
      env: { ...process.env, PERFENG_PROJECT_DIR: project.dir },
    }).catch((error: { code: number; stderr: string }) => error);
    expect((failure as { code: number }).code).toBe(2);
    expect((failure as { stderr: string }).stderr).toMatch(/command not found: "no-such-program-xyz"/);
  });

  // The success path over MCP is test/mcp/e2e.test.ts (samples/profile-process.ts).
  it('the MCP tool is listed with honest annotations and turns a bad pid into isError', async () => {
    const session = await connectBuiltServer({ cwd: project.dir, env: { PERFENG_PROJECT_DIR: project.dir } });
    try {
      const { tools } = await session.client.listTools();
      const tool = tools.find((t) => t.name === 'profile_process')!;
      expect(tool.annotations?.readOnlyHint).toBe(false);
      expect(tool.annotations?.destructiveHint).toBe(true);
      expect(tool.outputSchema?.properties).toHaveProperty('hotFunctions');
      const bad = await session.client.callTool({ name: 'profile_process', arguments: { pid: 4_000_000 } });
      expect(bad.isError).toBe(true);
      expect(JSON.stringify(bad.content)).toMatch(/no process with pid 4000000/);
    } finally {
      await session.close();
    }
  });
});
