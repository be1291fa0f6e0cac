import { readFileSync } from 'node:fs';
import { isAlive, listDescendants } from '../../src/common/spawn.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRunContext, type RunContext } from '../../src/common/context.js';
import { defaultConfig } from '../../src/store/config.js';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** A throwaway project folder (runs go to its .perf/) with default config. */
export async function tempProject(): Promise<{ dir: string; context: RunContext; controller: AbortController; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'perfeng-profile-test-'));
  const controller = new AbortController();
  const context = await createRunContext({ projectDir: dir, config: defaultConfig(), signal: controller.signal });
  return { dir, context, controller, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Our descendants still running a fixture program (the esbuild service and vitest's own are not ours to judge). */
export function leftoverFixtureProcesses(): number[] {
  return listDescendants(process.pid).filter((pid) => {
    if (!isAlive(pid)) return false;
    try {
      return /fixtures|hot\.js|parent\.js|server\.js|idle\.js|alloc\.|hot\.py|pyserver\.py|leak[-_]server|perf record/.test(
        readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '),
      );
    } catch {
      return false;
    }
  });
}
