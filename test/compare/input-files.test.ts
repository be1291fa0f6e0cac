import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunContext } from '../../src/common/context.js';
import { compareBenchmarks } from '../../src/compare/index.js';
import { compareInputSchema } from '../../src/compare/schema.js';
import { parseConfig } from '../../src/store/config.js';
import { createRun } from '../../src/store/runs.js';
import { connectBuiltServer } from '../helpers/mcp-client.js';

/**
 * Issue 13: compare_benchmarks reads only regular files inside the project (or a folder allowed
 * in config), under a size cap. Devices, FIFOs, /proc and links out of the project are refused at
 * once, with the path and the reason — before any read, so nothing blocks or runs away.
 */
const FIXTURES = new URL('../fixtures/compare/', import.meta.url).pathname;
const inline = [{ name: 'a', unit: 'ms', samples: [1, 2, 3] }];
let project: string;
let outside: string;

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'perfeng-compare-inputs-'));
  outside = await mkdtemp(join(tmpdir(), 'perfeng-compare-outside-'));
  await copyFile(join(FIXTURES, 'csv-baseline.csv'), join(project, 'old.csv'));
  await copyFile(join(FIXTURES, 'csv-candidate.csv'), join(project, 'new.csv'));
  await copyFile(join(FIXTURES, 'csv-candidate.csv'), join(outside, 'new.csv'));
  execFileSync('mkfifo', [join(project, 'pipe.csv')]);
  await symlink(join(outside, 'new.csv'), join(project, 'escape.csv'));
  await symlink('/dev/zero', join(project, 'zero.csv'));
  await mkdir(join(project, 'bench'));
  await symlink(join(outside, 'new.csv'), join(project, 'bench', 'b.csv'));
});
afterAll(async () => {
  await rm(project, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

async function compare(raw: Record<string, unknown>, config: unknown = {}, signal?: AbortSignal) {
  const context = await createRunContext({ projectDir: project, config: parseConfig(JSON.stringify(config)), ...(signal ? { signal } : {}) });
  return compareBenchmarks(compareInputSchema.parse(raw), context);
}

/** Refused, promptly (a FIFO read would never return), with the path and the reason. */
async function refused(ref: unknown, reason: RegExp, config: unknown = {}) {
  const started = Date.now();
  await expect(compare({ baseline: ref, candidate: inline }, config)).rejects.toThrow(reason);
  expect(Date.now() - started).toBeLessThan(5000);
}

describe('compare_benchmarks: input files (issue 13)', () => {
  it('a FIFO in the project is refused at once, naming the path and that it is a FIFO', async () => {
    await refused('pipe.csv', /refusing to read the benchmark input \(pipe\.csv\) .*pipe\.csv: it is not a regular file \(a FIFO\)/);
    await refused('old=pipe.csv', /pipe\.csv: it is not a regular file \(a FIFO\)/);
  });

  it('devices and /proc are refused before any read', async () => {
    await refused('/dev/zero', /refusing to read the benchmark input .*\/dev\/zero: devices, \/proc and \/sys are not input files/);
    await refused('/dev/stdin', /\/dev\/stdin: devices, \/proc and \/sys are not input files/);
    await refused('/proc/self/environ', /\/proc\/self\/environ: devices, \/proc and \/sys are not input files/);
    await refused('zero.csv', /zero\.csv: it leads to \/dev\/zero, not a regular file/);
  });

  it('files outside the project (by path, by a link, in a glob) are refused unless config allows their folder', async () => {
    await refused(join(outside, 'new.csv'), /new\.csv: it is outside the project folder — .*query\.allowedInputPaths/);
    await refused('escape.csv', /escape\.csv: it is outside the project folder \(it leads to .*new\.csv\)/);
    await refused('bench/*.csv', /b\.csv: it is outside the project folder/);
    const allowed = await compare({ baseline: 'old.csv', candidate: join(outside, 'new.csv') }, { query: { allowedInputPaths: [outside] } });
    expect(allowed.structured.rows.length).toBeGreaterThan(0);
    // The ordinary case is unchanged: files in the project are read.
    const plain = await compare({ baseline: 'old.csv', candidate: 'new.csv' });
    expect(plain.structured.rows.map((r) => r.name).sort()).toEqual(['parse', 'render, full page', 'throughput']);
  });

  it('the size cap (query.maxInputMb) applies to benchmark inputs', async () => {
    await refused('old.csv', /old\.csv is 0 MB — give at most 0 MiB \(raise query\.maxInputMb/, { query: { maxInputMb: 0.00001 } });
  });

  it('run ids are ids: ".." and run folders outside the project are refused with the reason', async () => {
    await refused('../x', /run id "\.\.\/x" is not valid: "\.\." is not allowed/);
    await refused('.perf/runs/../../../etc', /"\.\." is not allowed in a run id/);
    await refused('/etc', /refusing to read the run folder \/etc: it is outside the project folder/);
    await refused('/proc/self', /\/proc\/self: devices, \/proc and \/sys are not input files/);
    // A run folder in .perf/runs that is a link out of the project is not this project's run.
    await mkdir(join(outside, 'evil'), { recursive: true });
    await copyFile(join(FIXTURES, 'perfeng-load-baseline.json'), join(outside, 'evil', 'result.json'));
    await mkdir(join(project, '.perf', 'runs'), { recursive: true });
    await symlink(join(outside, 'evil'), join(project, '.perf', 'runs', '20260101-000000-load-evil'));
    await refused('20260101-000000-load-evil', /run folder .*20260101-000000-load-evil: it is outside the project folder/);
  });

  it("a run's result.json that leads to a device is refused, and latest does not hang on a FIFO meta.json", async () => {
    const run = await createRun(project, 'load', 'zero');
    await symlink('/dev/zero', run.path('result.json'));
    await refused(run.id, /result\.json: it leads to \/dev\/zero/);
    const fifoRun = join(project, '.perf', 'runs', '20991231-000000-load-fifo');
    await mkdir(fifoRun);
    execFileSync('mkfifo', [join(fifoRun, 'meta.json')]);
    // Listing runs skips the FIFO meta.json (the id says the kind) instead of blocking on it.
    await refused('latest:load', /result\.json: it leads to \/dev\/zero/);
    await refused('20991231-000000-load-fifo', /run 20991231-000000-load-fifo has no result\.json/);
    await rm(fifoRun, { recursive: true });
  });

  it('cancellation stops the read', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(compare({ baseline: 'old.csv', candidate: 'new.csv' }, {}, controller.signal)).rejects.toThrow(/cancel/i);
  });

  it('over MCP (the built server on stdio): /dev/stdin and a FIFO are refused as isError, and the server keeps answering', async () => {
    const session = await connectBuiltServer({ cwd: project, env: { PERFENG_PROJECT_DIR: project } });
    try {
      const started = Date.now();
      const stdin = await session.client.callTool({ name: 'compare_benchmarks', arguments: { baseline: '/dev/stdin', candidate: 'new.csv' } });
      expect(stdin.isError).toBe(true);
      expect(JSON.stringify(stdin.content)).toMatch(/\/dev\/stdin: devices, \/proc and \/sys are not input files/);
      const fifo = await session.client.callTool({ name: 'compare_benchmarks', arguments: { baseline: 'old.csv', candidate: 'pipe.csv' } });
      expect(fifo.isError).toBe(true);
      expect(JSON.stringify(fifo.content)).toMatch(/pipe\.csv: it is not a regular file \(a FIFO\)/);
      expect(Date.now() - started).toBeLessThan(15_000);
      const ok = await session.client.callTool({ name: 'compare_benchmarks', arguments: { baseline: 'old.csv', candidate: 'new.csv' } });
      expect(ok.isError).toBeFalsy();
    } finally {
      await session.close();
    }
  });
});
