import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBaselines, readBaseline, saveBaseline } from '../../src/store/baselines.js';
import { loadConfig } from '../../src/store/config.js';
import { createRun, listRuns, resolveRun } from '../../src/store/runs.js';

/**
 * Issue 13: run references (`.perf/runs/<id>`, `baseline:NAME`) are ids, and every store file
 * read on a caller's behalf (meta.json, a baseline, the config) goes through the input-file
 * gate, so a FIFO or a link to /dev/stdin committed into a repository cannot wedge the server.
 */
let project: string;
let outside: string;
let runId: string;

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'perfeng-run-refs-'));
  outside = await mkdtemp(join(tmpdir(), 'perfeng-run-refs-outside-'));
  runId = (await createRun(project, 'load', 'ok')).id;
});
afterAll(async () => {
  await rm(project, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

async function refusedPromptly(promise: Promise<unknown>, reason: RegExp) {
  const started = Date.now();
  await expect(promise).rejects.toThrow(reason);
  expect(Date.now() - started).toBeLessThan(5000);
}

describe('run references are ids (issue 13)', () => {
  it('ids, paths inside the project and latest still resolve', async () => {
    expect((await resolveRun(project, runId)).id).toBe(runId);
    expect((await resolveRun(project, `.perf/runs/${runId}`)).id).toBe(runId);
    expect((await resolveRun(project, join(project, '.perf', 'runs', runId))).id).toBe(runId);
    expect((await resolveRun(project, 'latest:load')).id).toBe(runId);
  });

  it('".." in any form is refused before touching the disk', async () => {
    for (const ref of ['..', '../x', `../${runId}`, `.perf/runs/../../..`, 'a/../../b', '..\\x']) {
      await refusedPromptly(resolveRun(project, ref), /is not valid: "\.\." is not allowed in a run id/);
    }
    await refusedPromptly(resolveRun(project, 'a b'), /run id "a b" is not valid: use letters, digits/);
  });

  it('run folders outside the project, in /proc, or that are not folders are refused with the reason', async () => {
    await refusedPromptly(resolveRun(project, outside), /refusing to read the run folder .*: it is outside the project folder/);
    await refusedPromptly(resolveRun(project, '/proc/self'), /\/proc\/self: devices, \/proc and \/sys are not input files/);
    await symlink(outside, join(project, '.perf', 'runs', '20260101-000000-load-link'));
    await refusedPromptly(resolveRun(project, '20260101-000000-load-link'), /20260101-000000-load-link: it is outside the project folder \(it leads to/);
    execFileSync('mkfifo', [join(project, '.perf', 'runs', '20260101-000000-load-fifo')]);
    await refusedPromptly(resolveRun(project, '20260101-000000-load-fifo'), /run folder .*20260101-000000-load-fifo: it is not a folder/);
    await expect(resolveRun(project, 'no-such-run')).rejects.toThrow(/no run "no-such-run"/);
  });

  it('a meta.json that is a FIFO or a link to /dev/stdin is skipped, never read', async () => {
    const dir = join(project, '.perf', 'runs', '20991231-000000-query-meta');
    await mkdir(dir);
    await symlink('/dev/stdin', join(dir, 'meta.json'));
    const fifo = join(project, '.perf', 'runs', '20991231-000001-query-fifo');
    await mkdir(fifo);
    execFileSync('mkfifo', [join(fifo, 'meta.json')]);
    const started = Date.now();
    const runs = await listRuns(project, 'query');
    expect(runs.map((r) => r.id).sort()).toEqual(['20991231-000000-query-meta', '20991231-000001-query-fifo']);
    expect((await resolveRun(project, '20991231-000001-query-fifo')).kind).toBe('query');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('baseline:NAME (issue 13)', () => {
  it('resolves through a saved baseline; a baseline pointing at "../" is refused as not a run id', async () => {
    await saveBaseline(project, { name: 'main', runId, kind: 'load' });
    expect((await resolveRun(project, 'baseline:main')).id).toBe(runId);
    await saveBaseline(project, { name: 'evil', runId: '../../../etc', kind: 'load' });
    await refusedPromptly(resolveRun(project, 'baseline:evil'), /baseline "evil" points at "\.\.\/\.\.\/\.\.\/etc", which is not a run id/);
    await refusedPromptly(resolveRun(project, 'baseline:../x'), /baseline name "\.\.\/x" is not valid/);
  });

  it('a baseline file that is a link to /dev/stdin or a FIFO is refused, and listing skips it', async () => {
    await symlink('/dev/stdin', join(project, '.perf', 'baselines', 'stdin.json'));
    execFileSync('mkfifo', [join(project, '.perf', 'baselines', 'fifo.json')]);
    await refusedPromptly(readBaseline(project, 'stdin'), /refusing to read the baseline file .*stdin\.json: it leads to \/(dev|proc)\//);
    await refusedPromptly(readBaseline(project, 'fifo'), /fifo\.json: it is not a regular file \(a FIFO\)/);
    await refusedPromptly(resolveRun(project, 'baseline:fifo'), /a FIFO/);
    const started = Date.now();
    expect((await listBaselines(project)).map((b) => b.name).sort()).toEqual(['evil', 'main']);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('.perf/config.json (issue 13)', () => {
  it('a config that is a FIFO or a device link is refused at once; a link to a shared regular file is read', async () => {
    const fifoProject = await mkdtemp(join(tmpdir(), 'perfeng-config-fifo-'));
    try {
      await mkdir(join(fifoProject, '.perf'));
      execFileSync('mkfifo', [join(fifoProject, '.perf', 'config.json')]);
      await refusedPromptly(loadConfig(fifoProject), /refusing to read the config file .*config\.json: it is not a regular file \(a FIFO\)/);
      await rm(join(fifoProject, '.perf', 'config.json'));
      await symlink('/dev/stdin', join(fifoProject, '.perf', 'config.json'));
      await refusedPromptly(loadConfig(fifoProject), /config\.json: it leads to \/(dev|proc)\//);
      await rm(join(fifoProject, '.perf', 'config.json'));
      await writeFile(join(outside, 'shared-config.json'), JSON.stringify({ compare: { alpha: 0.01 } }));
      await symlink(join(outside, 'shared-config.json'), join(fifoProject, '.perf', 'config.json'));
      expect((await loadConfig(fifoProject)).compare.alpha).toBe(0.01);
    } finally {
      await rm(fifoProject, { recursive: true, force: true });
    }
  });
});
