import { readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import fg from 'fast-glob';
import { UserError } from '../common/errors.js';
import { asEnvironment } from '../store/environment.js';
import { resolveRun } from '../store/runs.js';
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

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function readSource(path: string, label: string, format: FormatId | 'auto'): Promise<SampleSet> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read ${label} (${(error as NodeJS.ErrnoException).code})`, 'check the path and its permissions');
  }
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
  if (sets.length === 1) return { ...sets[0]!, source: label };
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
  const formats = new Set(sets.map((s) => s.format));
  const context: Record<string, string> = {};
  for (const set of sets) Object.assign(context, set.context);
  return { source: label, format: formats.size === 1 ? sets[0]!.format : sets[0]!.format, benchmarks: [...rows.values()], context, notes: [...new Set(notes)] };
}

/**
 * Resolves one side: inline samples, a file, a glob (files pooled), a `.perf/runs` id or
 * `latest[:kind]` (its result.json).
 */
export async function loadSource(ref: SourceRef, projectDir: string, format: FormatId | 'auto', label: string): Promise<SampleSet> {
  if (Array.isArray(ref)) return inlineSet(ref, label);
  const trimmed = ref.trim();
  const path = resolve(projectDir, trimmed);
  const display = (p: string) => {
    const rel = relative(projectDir, p);
    return rel && !rel.startsWith('..') ? rel : p;
  };
  if (await isFile(path)) return readSource(path, display(path), format);
  // benchfmt's "label=path": the label names the column.
  const labelled = /^([^=/\\]+)=(.+)$/.exec(trimmed);
  if (labelled && (await isFile(resolve(projectDir, labelled[2]!)))) {
    const set = await readSource(resolve(projectDir, labelled[2]!), labelled[1]!, format);
    return { ...set, source: labelled[1]! };
  }
  if (/^latest(:[a-z0-9-]+)?$/.test(trimmed) || trimmed.startsWith('baseline:') || !GLOB_CHARS.test(trimmed)) {
    let run: Awaited<ReturnType<typeof resolveRun>>;
    try {
      run = await resolveRun(projectDir, trimmed);
    } catch (error) {
      if (/^(latest|baseline:)/.test(trimmed)) throw error;
      throw new UserError(
        `${label} "${trimmed}" is neither a file, a glob match nor a run in .perf/runs`,
        'pass a path relative to the project, a glob like "bench/*.txt", a run id, or "latest:load"',
      );
    }
    const result = join(run.dir, 'result.json');
    if (!(await isFile(result))) throw new UserError(`run ${run.id} has no result.json`, 'pick a run written by run_load_test, or pass a file');
    const set = await readSource(result, `${run.id}/result.json`, format);
    if (!set.environment && run.environment) set.environment = run.environment;
    return set;
  }
  const files = (await fg(trimmed, { cwd: projectDir, absolute: true, onlyFiles: true, dot: false })).sort();
  if (!files.length)
    throw new UserError(`${label} glob "${trimmed}" matched no files in ${projectDir}`, 'check the pattern (it is relative to the project folder)');
  const sets = [];
  for (const file of files) sets.push(await readSource(file, display(file), format));
  return mergeSets(sets, `${trimmed} (${files.length} files)`);
}
