import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScript, writeFiles } from './k6-helpers.js';
import { startServer, type TestServer } from './servers.js';

// http.batch runs at most `batch` requests at once and at most `batchPerHost` (default 6) to one
// host, as k6 does: counted on the servers as requests in flight at the same time.
describe('k6 http.batch: batch and batchPerHost', () => {
  let dir: string;
  const servers: TestServer[] = [];
  const peak = [0, 0, 0]; // per server, then both together
  let together = 0;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'perfeng-k6-batch-'));
    for (const i of [0, 1]) {
      let now = 0;
      servers.push(
        await startServer((_req, res) => {
          now++;
          together++;
          peak[i] = Math.max(peak[i] ?? 0, now);
          peak[2] = Math.max(peak[2] ?? 0, together);
          setTimeout(() => {
            now--;
            together--;
            res.end('ok');
          }, 40);
        }),
      );
    }
    const [a, b] = servers.map((s) => s.url);
    const script = (options: string) =>
      `import http from 'k6/http';\nexport const options = { iterations: 1, ${options} };\nexport default function () {\n  const rs = http.batch([...Array(16)].map((_, i) => ['GET', (i % 2 ? '${b}' : '${a}') + '/' + i]));\n  if (rs.some((r) => r.status !== 200)) throw new Error('a batch request failed');\n}\n`;
    await writeFiles(dir, { 'default.js': script(''), 'per-host-2.js': script('batchPerHost: 2'), 'batch-3.js': script('batch: 3, batchPerHost: 0') });
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  const run = async (script: string) => {
    peak.fill(0);
    const { structured } = await runScript(dir, { script });
    expect(structured.passed, JSON.stringify(structured.warnings)).toBe(true);
    expect(structured.requests.total).toBe(16);
    return [...peak];
  };

  it('default: 6 at once to each host (16 requests, 8 per host)', async () => {
    expect(await run('default.js')).toEqual([6, 6, 12]);
  });
  it('batchPerHost: 2 → never more than 2 at once to one host', async () => {
    expect(await run('per-host-2.js')).toEqual([2, 2, 4]);
  });
  it('batch: 3 → never more than 3 at once in all', async () => {
    expect((await run('batch-3.js'))[2]).toBe(3);
  });
});
