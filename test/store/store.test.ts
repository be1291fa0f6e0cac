import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig, loadConfig, parseConfig } from '../../src/store/config.js';
import { createRun, listRuns, resolveRun, writeFileAtomicNoOverwrite } from '../../src/store/runs.js';

let project: string;
beforeEach(async () => {
  project = await mkdtemp(join(tmpdir(), 'perfeng-store-'));
});
afterEach(async () => {
  await chmod(project, 0o755).catch(() => undefined);
  await rm(project, { recursive: true, force: true });
});

describe('config', () => {
  it('gives the documented defaults when the file is missing', async () => {
    const config = await loadConfig(project);
    expect(config.targets).toMatchObject({
      p50Ms: 100,
      p95Ms: 500,
      p99Ms: 1000,
      errorRate: 0.01,
      throughputRps: 1000,
      queryMs: 100,
      concurrentUsers: 200,
      lcpMs: 2500,
      cls: 0.1,
      inpMs: 200,
    });
    expect(config.load.allowHosts).toEqual([]);
    expect(config.load).toMatchObject({ maxDurationS: 600, maxConnections: 10_000, maxRate: 100_000 });
    expect(config.hooks).toMatchObject({ mode: 'suggest', diffLines: 300 });
    expect(config).toEqual(defaultConfig());
  });

  it('merges a partial file with defaults', async () => {
    await mkdir(join(project, '.perf'));
    await writeFile(join(project, '.perf', 'config.json'), JSON.stringify({ targets: { p95Ms: 250 }, load: { allowHosts: ['staging.local'] } }));
    const config = await loadConfig(project);
    expect(config.targets.p95Ms).toBe(250);
    expect(config.targets.p99Ms).toBe(1000);
    expect(config.load.allowHosts).toEqual(['staging.local']);
  });

  it('names an unknown key, including nested ones', () => {
    expect(() => parseConfig(JSON.stringify({ targets: { p95: 250 } }))).toThrow(/unknown key "targets\.p95"/);
    expect(() => parseConfig(JSON.stringify({ tragets: {} }))).toThrow(/unknown key "tragets"/);
  });

  it('explains invalid values and invalid JSON', () => {
    expect(() => parseConfig(JSON.stringify({ hooks: { mode: 'always' } }))).toThrow(/hooks\.mode/);
    expect(() => parseConfig('{ "targets": ')).toThrow(/not valid JSON/);
  });
});

describe('runs', () => {
  it('creates sortable ids and resolves latest by kind', async () => {
    const a = await createRun(project, 'load', 'GET /api/users', new Date('2026-11-25T10:15:00Z'));
    const b = await createRun(project, 'profile', 'node server.js', new Date('2026-11-25T10:16:00Z'));
    const c = await createRun(project, 'load', 'GET /api/users', new Date('2026-11-25T10:17:00Z'));
    expect(a.id).toBe('20261125-101500-load-get-api-users');
    expect((await resolveRun(project, 'latest:load')).id).toBe(c.id);
    expect((await resolveRun(project, 'latest')).id).toBe(c.id);
    expect((await resolveRun(project, 'latest:profile')).id).toBe(b.id);
    expect((await resolveRun(project, a.id)).dir).toBe(a.dir);
    expect((await listRuns(project, 'load')).map((r) => r.id)).toEqual([a.id, c.id]);
    await expect(resolveRun(project, 'latest:query')).rejects.toThrow(/no "query" runs/);
    await expect(resolveRun(project, 'nope')).rejects.toThrow(/no run "nope"/);
  });

  it('never overwrites an artefact', async () => {
    const run = await createRun(project, 'load', 'x');
    await run.writeFile('result.json', '{"a":1}');
    await expect(run.writeFile('result.json', '{"a":2}')).rejects.toThrow(/refusing to overwrite/);
    expect(await readFile(run.path('result.json'), 'utf8')).toBe('{"a":1}');
  });

  it('concurrent writers get distinct runs and no file is corrupted or lost', async () => {
    const when = new Date('2026-11-25T10:15:00Z');
    const runs = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const run = await createRun(project, 'load', 'same title', when);
        await run.writeJson('result.json', { writer: i, payload: 'x'.repeat(50_000) });
        return run;
      }),
    );
    expect(new Set(runs.map((r) => r.id)).size).toBe(40);
    for (const run of runs) {
      const data = JSON.parse(await readFile(run.path('result.json'), 'utf8'));
      expect(data.payload.length).toBe(50_000);
    }
    const writers = await Promise.all(runs.map(async (r) => JSON.parse(await readFile(r.path('result.json'), 'utf8')).writer));
    expect(new Set(writers).size).toBe(40);
    // no temporary files left behind
    for (const run of runs) expect((await readdir(run.dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('racing writers of one file: exactly one wins, the file is whole', async () => {
    const path = join(project, 'race.json');
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => writeFileAtomicNoOverwrite(path, JSON.stringify({ i, pad: 'y'.repeat(100_000) }))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(JSON.parse(await readFile(path, 'utf8')).pad.length).toBe(100_000);
  });

  it('reports an unwritable .perf folder clearly', async () => {
    await mkdir(join(project, '.perf'));
    if (process.getuid?.() !== 0) {
      await chmod(join(project, '.perf'), 0o500);
      await expect(createRun(project, 'load', 'x')).rejects.toThrow(/cannot write to .*EACCES/);
      return;
    }
    // As root permissions are not enforced, so the same call runs as `nobody` in a child.
    await chmod(project, 0o755);
    // The built module: `npm test` builds dist/ first, and node 20 cannot run .ts directly.
    const runsModule = new URL('../../dist/store/runs.js', import.meta.url).pathname;
    const script = `import(${JSON.stringify(runsModule)}).then((m) => m.createRun(${JSON.stringify(project)}, 'load', 'x')).then(() => console.log('created'), (e) => console.log(e.message))`;
    const { execFileSync } = await import('node:child_process');
    const output = execFileSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '-e', script], { encoding: 'utf8' });
    expect(output).toMatch(/cannot write to .*EACCES/);
    expect(await readdir(join(project, '.perf'))).toEqual([]);
  });
});
