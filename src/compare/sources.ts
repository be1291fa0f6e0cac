import { lstat, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import fg from 'fast-glob';
import { defined, throwIfAborted, UserError } from '../common/errors.js';
import { readInputFile } from '../common/input-files.js';
import { asEnvironment } from '../store/environment.js';
import { NoSuchRunError, resolveRun } from '../store/runs.js';
import { directionForUnit, type Benchmark, type FormatId, type SampleSet } from './model.js';
import { parseText } from './parsers/index.js';

export type SourceRef = string | Array<{ name: string; unit?: string; samples: number[] }>;

const GLOB_CHARS = /[*?[\]{}]/;

function inlineSet(items: Array<{ name: string; unit?: string; samples: number[] }>, label: string): SampleSet {
  return {
    source: label,
    format: 'inline',
    benchmarks: items.map((item) => {
      const unit = item.unit ?? 'value';
      return { name: item.name, unit, direction: directionForUnit(unit), values: [...item.samples] };
    }),
    context: {},
    notes: [],
  };
}

/** How a source reads its files: the input-file gate's limits (config query.allowedInputPaths, query.maxInputMb) and cancellation. */
interface SourceLimits {
  allowedPaths: readonly string[];
  maxBytes: number;
  signal?: AbortSignal;
}

/** What is at `path` without opening it: a folder, something else (file, FIFO, device, dangling link), or nothing. */
async function entryKind(path: string): Promise<'folder' | 'other' | undefined> {
  try {
    return (await stat(path)).isDirectory() ? 'folder' : 'other';
  } catch {
    try {
      await lstat(path);
      return 'other';
    } catch {
      return undefined;
    }
  }
}

async function readSource(path: string, label: string, format: FormatId | 'auto', projectDir: string, limits: SourceLimits): Promise<SampleSet> {
  // Every file goes through the gate: regular files inside the project (or an allowed folder),
  // under the size cap; FIFOs, devices, /proc and links out of the project are refused unread.
  const text = await readInputFile(path, {
    projectDir,
    allowedPaths: limits.allowedPaths,
    maxBytes: limits.maxBytes,
    what: `benchmark input (${label})`,
    ...(limits.signal ? { signal: limits.signal } : {}),
  });
  const set = parseText(text, label, format);
  // A perfeng result.json says where it was measured; compare warns when the sides differ.
  if (text.startsWith('{') && text.includes('"environment"')) {
    try {
      const environment = asEnvironment((JSON.parse(text) as { environment?: unknown }).environment);
      if (environment) set.environment = environment;
    } catch {
      // not JSON after all: the parser already read what it could
    }
  }
  return set;
}

/** Several files of one side (a glob) become one set: samples of the same benchmark are pooled, as benchstat pools files. */
export function mergeSets(sets: SampleSet[], label: string): SampleSet {
  const first = defined(sets[0], 'the first file of a glob');
  if (sets.length === 1) return { ...first, source: label };
  const rows = new Map<string, Benchmark>();
  const notes: string[] = [];
  for (const set of sets) {
    for (const b of set.benchmarks) {
      const key = `${b.name}\u0000${b.unit}\u0000${b.percentileOf ?? ''}`;
      const existing = rows.get(key);
      if (!existing) rows.set(key, { ...b, values: b.values && [...b.values], histogram: b.histogram && [...b.histogram] });
      else if (existing.values && b.values) existing.values.push(...b.values);
      else if (existing.histogram && b.histogram) existing.histogram.push(...b.histogram);
      else notes.push(`${b.name}: summary-only results cannot be pooled across files; kept the first`);
    }
    notes.push(...set.notes);
  }
  const context: Record<string, string> = {};
  for (const set of sets) Object.assign(context, set.context);
  return { source: label, format: first.format, benchmarks: [...rows.values()], context, notes: [...new Set(notes)] };
}

/**
 * Resolves one side: inline samples, a file, a glob (files pooled), a `.perf/runs` id, a run
 * folder, `latest[:kind]` or `baseline:<name>` (its result.json). Whatever names something on
 * disk is refused at once when it is not a regular file inside the project (or an allowed
 * folder), with the path and the reason — never "not found".
 */
export async function loadSource(ref: SourceRef, projectDir: string, format: FormatId | 'auto', label: string, limits: SourceLimits): Promise<SampleSet> {
  if (Array.isArray(ref)) return inlineSet(ref, label);
  throwIfAborted(limits.signal);
  const trimmed = ref.trim();
  const path = resolve(projectDir, trimmed);
  const display = (p: string) => {
    const rel = relative(projectDir, p);
    return rel && !rel.startsWith('..') ? rel : p;
  };
  const kind = await entryKind(path);
  if (kind === 'other') return readSource(path, display(path), format, projectDir, limits);
  // benchfmt's "label=path": the label names the column.
  const labelled = kind ? null : /^([^=/\\]+)=(.+)$/.exec(trimmed);
  if (labelled) {
    const [, name = label, file = ''] = labelled;
    if ((await entryKind(resolve(projectDir, file))) === 'other') {
      const set = await readSource(resolve(projectDir, file), name, format, projectDir, limits);
      return { ...set, source: name };
    }
  }
  if (kind === 'folder' || /^latest(:[a-z0-9-]+)?$/.test(trimmed) || trimmed.startsWith('baseline:') || !GLOB_CHARS.test(trimmed)) {
    let run: Awaited<ReturnType<typeof resolveRun>>;
    try {
      run = await resolveRun(projectDir, trimmed);
    } catch (error) {
      // Refusals (".." in an id, a link out of the project) and latest/baseline errors say why themselves.
      if (!(error instanceof NoSuchRunError)) throw error;
      throw new UserError(
        `${label} "${trimmed}" is neither a file, a glob match nor a run in .perf/runs`,
        'pass a path relative to the project, a glob like "bench/*.txt", a run id, or "latest:load"',
      );
    }
    const result = join(run.dir, 'result.json');
    if (!(await entryKind(result))) throw new UserError(`run ${run.id} has no result.json`, 'pick a run written by run_load_test, or pass a file');
    const set = await readSource(result, `${run.id}/result.json`, format, projectDir, limits);
    if (!set.environment && run.environment) set.environment = run.environment;
    return set;
  }
  const files = (await fg(trimmed, { cwd: projectDir, absolute: true, onlyFiles: true, dot: false })).sort();
  if (!files.length)
    throw new UserError(`${label} glob "${trimmed}" matched no files in ${projectDir}`, 'check the pattern (it is relative to the project folder)');
  const sets = [];
  for (const file of files) {
    throwIfAborted(limits.signal);
    sets.push(await readSource(file, display(file), format, projectDir, limits));
  }
  return mergeSets(sets, `${trimmed} (${files.length} files)`);
}
