import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRunContext, type RunContext } from '../../src/common/context.js';
import { defaultConfig } from '../../src/store/config.js';

export const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = 'mysql://root@127.0.0.1:3306/test';

/** A project folder of its own (artefacts land in its .perf/) and a context with default config. */
export async function makeContext(
  options: { signal?: AbortSignal; queryMs?: number; allowScratchCopy?: boolean } = {},
): Promise<{ context: RunContext; dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'perfeng-query-'));
  const config = defaultConfig();
  if (options.queryMs !== undefined) config.targets.queryMs = options.queryMs;
  if (options.allowScratchCopy) config.query.allowScratchCopy = true;
  const context = await createRunContext({ projectDir: dir, config, ...(options.signal ? { signal: options.signal } : {}) });
  return { context, dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Unique per test file and process, so parallel files never share a fixture. */
export function fixtureName(prefix: string): string {
  return `${prefix}_${process.pid}`;
}

/**
 * Local TCP ports of this process's own sockets (from /proc/self/fd and /proc/net/tcp{,6}):
 * "our sessions left open" must count only this test process's connections, since other test
 * files running at the same time open analyze_query sessions of their own.
 */
export function ownTcpPorts(): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m?.[1]) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      const inode = cols[9];
      if (local && inode && inodes.has(inode)) ports.push(Number.parseInt(local.split(':')[1] ?? '', 16));
    }
  }
  return ports;
}
