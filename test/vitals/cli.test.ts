import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vitalsOutputSchema } from '../../src/vitals/schema.js';
import { vitalsFlagsToInput } from '../../src/cli/commands/vitals.js';
import { BUILT_CLI } from '../helpers/mcp-client.js';
import { lacking } from '../helpers/system.js';

/** `perfeng vitals` through the built CLI (run `npx tsc -p tsconfig.json` first). */
function perfeng(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BUILT_CLI, ...args], { cwd, env: { ...process.env, PERFENG_PROJECT_DIR: cwd }, timeout: 90_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const lack = lacking(import.meta.url, 'chromium');

describe.skipIf(!!lack)('perfeng vitals', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'perfeng-vitals-cli-'));
    await writeFile(join(dir, 'page.html'), '<!doctype html><h1 id="title">A local page</h1><p>file:// pages are allowed.</p>');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('maps flags onto the tool input, flags over --input', () => {
    expect(
      vitalsFlagsToInput('http://127.0.0.1:3000/', {
        input: '{"runs": 9, "device": "mobile"}',
        runs: '3',
        click: ['#buy'],
        type: ['#q=red shoes'],
        press: ['#q=Enter'],
        threshold: ['lcp<2s'],
        trace: false,
      }),
    ).toEqual({
      url: 'http://127.0.0.1:3000/',
      runs: 3,
      device: 'mobile',
      interactions: [
        { action: 'click', selector: '#buy' },
        { action: 'type', selector: '#q', text: 'red shoes' },
        { action: 'press', selector: '#q', key: 'Enter' },
      ],
      thresholds: ['lcp<2s'],
      trace: false,
    });
    expect(() => vitalsFlagsToInput('x', { press: ['Enter'] })).toThrow(/must look like "<selector>=<value>"/);
    // --lighthouse and --no-coverage (commander sets coverage: false); coverage stays the default otherwise.
    expect(vitalsFlagsToInput('http://127.0.0.1:3000/', { lighthouse: true, coverage: false })).toEqual({
      url: 'http://127.0.0.1:3000/',
      lighthouse: true,
      coverage: false,
    });
    expect(vitalsFlagsToInput('http://127.0.0.1:3000/', { coverage: true })).toEqual({ url: 'http://127.0.0.1:3000/' });
  });

  it('measures a file:// page and exits 1 when a threshold fails, printing exactly the structured result', async () => {
    const result = await perfeng(
      ['vitals', 'page.html', '--input', '{"runs": 1}', '--no-trace', '--quiet', '300', '-t', 'lcp<1', '-t', 'cls<=0.1', '--json'],
      dir,
    );
    expect(result.code, result.stderr).toBe(1);
    const parsed = vitalsOutputSchema.parse(JSON.parse(result.stdout));
    expect(parsed.url).toBe(`file://${join(dir, 'page.html')}`);
    expect(parsed.runs).toBe(1);
    expect(parsed.thresholds.map((t) => [t.expression, t.ok])).toEqual([
      ['lcp<1', false],
      ['cls<=0.1', true],
    ]);
    expect(parsed.lcpElement?.selector).toMatch(/^(h1#title|body > p)$/);
    expect(existsSync(parsed.artifacts.report)).toBe(true);
    expect(parsed.artifacts.dir.startsWith(join(dir, '.perf', 'runs'))).toBe(true);
  });

  it('exits 2 with a fix when the page is not allowed or the input is bad', async () => {
    const refused = await perfeng(['vitals', 'http://192.0.2.10/'], dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/load\.allowHosts/);
    const bad = await perfeng(['vitals', 'page.html', '--device', 'tablet'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/device/);
  });
});
