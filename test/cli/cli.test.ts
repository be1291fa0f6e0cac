import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILT_CLI } from '../helpers/mcp-client.js';

const run = promisify(execFile);

async function perfeng(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BUILT_CLI, ...args], { cwd, env: { ...process.env, PERFENG_PROJECT_DIR: cwd } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('perfeng CLI (built)', () => {
  let project: string;
  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'perfeng-cli-'));
  });
  afterAll(async () => {
    await rm(project, { recursive: true, force: true });
  });

  it('prints help for the program and every command, exit 0', async () => {
    const top = await perfeng(['--help'], project);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Usage: perfeng/);
    const commands = top.stdout.slice(top.stdout.indexOf('Commands:'));
    const names = [...commands.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]!).filter((n) => n !== 'help');
    expect(names).toEqual(expect.arrayContaining(['mcp', 'hook', 'config']));
    for (const name of names) {
      const help = await perfeng([name, '--help'], project);
      expect(help.code, `${name} --help`).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`Usage: perfeng ${name}`));
    }
  });

  it('rejects unknown flags and commands with one line and exit code 2', async () => {
    for (const args of [['--bogus'], ['nonsense'], ['config', '--bogus']]) {
      const result = await perfeng(args, project);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/^perfeng: /);
    }
  });

  it('reports a bad config with the key, exit code 2, and writes nothing', async () => {
    await mkdir(join(project, '.perf'), { recursive: true });
    await writeFile(join(project, '.perf', 'config.json'), '{ "targets": { "p95": 1 } }');
    const unknown = await perfeng(['config'], project);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown key "targets\.p95"/);
    await writeFile(join(project, '.perf', 'config.json'), '{ "targets": ');
    const broken = await perfeng(['config'], project);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/not valid JSON/);
    expect(await readdir(join(project, '.perf'))).toEqual(['config.json']);
  });

  it('prints the effective config with defaults', async () => {
    await writeFile(join(project, '.perf', 'config.json'), '{ "targets": { "p95Ms": 250 } }');
    const result = await perfeng(['config'], project);
    expect(result.code).toBe(0);
    const config = JSON.parse(result.stdout);
    expect(config.targets.p95Ms).toBe(250);
    expect(config.targets.p99Ms).toBe(1000);
  });

  it('hook never fails the session, whatever arrives on stdin', async () => {
    for (const input of ['', 'not json', '{"hook_event_name":"Stop"}']) {
      const child = execFile(process.execPath, [BUILT_CLI, 'hook', 'Stop'], { cwd: project });
      child.stdin!.end(input);
      const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? -1)));
      expect(code).toBe(0);
    }
  });
});
