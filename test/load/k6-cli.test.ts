import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/common/spawn.js';
import { loadTestOutputSchema } from '../../src/load/schema.js';
import { BUILT_CLI, connectBuiltServer } from '../helpers/mcp-client.js';
import { tempProject } from './helpers.js';
import { writeFiles } from './k6-helpers.js';
import { startServer, type TestServer } from './servers.js';

/** `perfeng load path/to/script.js -e K=V --vus N --iterations N --duration D`, as `k6 run` takes them. */
let project: Awaited<ReturnType<typeof tempProject>>;
let server: TestServer;
beforeAll(async () => {
  project = await tempProject();
  server = await startServer((req, res) => {
    res.statusCode = req.url?.includes('fail') ? 500 : 200;
    res.end('ok');
  });
  await writeFiles(project.dir, {
    'load-test/smoke.js': `import http from 'k6/http';
import { check } from 'k6';
export const options = { vus: 1, duration: '30s', thresholds: { checks: ['rate==1'] } };
export default function () { check(http.get(__ENV.BASE_URL + (__ENV.PATH_ || '/')), { '200': (r) => r.status === 200 }); }
`,
  });
});
afterAll(async () => {
  await server.close();
  await project.cleanup();
});

function perfeng(args: string[]) {
  return runCommand(process.execPath, [BUILT_CLI, ...args], { cwd: project.dir, env: { PERFENG_PROJECT_DIR: project.dir }, timeoutMs: 60_000 });
}

describe('perfeng load <script.js>', () => {
  it('runs the script with -e, --vus and -i overriding its options; --json is the structured result', async () => {
    server.requests = 0;
    const out = await perfeng(['load', 'load-test/smoke.js', '-e', `BASE_URL=${server.url}`, '--vus', '3', '-i', '12', '--json']);
    expect(out.exitCode).toBe(0);
    const result = loadTestOutputSchema.parse(JSON.parse(out.stdout));
    expect(server.requests).toBe(12);
    expect(result.requests.total).toBe(12);
    expect(result.iterations).toEqual({ total: 12, dropped: 0 });
    expect(result.vusMax).toBe(3);
    expect(result.thresholds).toEqual([{ metric: 'checks', expression: 'rate==1', actual: 1, ok: true, source: 'user' }]);
  });

  it('--duration replaces the script duration; a failing threshold exits 1', async () => {
    server.requests = 0;
    const out = await perfeng(['load', 'load-test/smoke.js', '-e', `BASE_URL=${server.url}`, '-e', 'PATH_=/fail', '--duration', '1s']);
    expect(out.exitCode).toBe(1);
    expect(out.stdout + out.stderr).toMatch(/FAILED/);
    expect(server.requests).toBeGreaterThan(5);
  });

  it('a bad -e is an error that says what to write', async () => {
    const out = await perfeng(['load', 'load-test/smoke.js', '-e', 'NOEQUALS']);
    expect(out.exitCode).not.toBe(0);
    expect(out.stderr).toMatch(/KEY=VALUE/);
  });
});

describe('run_load_test {"script": …} over MCP', () => {
  it('runs the script with env and iterations; the result carries iterations, vusMax, groups and metrics', async () => {
    const session = await connectBuiltServer({ cwd: project.dir, env: { PERFENG_PROJECT_DIR: project.dir } });
    try {
      server.requests = 0;
      const result = await session.client.callTool(
        { name: 'run_load_test', arguments: { script: 'load-test/smoke.js', env: { BASE_URL: server.url }, vus: 2, iterations: 7 } },
        undefined,
        { timeout: 60_000 },
      );
      expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
      const r = result.structuredContent as Record<string, unknown> & {
        requests: { total: number };
        iterations: unknown;
        vusMax: number;
        groups: unknown[];
        metrics: object;
      };
      expect(server.requests).toBe(7);
      expect(r.requests.total).toBe(7);
      expect(r.iterations).toEqual({ total: 7, dropped: 0 });
      expect(r.vusMax).toBe(2);
      expect(Array.isArray(r.groups)).toBe(true);
      expect(r.metrics).toEqual({});
      expect(JSON.stringify(r).length).toBeLessThan(6000);
      const refused = await session.client.callTool({ name: 'run_load_test', arguments: { script: 'load-test/smoke.js', url: server.url } });
      expect(refused.isError).toBe(true);
      expect(JSON.stringify(refused.content)).toMatch(/`url` cannot be combined with `script`/);
    } finally {
      await session.close();
    }
  });
});
