import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/common/spawn.js';
import { loadTestOutputSchema } from '../../src/load/schema.js';
import { BUILT_CLI } from '../helpers/mcp-client.js';
import { tempProject } from './helpers.js';
import { startServer, type TestServer } from './servers.js';

/** `perfeng load` from the built CLI (npm test builds dist/ first). */
let project: Awaited<ReturnType<typeof tempProject>>;
let server: TestServer;
beforeAll(async () => {
  project = await tempProject();
  server = await startServer((_req, res) => res.end('ok'));
});
afterAll(async () => {
  await server.close();
  await project.cleanup();
});

function perfeng(args: string[]) {
  return runCommand(process.execPath, [BUILT_CLI, ...args], { cwd: project.dir, env: { PERFENG_PROJECT_DIR: project.dir }, timeoutMs: 60_000 });
}

describe('perfeng load', () => {
  it('--json prints exactly the structured result; exit 0 when thresholds hold', async () => {
    const out = await perfeng(['load', `${server.url}/`, '-c', '2', '-d', '1s', '-t', 'http_req_failed=rate<0.01', '--json']);
    expect(out.stderr).toBe('');
    expect(out.exitCode).toBe(0);
    const result = loadTestOutputSchema.parse(JSON.parse(out.stdout));
    expect(result.passed).toBe(true);
    expect(result.requests.total).toBeGreaterThan(10);
    const saved = JSON.parse(await readFile(result.artifacts.result, 'utf8'));
    expect(saved).toMatchObject({ tool: 'run_load_test', version: 1 });
    expect(saved.result).toEqual(result);
    expect(typeof saved.histograms.overall).toBe('string');
    expect(Object.keys(saved.histograms.endpoints)).toEqual(['GET /']);
  });

  it('exits 1 when a threshold fails, and accepts the full input with --input', async () => {
    const input = JSON.stringify({ url: `${server.url}/`, rate: 20, duration: '1s', thresholds: { http_req_duration: ['p(99)<0.001'] } });
    const out = await perfeng(['load', '--input', input]);
    expect(out.exitCode).toBe(1);
    expect(out.stdout).toMatch(/^FAILED/);
    expect(out.stdout).toContain('p(99)<0.001');
  });

  it('exits 2 on bad input with a message quoting the bad part', async () => {
    const out = await perfeng(['load', `${server.url}/`, '-t', 'http_req_duration=p(95)<<5', '-d', '1s']);
    expect(out.exitCode).toBe(2);
    expect(out.stderr).toContain('"p(95)<<5"');
    const refused = await perfeng(['load', 'http://192.0.2.10/', '-d', '1s']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('load.allowHosts');
  });

  it('stops on SIGINT within a second, prints the partial result marked aborted and exits 130 (cancelled, never a success)', async () => {
    const { spawnTree } = await import('../../src/common/spawn.js');
    const tree = spawnTree(process.execPath, [BUILT_CLI, 'load', `${server.url}/`, '-c', '4', '-d', '60s', '--json'], {
      cwd: project.dir,
      env: { PERFENG_PROJECT_DIR: project.dir },
    });
    await new Promise((r) => setTimeout(r, 2500));
    const sent = Date.now();
    process.kill(tree.pid, 'SIGINT');
    // Sending stops within a second of the signal (the server sees nothing after that);
    // writing the partial result may take longer on a busy machine.
    await new Promise((r) => setTimeout(r, 1000));
    const seenAfterOneSecond = server.requests;
    const out = await tree.exited;
    expect(server.requests).toBe(seenAfterOneSecond);
    expect(Date.now() - sent).toBeLessThan(10_000);
    const result = JSON.parse(out.stdout);
    expect(result.aborted).toBe(true);
    expect(out.exitCode).toBe(130);
    expect(out.stderr).toContain('perfeng: cancelled');
    const stored = JSON.parse(readFileSync(result.artifacts.result, 'utf8'));
    expect(stored).toMatchObject({ tool: 'run_load_test', version: 1, aborted: true, verdict: { verdict: 'ABORTED', failed: true } });
    for (let i = 0; i < 20 && server.openSockets() > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(server.openSockets()).toBe(0);
  });
});
