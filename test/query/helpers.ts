import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tcpPorts } from '../../src/profile/attach-node.js';
import { createRunContext, type RunContext } from '../../src/common/context.js';
import { analyzeQuery } from '../../src/query/index.js';
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
 * Local TCP ports of this process's own sockets: "our sessions left open" must count only this
 * test process's connections, since other test files running at the same time open
 * analyze_query sessions of their own.
 */
export function ownTcpPorts(): number[] {
  return tcpPorts('self', { listening: false });
}

/** analyze_query on `database` in a fresh project (no index suggestions unless asked), with functions trusted by config. */
export async function analyzeIn(database: string, input: Record<string, unknown>, options: { trustedFunctions?: string[]; signal?: AbortSignal } = {}) {
  const { context, cleanup } = await makeContext(options.signal ? { signal: options.signal } : {});
  if (options.trustedFunctions) context.config.query.trustedFunctions = options.trustedFunctions;
  try {
    return await analyzeQuery({ database, suggestIndexes: false, ...input }, context);
  } finally {
    await cleanup();
  }
}
