import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { UserError } from '../common/errors.js';
import { median } from '../common/sample-stats.js';
import { runCommand } from '../common/spawn.js';
import { type Benchmark, directionForUnit } from '../compare/model.js';
import { parseText } from '../compare/parsers/index.js';
import { machineEnvironment, type RunEnvironment } from '../store/environment.js';
import { createRun, listRuns } from '../store/runs.js';

/**
 * Existing results become history: one `bench` run per commit, its result.json
 * `{ tool: 'import', benchmarks: [{ name, unit, value }] }` (metric `median@NAME`), created at
 * the commit's time so the series is in commit order.
 *  - a folder of result files named by commit (`<sha>.json`, `<sha>-bench.txt`, …) in any
 *    format compare_benchmarks reads (hyperfine, Go -bench, pytest-benchmark, …);
 *  - github-action-benchmark's data file (`data.js` with `window.BENCHMARK_DATA = …`, or JSON).
 */
export interface ImportedRun {
  commit: string;
  runId: string;
  benchmarks: number;
}

interface Entry {
  commit: string;
  at: Date;
  subject: string;
  source: string;
  benchmarks: Array<{ name: string; unit: string; value: number; direction: Benchmark['direction'] }>;
}

const COMMIT_IN_NAME = /^([0-9a-f]{7,64})(?![0-9a-f])/i;

function centre(b: Benchmark): number | undefined {
  if (b.values?.length) return median(b.values);
  return b.summary?.median ?? b.summary?.mean;
}

async function commitTime(projectDir: string, commit: string): Promise<{ at: Date; subject: string; full: string } | undefined> {
  try {
    const out = await runCommand('git', ['show', '-s', '--format=%H%n%cI%n%s', commit], { cwd: projectDir, timeoutMs: 5_000 });
    if (out.exitCode !== 0) return undefined;
    const [full = commit, at = '', subject = ''] = out.stdout.split('\n');
    return { at: new Date(at), subject, full };
  } catch {
    return undefined;
  }
}

async function fromFolder(projectDir: string, dir: string): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (const file of (await readdir(dir)).sort()) {
    const commitInName = COMMIT_IN_NAME.exec(file)?.[1];
    if (!commitInName) continue;
    const path = join(dir, file);
    if (!(await stat(path)).isFile()) continue;
    const set = parseText(await readFile(path, 'utf8'), file, 'auto');
    const known = await commitTime(projectDir, commitInName);
    entries.push({
      commit: known?.full ?? commitInName.toLowerCase(),
      at: known?.at ?? (await stat(path)).mtime,
      subject: known?.subject ?? '',
      source: file,
      benchmarks: set.benchmarks.flatMap((b) => {
        const value = centre(b);
        return value === undefined ? [] : [{ name: b.name, unit: b.unit, value, direction: b.direction }];
      }),
    });
  }
  return entries;
}

interface GabEntry {
  commit?: { id?: string; message?: string; timestamp?: string };
  date?: number;
  benches?: Array<{ name?: string; value?: number; unit?: string }>;
}

function fromActionBenchmark(text: string, source: string): Entry[] {
  const json = text.replace(/^\s*window\.BENCHMARK_DATA\s*=\s*/, '').replace(/;\s*$/, '');
  let data: { entries?: Record<string, GabEntry[]> };
  try {
    data = JSON.parse(json);
  } catch (error) {
    throw new UserError(
      `${source} is not github-action-benchmark data (${(error as Error).message})`,
      'pass its data.js / data.json, or a folder of result files named by commit',
    );
  }
  const suites = Object.entries(data.entries ?? {});
  const byCommit = new Map<string, Entry>();
  for (const [suite, list] of suites) {
    for (const e of list) {
      const id = e.commit?.id;
      if (!id) continue;
      const entry = byCommit.get(id) ?? {
        commit: id,
        at: new Date(e.commit?.timestamp ?? e.date ?? 0),
        subject: (e.commit?.message ?? '').split('\n')[0] ?? '',
        source,
        benchmarks: [],
      };
      for (const b of e.benches ?? []) {
        if (typeof b.name !== 'string' || typeof b.value !== 'number') continue;
        const unit = b.unit ?? 'value';
        entry.benchmarks.push({ name: suites.length > 1 ? `${suite}/${b.name}` : b.name, unit, value: b.value, direction: directionForUnit(unit) });
      }
      byCommit.set(id, entry);
    }
  }
  return [...byCommit.values()];
}

export async function importHistory(projectDir: string, path: string, kind = 'bench'): Promise<ImportedRun[]> {
  const full = resolve(projectDir, path);
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(full);
  } catch {
    throw new UserError(`cannot read ${path}`, 'pass a folder of result files named by commit, or github-action-benchmark data.js');
  }
  const entries = info.isDirectory() ? await fromFolder(projectDir, full) : fromActionBenchmark(await readFile(full, 'utf8'), basename(full));
  if (!entries.length) throw new UserError(`nothing to import from ${path}`, 'result files must be named by commit, e.g. 3f2b364.json');
  // Importing the same source twice must not double the points.
  const existing = new Set((await listRuns(projectDir, kind)).map((r) => `${r.environment?.git?.commit}\u0000${r.title}`));
  const machine = machineEnvironment();
  const out: ImportedRun[] = [];
  for (const entry of entries.sort((a, b) => a.at.getTime() - b.at.getTime())) {
    const title = `import ${entry.source}`;
    if (existing.has(`${entry.commit}\u0000${title}`)) continue;
    const environment: RunEnvironment = {
      ...machine,
      host: 'imported',
      loadAverage: [0, 0, 0],
      git: {
        commit: entry.commit,
        shortCommit: entry.commit.slice(0, 10),
        branch: null,
        dirty: false,
        committedAt: entry.at.toISOString(),
        subject: entry.subject,
      },
    };
    const run = await createRun(projectDir, kind, title, Number.isNaN(entry.at.getTime()) ? new Date() : entry.at, { environment });
    await run.writeJson('result.json', { tool: 'import', version: 1, source: entry.source, benchmarks: entry.benchmarks });
    out.push({ commit: entry.commit, runId: run.id, benchmarks: entry.benchmarks.length });
  }
  return out;
}
