import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBuiltServer, REPO_ROOT } from '../helpers/mcp-client.js';
import { lacking } from '../helpers/system.js';

const run = promisify(execFile);

const claudeAvailable = !lacking(import.meta.url, 'claude');

async function validate(target: string, cwd: string): Promise<string> {
  const { stdout, stderr } = await run('claude', ['plugin', 'validate', target], { cwd, timeout: 60_000 });
  return `${stdout}\n${stderr}`;
}

function expectClean(output: string): void {
  expect(output).toMatch(/Validation passed/);
  expect(output).not.toMatch(/warning|error|⚠|✘/i);
}

describe('Claude Code plugin', () => {
  it('has the plugin files with the contract values', async () => {
    const plugin = JSON.parse(await readFile(join(REPO_ROOT, '.claude-plugin/plugin.json'), 'utf8'));
    expect(plugin.name).toBe('performance-engineer');
    for (const key of ['version', 'description', 'author', 'license', 'keywords', 'repository']) expect(plugin[key], key).toBeDefined();
    const mcp = JSON.parse(await readFile(join(REPO_ROOT, '.mcp.json'), 'utf8'));
    expect(mcp.mcpServers.perfeng).toEqual({ command: 'node', args: ['${CLAUDE_PLUGIN_ROOT}/dist/cli.js', 'mcp'] });
    const marketplace = JSON.parse(await readFile(join(REPO_ROOT, '.claude-plugin/marketplace.json'), 'utf8'));
    expect(marketplace.plugins.map((p: { name: string }) => p.name)).toEqual(['performance-engineer']);
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8'));
    expect(pkg.version).toBe(plugin.version);
  });

  it.skipIf(!claudeAvailable)('passes `claude plugin validate` (marketplace and plugin) with no warnings', async () => {
    expectClean(await validate('.', REPO_ROOT));
    expectClean(await validate('.claude-plugin/plugin.json', REPO_ROOT));
  });

  describe('the npm package is a complete plugin', () => {
    let unpacked: string;
    let work: string;
    beforeAll(async () => {
      work = await mkdtemp(join(tmpdir(), 'perfeng-pack-'));
      // dist/ is already built by `npm test`; packing must not rebuild it under other tests.
      const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 });
      const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
      await run('tar', ['xzf', join(work, filename), '-C', work]);
      unpacked = join(work, 'package');
      // What Claude Code does on install: production dependencies, no install scripts.
      await run('npm', ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: unpacked, timeout: 240_000 });
    }, 300_000);
    afterAll(async () => {
      if (work) await rm(work, { recursive: true, force: true });
    });

    it('contains the runnable CLI and every plugin part', async () => {
      for (const file of [
        'dist/cli.js',
        'dist/bundle/mcp.js',
        'agents/performance-engineer.md',
        '.claude-plugin/plugin.json',
        '.claude-plugin/marketplace.json',
        '.mcp.json',
        'README.md',
        'LICENSE',
      ]) {
        expect(existsSync(join(unpacked, file)), file).toBe(true);
      }
      if (existsSync(join(REPO_ROOT, 'hooks/hooks.json'))) expect(existsSync(join(unpacked, 'hooks/hooks.json'))).toBe(true);
      expect((await readdir(join(unpacked))).includes('src')).toBe(false);
      const { stdout } = await run(process.execPath, [join(unpacked, 'dist/cli.js'), '--help'], { cwd: unpacked });
      expect(stdout).toMatch(/Usage: perfeng/);
    });

    it.skipIf(!claudeAvailable)('validates from the unpacked folder', async () => {
      expectClean(await validate('.claude-plugin/plugin.json', unpacked));
    });

    it('starts the server from the unpacked folder and lists the same tools as the repo', async () => {
      const transport = new StdioClientTransport({ command: process.execPath, args: [join(unpacked, 'dist/cli.js'), 'mcp'], cwd: unpacked, stderr: 'pipe' });
      const client = new Client({ name: 'pack-test', version: '0' });
      await client.connect(transport);
      const packed = (await client.listTools()).tools.map((t) => t.name).sort();
      await client.close();
      const repo = await connectBuiltServer();
      const built = (await repo.client.listTools()).tools.map((t) => t.name).sort();
      await repo.close();
      expect(packed).toEqual(built);
    });
  });
});
