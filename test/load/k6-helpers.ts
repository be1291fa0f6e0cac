import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createRunContext } from '../../src/common/context.js';
import { runK6Script, type K6ScriptInput } from '../../src/load/k6/index.js';
import { defaultConfig, type PerfConfig } from '../../src/store/config.js';
import type { HostLookup } from '../../src/common/hosts.js';

/** Writes files (path → text) into the project and runs the k6 script through our engine. */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
}

export async function runScript(dir: string, input: K6ScriptInput, options: { signal?: AbortSignal; config?: PerfConfig; lookup?: HostLookup } = {}) {
  const context = await createRunContext({ projectDir: dir, signal: options.signal, config: options.config ?? defaultConfig() });
  return runK6Script(input, context, { lookup: options.lookup });
}
