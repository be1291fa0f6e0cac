import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTestInputSchema } from '../../src/load/schema.js';
import { runLoadTestTool } from '../../src/load/tool.js';
import { freePort } from '../helpers/ports.js';
import { runScript, writeFiles } from './k6-helpers.js';
import { startServer, type TestServer } from './servers.js';

// run_load_test refuses a fixed target nothing listens on before sending load; a k6 script's
// URLs are known only as it runs, so the run itself must say so — never PASSED on refusals.
describe('k6 scripts that measure nothing: a port nothing listens on, a script that throws', () => {
  let dir: string;
  let server: TestServer;
  let silentPort: number;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'perfeng-k6-silent-'));
    server = await startServer((_req, res) => res.end('ok'));
    silentPort = await freePort();
    const script = (urls: string[]) =>
      `import http from 'k6/http';\nimport { check } from 'k6';\nexport const options = { vus: 2, iterations: 40 };\nexport default function () {\n${urls
        .map((u) => `  check(http.get('${u}'), { ok: (r) => r.status === 200 });`)
        .join('\n')}\n}\n`;
    await writeFiles(dir, {
      'silent.js': script([`http://127.0.0.1:${silentPort}/`]),
      'mixed.js': script([server.url, `http://127.0.0.1:${silentPort}/health`]),
      'answering.js': script([server.url]),
      'throws.js': `import http from 'k6/http';\nexport const options = { iterations: 6 };\nexport default function () {\n  http.get('${server.url}');\n  JSON.parse('{not json');\n}\n`,
      'throws-sometimes.js': `import http from 'k6/http';\nimport exec from 'k6/execution';\nexport const options = { iterations: 6 };\nexport default function () {\n  http.get('${server.url}');\n  if (exec.scenario.iterationInTest % 3 === 0) throw new Error('every third');\n}\n`,
    });
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('every request refused: FAILED, naming the port, and no generator-bottleneck warning', async () => {
    const { structured } = await runScript(dir, { script: 'silent.js' });
    expect(structured.passed).toBe(false);
    expect(structured.requests.succeeded).toBe(0);
    expect(structured.warnings[0]).toBe(
      `nothing is listening on 127.0.0.1:${silentPort} (40 refused): start the server first, or check the URL's port; no request was answered, so this run measured nothing.`,
    );
    expect(structured.warnings.join(' ')).not.toMatch(/bottleneck/);
    expect(runLoadTestTool.verdict(structured).verdict).toBe('FAILED');
  });

  it('one of two origins silent: FAILED, naming only that one', async () => {
    const { structured } = await runScript(dir, { script: 'mixed.js' });
    expect(structured.passed).toBe(false);
    expect(structured.requests.succeeded).toBe(40);
    const silent = structured.warnings.filter((w) => w.startsWith('nothing is listening'));
    expect(silent).toEqual([`nothing is listening on 127.0.0.1:${silentPort} (40 refused): start the server first, or check the URL's port.`]);
  });

  it('an answering server: no such warning, PASSED', async () => {
    const { structured } = await runScript(dir, { script: 'answering.js' });
    expect(structured.passed).toBe(true);
    expect(structured.warnings.some((w) => w.startsWith('nothing is listening'))).toBe(false);
    // the follow-up profiles the server the script loaded, on its port
    const next = runLoadTestTool.next?.(structured, loadTestInputSchema.parse({ script: 'answering.js' }), 'run-1') ?? [];
    expect(next[0]).toContain(`"waitForPort":${server.port}`);
  });

  it('every iteration throws: FAILED, the first error and its line first among the warnings', async () => {
    const { structured, summary } = await runScript(dir, { script: 'throws.js' });
    expect(structured.passed).toBe(false);
    expect(structured.warnings[0]).toMatch(/^every iteration threw \(6\): .*JSON.*throws\.js:5:/);
    expect(summary).toMatch(/^FAILED: .* Every iteration threw \(6\)/);
    // a run this short is mostly loading the script: no verdict on the generator
    expect(structured.warnings.join(' ')).not.toMatch(/bottleneck/);
  });

  it('some iterations throw: still PASSED as k6 would, and the count comes first', async () => {
    const { structured } = await runScript(dir, { script: 'throws-sometimes.js' });
    expect(structured.passed).toBe(true);
    expect(structured.warnings[0]).toMatch(/^2 of 6 iterations threw: Error: every third|^2 of 6 iterations threw: every third/);
  });
});
