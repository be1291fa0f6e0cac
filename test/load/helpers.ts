import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRunContext, type RunContext } from '../../src/common/context.js';
import type { PerfConfig } from '../../src/store/config.js';
import { defaultConfig } from '../../src/store/config.js';
import { runLoadTest } from '../../src/load/index.js';
import { loadTestInputSchema, type LoadTestRawInput } from '../../src/load/schema.js';

export async function tempProject(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'perfeng-load-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function load(dir: string, input: LoadTestRawInput, options: { signal?: AbortSignal; config?: PerfConfig; report?: RunContext['report'] } = {}) {
  const context = await createRunContext({ projectDir: dir, signal: options.signal, config: options.config ?? defaultConfig(), report: options.report });
  return runLoadTest(loadTestInputSchema.parse(input), context);
}
