import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../common/errors.js';
import { readInputFile } from '../common/input-files.js';
import type { RunEnvironment } from './environment.js';

/**
 * Named baselines: `.perf/baselines/<NAME>.json`, each a pointer to one stored run (which
 * commit, which machine). `baseline:NAME` then stands for that run wherever a run id is
 * accepted (resolveRun), so a CI job can `perfeng baseline save main` on the main branch and
 * `perfeng baseline check main --fail-on "regression>5%"` on a pull request. Unlike run
 * artefacts a baseline is meant to move: saving a name again replaces it (atomic rename).
 */
export interface Baseline {
  name: string;
  runId: string;
  kind: string;
  savedAt: string;
  /** The run's environment (commit, host) as it was when the baseline was saved. */
  environment?: RunEnvironment;
}

/** A baseline file is a few hundred bytes; the cap only stops a huge file from being read. */
const BASELINE_MAX_BYTES = 1024 * 1024;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function baselinesDir(projectDir: string): string {
  return join(projectDir, '.perf', 'baselines');
}

export function checkBaselineName(name: string): string {
  if (!NAME.test(name)) {
    throw new UserError(`baseline name "${name}" is not valid`, 'use 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit (e.g. "main")');
  }
  return name;
}

export async function saveBaseline(projectDir: string, baseline: Omit<Baseline, 'savedAt'>, now = new Date()): Promise<Baseline> {
  checkBaselineName(baseline.name);
  const dir = baselinesDir(projectDir);
  await mkdir(dir, { recursive: true });
  const saved: Baseline = { ...baseline, savedAt: now.toISOString() };
  const target = join(dir, `${baseline.name}.json`);
  const temporary = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(temporary, `${JSON.stringify(saved, null, 2)}\n`, { flag: 'wx' });
  try {
    await rename(temporary, target);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  return saved;
}

export async function readBaseline(projectDir: string, name: string): Promise<Baseline> {
  checkBaselineName(name);
  const path = join(baselinesDir(projectDir), `${name}.json`);
  let exists = true;
  try {
    await lstat(path);
  } catch {
    exists = false;
  }
  // Through the input-file gate: a baseline file that is a FIFO or a link to /dev/stdin is refused, not read.
  const text = exists ? await readInputFile(path, { projectDir, maxBytes: BASELINE_MAX_BYTES, what: 'baseline file' }) : undefined;
  if (text === undefined) {
    const known = (await listBaselines(projectDir)).map((b) => b.name);
    throw new UserError(
      `no baseline "${name}" in ${baselinesDir(projectDir)}`,
      known.length ? `known baselines: ${known.join(', ')}` : 'save one first: perfeng baseline save NAME [RUN]',
    );
  }
  try {
    return JSON.parse(text) as Baseline;
  } catch (error) {
    throw new UserError(`baseline "${name}" is not valid JSON (${(error as Error).message})`, 'save it again');
  }
}

export async function listBaselines(projectDir: string): Promise<Baseline[]> {
  let files: string[];
  try {
    files = (await readdir(baselinesDir(projectDir))).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const out: Baseline[] = [];
  for (const file of files.sort()) {
    try {
      out.push(
        JSON.parse(await readInputFile(join(baselinesDir(projectDir), file), { projectDir, maxBytes: BASELINE_MAX_BYTES, what: 'baseline file' })) as Baseline,
      );
    } catch {
      // a half-written or foreign file (or a FIFO, a link out of the project): not a baseline
    }
  }
  return out;
}

export async function removeBaseline(projectDir: string, name: string): Promise<boolean> {
  checkBaselineName(name);
  try {
    await unlink(join(baselinesDir(projectDir), `${name}.json`));
    return true;
  } catch {
    return false;
  }
}
