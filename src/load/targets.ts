import { join } from 'node:path';
import { readInputFile } from '../common/input-files.js';
import { CONFIG_RELATIVE_PATH, defaultConfig, type PerfConfig, type PerfTargets } from '../store/config.js';

/**
 * Which targets the project asked for, as opposed to the built-in defaults: the ones
 * `.perf/config.json` names, and any whose value differs from the default (a config handed
 * in without a file). A threshold built from a target says which it was (`source`), and the
 * throughput target judges a run only when asked for.
 */
export async function configuredTargets(projectDir: string, config: PerfConfig): Promise<Set<keyof PerfTargets>> {
  const defaults = defaultConfig().targets;
  const keys = Object.keys(defaults) as Array<keyof PerfTargets>;
  const configured = new Set(keys.filter((key) => config.targets[key] !== defaults[key]));
  try {
    // Already read and validated when the run context loaded the config; a problem now leaves the values to decide.
    const text = await readInputFile(join(projectDir, CONFIG_RELATIVE_PATH), { projectDir, allowedPaths: ['/'], maxBytes: 1024 * 1024, what: 'config file' });
    const named = (JSON.parse(text) as { targets?: Record<string, unknown> }).targets;
    for (const key of keys) if (named && Object.hasOwn(named, key)) configured.add(key);
  } catch {
    // no config file, or unreadable: the value comparison above stands
  }
  return configured;
}
