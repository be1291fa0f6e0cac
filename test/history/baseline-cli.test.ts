import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/common/spawn.js';
import { compareOutputSchema } from '../../src/compare/schema.js';
import { listBaselines } from '../../src/store/baselines.js';
import { createRun, resolveRun } from '../../src/store/runs.js';
import { BUILT_CLI } from '../helpers/mcp-client.js';

// Drives the built CLI (`dist/cli.js baseline …`) over runs written through the real store.
let dir: string;
const ids: Record<string, string> = {};

const perfeng = (args: string[], env: Record<string, string> = {}) =>
  runCommand(process.execPath, [BUILT_CLI, ...args], { cwd: dir, env: { PERFENG_PROJECT_DIR: dir, GITHUB_STEP_SUMMARY: '', ...env }, timeoutMs: 60_000 });

/** hyperfine --export-json with ten times around `center` seconds (deterministic jitter). */
function hyperfine(center: number) {
  const times = Array.from({ length: 10 }, (_, i) => center * (1 + ((i * 7) % 10) / 200));
  return { results: [{ command: 'render', mean: center, stddev: center / 100, times }] };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'perfeng-baseline-cli-'));
  const at = (m: number) => new Date(Date.UTC(2026, 0, 1, 0, m));
  for (const [name, center, minute] of [
    ['old', 0.1, 0],
    ['same', 0.1, 1],
    ['slow', 0.12, 2],
  ] as const) {
    const run = await createRun(dir, 'bench', name, at(minute));
    await run.writeJson('result.json', hyperfine(center));
    ids[name] = run.id;
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('perfeng baseline', () => {
  it('saves a named baseline that baseline:NAME then resolves to', async () => {
    const saved = await perfeng(['baseline', 'save', 'main', ids.old!]);
    expect(saved.exitCode, saved.stderr).toBe(0);
    expect(saved.stdout).toMatch(new RegExp(`saved baseline main: run ${ids.old}`));
    expect((await resolveRun(dir, 'baseline:main')).id).toBe(ids.old);
    const list = await perfeng(['baseline', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ name: 'main', runId: ids.old, kind: 'bench' })]);
    expect(await listBaselines(dir)).toHaveLength(1);
  });

  it('check passes against a like run and prints markdown for a CI summary', async () => {
    const summaryFile = join(dir, 'step-summary.md');
    const check = await perfeng(['baseline', 'check', 'main', ids.same!, '--fail-on', 'regression>5%'], { GITHUB_STEP_SUMMARY: summaryFile });
    expect(check.exitCode, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/^## Performance check against baseline `main`/);
    expect(check.stdout).toMatch(/\| render \[s\] \|/);
    expect(check.stdout).toMatch(/Gate `regression>5%`: passed/);
    expect(await readFile(summaryFile, 'utf8')).toContain('Performance check against baseline `main`');
  });

  it('check fails (exit 1) on a 20 % regression with --fail-on and writes --markdown', async () => {
    const md = join(dir, 'check.md');
    const check = await perfeng(['baseline', 'check', 'main', '--fail-on', 'regression>5%', '--markdown', md]);
    expect(check.exitCode, check.stderr).toBe(1);
    expect(check.stdout).toMatch(new RegExp(`candidate: run \`${ids.slow}\``)); // latest of the baseline's kind
    expect(check.stdout).toMatch(/Gate `regression>5%`: FAILED/);
    expect((await readFile(md, 'utf8')).trimEnd()).toBe(check.stdout.trimEnd());
  });

  it('--json prints the comparison; compare accepts baseline:NAME too', async () => {
    const check = await perfeng(['baseline', 'check', 'main', ids.slow!, '--json']);
    const parsed = compareOutputSchema.parse(JSON.parse(check.stdout));
    expect(parsed.rows[0]).toMatchObject({ name: 'render', verdict: 'slower' });
    const compare = await perfeng(['compare', 'baseline:main', ids.slow!]);
    expect(compare.exitCode, compare.stderr).toBe(0);
    expect(compare.stdout).toMatch(/^REGRESSED: 1 of 1 slower/);
  });

  it('names the problem for an unknown baseline or a bad name (exit 2)', async () => {
    const unknown = await perfeng(['baseline', 'check', 'nope']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/no baseline "nope".*known baselines: main/);
    const bad = await perfeng(['baseline', 'save', '../etc', ids.old!]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/baseline name "..\/etc" is not valid/);
    const compare = await perfeng(['compare', 'baseline:nope', ids.slow!]);
    expect(compare.exitCode).toBe(2);
    expect(compare.stderr).toMatch(/no baseline "nope"/);
  });

  it('save replaces an older baseline of the same name; remove forgets it', async () => {
    expect((await perfeng(['baseline', 'save', 'tmp', ids.old!])).exitCode).toBe(0);
    expect((await perfeng(['baseline', 'save', 'tmp', 'latest:bench'])).exitCode).toBe(0);
    expect((await resolveRun(dir, 'baseline:tmp')).id).toBe(ids.slow);
    expect((await perfeng(['baseline', 'remove', 'tmp'])).exitCode).toBe(0);
    expect((await perfeng(['baseline', 'remove', 'tmp'])).exitCode).toBe(2);
  });
});
