import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBuiltServer } from '../helpers/mcp-client.js';
import { runLoadTestSample } from '../mcp/samples/run-load-test.js';
import { tempProject } from './helpers.js';
import { startServer, type TestServer } from './servers.js';

/** run_load_test through the built stdio server: schema, progress, cancellation, errors. */
let project: Awaited<ReturnType<typeof tempProject>>;
let session: Awaited<ReturnType<typeof connectBuiltServer>>;
let server: TestServer;
beforeAll(async () => {
  project = await tempProject();
  server = await startServer((_req, res) => setTimeout(() => res.end('ok'), 2));
  session = await connectBuiltServer({ cwd: project.dir, env: { PERFENG_PROJECT_DIR: project.dir } });
});
afterAll(async () => {
  await session?.close();
  await server.close();
  await project.cleanup();
});

describe('run_load_test over MCP', () => {
  it('returns structuredContent matching the outputSchema and sends progress every second', async () => {
    const args = await runLoadTestSample.setup(project.dir);
    try {
      const progress: Array<{ progress: number; total?: number; message?: string }> = [];
      const result = await session.client.callTool({ name: 'run_load_test', arguments: { ...args, duration: '3s' } }, undefined, {
        timeout: 60_000,
        onprogress: (p) => progress.push(p),
      });
      expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
      const structured = result.structuredContent as { passed: boolean; endpoints: Array<{ cache: { cacheable: number } }> };
      expect(structured.passed).toBe(true);
      expect(structured.endpoints[0]!.cache.cacheable).toBe(1);
      expect(progress.length).toBeGreaterThanOrEqual(2);
      expect(progress.some((p) => p.total === 3 && /p99/.test(p.message ?? ''))).toBe(true);
    } finally {
      await runLoadTestSample.teardown!();
    }
  });

  it('stops on cancellation and closes its sockets; the server keeps running', async () => {
    const controller = new AbortController();
    const call = session.client.callTool({ name: 'run_load_test', arguments: { url: server.url, connections: 6, duration: '60s' } }, undefined, {
      signal: controller.signal,
      timeout: 60_000,
    });
    await new Promise((r) => setTimeout(r, 2500));
    expect(server.openSockets()).toBeGreaterThan(0);
    controller.abort();
    await expect(call).rejects.toThrow();
    for (let i = 0; i < 40 && server.openSockets() > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(server.openSockets()).toBe(0);
    const bad = await session.client.callTool({ name: 'run_load_test', arguments: { url: 'http://203.0.113.5/' } });
    expect(bad.isError).toBe(true);
    expect(JSON.stringify(bad.content)).toContain('load.allowHosts');
  });
});
