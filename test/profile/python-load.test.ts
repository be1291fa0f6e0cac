import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';
import { runProfile } from '../../src/profile/index.js';
import { isPortOpen } from '../../src/profile/launch.js';
import { PYTHON_HELPER } from '../../src/profile/python-helper.js';
import { FIXTURES, leftoverFixtureProcesses, tempProject } from './helpers.js';

// The issue: under load no profile was written (a second SIGINT while cProfile wrote its
// file), and a threading server's handlers never showed (cProfile saw the main thread only).
describe('profile_process: Python servers under load', () => {
  let project: Awaited<ReturnType<typeof tempProject>>;
  beforeAll(async () => {
    project = await tempProject();
  });
  afterAll(() => project.cleanup());

  for (const server of ['threading', 'plain'] as const) {
    it(`${server} HTTPServer: the profile is written and the handler's render_report is on top`, async () => {
      const port = await freePort();
      const { structured } = await runProfile(
        {
          command: ['python3', 'pyserver.py', String(port), server],
          cwd: FIXTURES,
          waitForPort: port,
          load: { url: `http://127.0.0.1:${port}/`, connections: 4, duration: '3s' },
        },
        project.context,
      );
      expect(structured.profiler).toBe('cProfile');
      expect(structured.load!.requests).toBeGreaterThan(20);
      expect(structured.load!.failed).toBe(0);
      const top = structured.hotFunctions[0]!;
      expect(top.name).toBe('render_report');
      expect(top.file).toBe('pyserver.py');
      expect(top.calls).toBeGreaterThanOrEqual(structured.load!.requests);
      expect(top.selfPct).toBeGreaterThan(15);
      // Lock waits are off-CPU: with thread CPU time only the acquire calls' own CPU is left.
      const acquire = structured.hotFunctions.find((f) => f.name.includes("'acquire'"));
      expect(acquire?.selfPct ?? 0).toBeLessThan(top.selfPct / 4);
      expect(leftoverFixtureProcesses()).toEqual([]);
    });
  }

  it('a burst of SIGINT and SIGTERM while stopping still leaves a complete profile', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'perfeng-pysig-'));
    try {
      await writeFile(join(dir, 'helper.py'), PYTHON_HELPER);
      const port = await freePort();
      const child = spawn('python3', [join(dir, 'helper.py'), 'cpu', dir, '--', join(FIXTURES, 'pyserver.py'), String(port)], { stdio: 'ignore' });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const until = Date.now() + 20_000;
      while (!(await isPortOpen(port)) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      for (let i = 0; i < 20; i++) {
        child.kill(i % 2 ? 'SIGTERM' : 'SIGINT');
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(await exited).toBe(130);
      const written = JSON.parse(await readFile(join(dir, 'pstats.json'), 'utf8')) as { functions: Array<{ name: string }>; info: { exit: number } };
      expect(written.info.exit).toBe(130);
      expect(written.functions.some((f) => f.name === 'serve_forever')).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
