import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunContext } from '../../src/common/context.js';
import { runCommand } from '../../src/common/spawn.js';
import { loadTestInputSchema, runLoadTest } from '../../src/load/index.js';
import { BUILT_CLI } from '../helpers/mcp-client.js';

/**
 * End to end: a temporary git repository whose "code" (delay.txt) makes a local server answer
 * in 4 ms, then from the 7th commit on in 40 ms (a step that a CPU-starved 2-core machine
 * cannot hide in its noise); one short real load test per commit through
 * the real store; `perfeng history` must put the change point at the 7th commit.
 */
let repo: string;
let server: Server;
let url: string;
const commits: string[] = [];
const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };
const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env: gitEnv, encoding: 'utf8' }).trim();

beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), 'perfeng-history-e2e-'));
  server = createServer((_req, res) => {
    const delay = Number(readFileSync(join(repo, 'delay.txt'), 'utf8'));
    setTimeout(() => res.end('ok'), delay);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  git('init', '-q', '-b', 'main');
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(repo, { recursive: true, force: true });
});

describe('history end to end', () => {
  it('finds the commit where the server got slower', async () => {
    const context = await createRunContext({ projectDir: repo });
    for (let i = 0; i < 12; i++) {
      await writeFile(join(repo, 'delay.txt'), String(i < 6 ? 4 : 40));
      await writeFile(join(repo, 'n.txt'), String(i));
      git('add', '.');
      git('commit', '-q', '-m', `commit ${i}`);
      commits.push(git('rev-parse', 'HEAD'));
      await runLoadTest(loadTestInputSchema.parse({ url, duration: '700ms', connections: 2, thresholds: {} }), context);
    }
    const cli = await runCommand(process.execPath, [BUILT_CLI, 'history', '--kind', 'load', '--metric', 'p50', '--json'], {
      cwd: repo,
      env: { PERFENG_PROJECT_DIR: repo },
      timeoutMs: 60_000,
    });
    expect(cli.exitCode, cli.stderr).toBe(0);
    const out = JSON.parse(cli.stdout);
    expect(out.series.map((p: { commit: string }) => p.commit)).toEqual(commits);
    expect(out.series.every((p: { flags: string[] }) => !p.flags.includes('dirty'))).toBe(true);
    expect(out.changePoints, JSON.stringify(out.series.map((p: { value: number }) => p.value))).toHaveLength(1);
    expect(out.changePoints[0]).toMatchObject({ commit: commits[6], verdict: 'regression' });
    expect(out.changePoints[0].afterValue).toBeGreaterThan(out.changePoints[0].beforeValue + 5);
    expect(out.summary).toMatch(new RegExp(`^REGRESSED: p50 of load over 12 runs; \\+\\d+(\\.\\d+)?% at ${commits[6]!.slice(0, 10)}`));
  }, 180_000);
});
