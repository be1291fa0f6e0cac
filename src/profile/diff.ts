import { lstat, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { RunContext } from '../common/context.js';
import { UserError } from '../common/errors.js';
import { readInputFile } from '../common/input-files.js';
import { round } from '../common/units.js';
import { resolveRun } from '../store/runs.js';
import { analyseProfile, functionKey } from './analyse.js';
import { Locator } from './locate.js';
import type { Profile } from './model.js';
import { isSpeedscope, parseSpeedscope } from './parse-speedscope.js';
import { isCpuProfile, isHeapProfile, parseCpuProfile, parseHeapProfile } from './parse-v8.js';

/**
 * Differential profile: which functions' share of the profile grew or shrank between two
 * runs. Shares, not absolute times, are compared (Brendan Gregg's difffolded -n
 * normalisation), so a longer or busier second run does not make everything "grow".
 */
export interface DiffEntry {
  name: string;
  file: string;
  line: number;
  beforePct: number;
  afterPct: number;
  deltaPct: number;
}

/** A stored run (its speedscope.json) or a profile file → the model. */
export async function loadProfileRef(ref: string, context: RunContext): Promise<{ profile: Profile; label: string }> {
  const { projectDir } = context;
  let path: string | undefined;
  const direct = resolve(projectDir, ref);
  // lstat, not stat: a FIFO or a device (or a link to one) is "a file" for the gate to refuse.
  const info = await lstat(direct).catch(() => undefined);
  if (info && !info.isDirectory()) path = direct;
  else {
    const run = await resolveRun(projectDir, ref);
    path = join(run.dir, 'speedscope.json');
    const exists = await stat(path).catch(() => undefined);
    if (!exists) throw new UserError(`run "${ref}" has no speedscope.json`, 'pass a run made by profile_process, or a .cpuprofile / .speedscope.json file');
  }
  // The same gate as every named input: regular files inside the project (or an allowed
  // folder), under the size cap; /proc, devices and FIFOs refused before any read.
  const text = await readInputFile(path, {
    projectDir,
    allowedPaths: context.config.query.allowedInputPaths,
    maxBytes: context.config.query.maxInputMb * 1024 * 1024,
    what: 'profile',
    signal: context.signal,
  });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UserError(`cannot read ${path} as a profile: ${(error as Error).message}`, 'pass a .cpuprofile, .heapprofile or speedscope JSON file');
  }
  const locator = new Locator(projectDir, false);
  if (isSpeedscope(raw)) return { profile: parseSpeedscope(raw, locator, 'node', 'speedscope'), label: ref };
  if (isCpuProfile(raw)) return { profile: parseCpuProfile(raw, locator), label: ref };
  if (isHeapProfile(raw)) return { profile: parseHeapProfile(raw, locator), label: ref };
  throw new UserError(`${path} is not a profile this tool reads`, 'use a .cpuprofile, .heapprofile or speedscope JSON file');
}

function selfShares(profile: Profile): Map<string, { name: string; file: string; line: number; share: number }> {
  const analysis = analyseProfile(profile, { pathLimit: 0 });
  const denominator = profile.kind === 'heap' ? analysis.total : analysis.onCpu;
  const out = new Map<string, { name: string; file: string; line: number; share: number }>();
  for (const row of analysis.functions) {
    if (row.self <= 0) continue;
    out.set(functionKey(row), { name: row.name, file: row.file, line: row.line, share: denominator > 0 ? row.self / denominator : 0 });
  }
  return out;
}

export function diffProfiles(before: Profile, after: Profile, top: number): { grew: DiffEntry[]; shrank: DiffEntry[] } {
  const a = selfShares(before);
  const b = selfShares(after);
  const entries: DiffEntry[] = [];
  // Every function of either side, named as in the newer profile when it is in both.
  for (const [key, ref] of new Map([...a, ...b])) {
    const x = a.get(key);
    const y = b.get(key);
    const beforePct = (x?.share ?? 0) * 100;
    const afterPct = (y?.share ?? 0) * 100;
    entries.push({
      name: ref.name,
      file: ref.file,
      line: ref.line,
      beforePct: round(beforePct, 2),
      afterPct: round(afterPct, 2),
      deltaPct: round(afterPct - beforePct, 2),
    });
  }
  const grew = entries
    .filter((e) => e.deltaPct > 0)
    .sort((p, q) => q.deltaPct - p.deltaPct)
    .slice(0, top);
  const shrank = entries
    .filter((e) => e.deltaPct < 0)
    .sort((p, q) => p.deltaPct - q.deltaPct)
    .slice(0, top);
  return { grew, shrank };
}
