import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/common/spawn.js';
import { collectSeries } from '../../src/history/index.js';
import { importHistory } from '../../src/history/import.js';
import { extractMetrics } from '../../src/history/metrics.js';
import { listRuns } from '../../src/store/runs.js';
import { BUILT_CLI } from '../helpers/mcp-client.js';

let repo: string;
const commits: string[] = [];
const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };
const perfeng = (...args: string[]) => runCommand(process.execPath, [BUILT_CLI, ...args], { cwd: repo, env: { PERFENG_PROJECT_DIR: repo }, timeoutMs: 60_000 });

beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), 'perfeng-import-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env: gitEnv, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  for (let i = 0; i < 12; i++) {
    await writeFile(join(repo, 'n.txt'), String(i));
    git('add', 'n.txt');
    // Distinct, increasing commit times: the import orders by commit time, not by file name.
    execFileSync('git', ['commit', '-q', '-m', `commit ${i}`], {
      cwd: repo,
      env: { ...gitEnv, GIT_COMMITTER_DATE: `2026-01-01T00:${String(i).padStart(2, '0')}:00Z` },
    });
    commits.push(git('rev-parse', 'HEAD'));
  }
});
afterAll(async () => {
  await rm(repo, { recursive: true, force: true });
});

describe('importing results named by commit', () => {
  it('turns a folder of hyperfine files into history, in commit order, with the step found', async () => {
    const dir = join(repo, 'results');
    await mkdir(dir);
    for (const [i, commit] of commits.entries()) {
      const center = i >= 7 ? 0.13 : 0.1;
      const times = Array.from({ length: 10 }, (_, k) => center * (1 + ((k * 7 + i) % 10) / 300));
      await writeFile(join(dir, `${commit.slice(0, 8)}.json`), JSON.stringify({ results: [{ command: 'sleep 0.1', mean: center, stddev: 0.001, times }] }));
    }
    const imported = await perfeng('history', 'import', 'results', '--json');
    expect(imported.exitCode, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout).map((r: { commit: string }) => r.commit)).toEqual(commits);

    const again = await perfeng('history', 'import', 'results');
    expect(again.stdout).toMatch(/imported 0 runs/);
    expect(await listRuns(repo, 'bench')).toHaveLength(12);

    const history = await perfeng('history', '--kind', 'bench', '--metric', 'median@sleep 0.1', '--json');
    expect(history.exitCode, history.stderr).toBe(0);
    const out = JSON.parse(history.stdout);
    expect(out.series.map((p: { commit: string }) => p.commit)).toEqual(commits);
    expect(out.series[0].value).toBeCloseTo(0.1, 2);
    expect(out.changePoints).toEqual([expect.objectContaining({ commit: commits[7], verdict: 'regression' })]);
  });

  it('reads Go -bench files and github-action-benchmark data.js', async () => {
    const dir = join(repo, 'go');
    await mkdir(dir);
    await copyFile(new URL('../fixtures/compare/go-bench-baseline.txt', import.meta.url), join(dir, `${commits[0]!.slice(0, 7)}-bench.txt`));
    const go = await importHistory(repo, 'go', 'gobench');
    expect(go).toHaveLength(1);
    const [run] = await listRuns(repo, 'gobench');
    const metrics = extractMetrics('gobench', JSON.parse(await readFile(join(run!.dir, 'result.json'), 'utf8')));
    expect(metrics['median@Parse/small-8']).toMatchObject({ unit: 'sec/op' });
    expect(metrics['median@Parse/small-8 [B/op]']).toMatchObject({ unit: 'B/op' });

    const data = {
      lastUpdate: 1,
      repoUrl: 'https://example.invalid/r',
      entries: {
        Benchmark: [commits[2], commits[3]].map((id, i) => ({
          commit: { id, message: `commit ${i}`, timestamp: `2026-01-02T00:0${i}:00Z` },
          date: 0,
          tool: 'benchmarkjs',
          benches: [{ name: 'fib(20)', value: 1000 - i * 100, unit: 'ops/sec', range: '±1%' }],
        })),
      },
    };
    await writeFile(join(repo, 'data.js'), `window.BENCHMARK_DATA = ${JSON.stringify(data, null, 2)}`);
    await importHistory(repo, 'data.js', 'gab');
    const { points, direction } = await collectSeries(repo, 'gab', 'median@fib(20)');
    expect(points.map((p) => [p.commit, p.value])).toEqual([
      [commits[2], 1000],
      [commits[3], 900],
    ]);
    expect(direction).toBe('higher-is-better');
  });
});
