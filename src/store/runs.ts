import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import { UserError } from '../common/errors.js';
import { confinedPath, readInputFile } from '../common/input-files.js';
import { slugify } from '../common/units.js';
import { readBaseline } from './baselines.js';
import { captureEnvironment, type RunEnvironment } from './environment.js';

/** What produced a run; the kind is part of the id so `latest:<kind>` can find it. */
export type RunKind = 'load' | 'profile' | 'query' | 'compare' | 'demo' | 'vitals' | (string & {});

export interface RunMeta {
  id: string;
  kind: RunKind;
  title: string;
  createdAt: string;
  /** Where the run was measured (absent in runs written before it was recorded). */
  environment?: RunEnvironment;
}

export interface RunHandle extends RunMeta {
  dir: string;
  /** Absolute path of a file in the run folder (no I/O). */
  path(name: string): string;
  /** Writes a new file atomically; refuses to overwrite. Returns its absolute path. */
  writeFile(name: string, data: string | Uint8Array): Promise<string>;
  writeJson(name: string, value: unknown): Promise<string>;
  /** Writes `result.json`, the one envelope every tool's run has (see ResultEnvelope). Returns its path. */
  writeResult(envelope: ResultEnvelopeInput): Promise<string>;
}

/** Version of the result.json envelope; a reader that meets a higher one knows the shape changed. */
export const RESULT_VERSION = 1;

/**
 * What a run's result.json holds, the same for every tool: which tool wrote it, the input it ran
 * with, what it found (the tool's full result, not the size-limited one an agent reads), its
 * verdict, whether it was cancelled part-way (the numbers then cover the part that ran), then
 * raw extras a tool keeps for later readers (load histograms, per-run vitals…), and where it ran.
 */
export interface ResultEnvelope {
  tool: string;
  version: number;
  input: unknown;
  result: unknown;
  verdict?: { verdict: string; failed: boolean };
  aborted: boolean;
  environment?: RunEnvironment;
  [extra: string]: unknown;
}

export interface ResultEnvelopeInput {
  tool: string;
  input: unknown;
  result: unknown;
  verdict?: { verdict: string; failed: boolean };
  aborted?: boolean;
  /** Raw data beside the result (histograms, per-run lists…): top-level keys of the envelope. */
  extras?: Record<string, unknown>;
}

export function runsDir(projectDir: string): string {
  return join(projectDir, '.perf', 'runs');
}

function timestampId(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}-` +
    `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`
  );
}

function storeError(error: unknown, path: string): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new UserError(`cannot write to ${path} (${code})`, 'make the .perf folder writable, or run from a project folder you own');
  }
  if (code === 'ENOSPC') return new UserError(`no space left to write ${path}`, 'free disk space and run again');
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * Writes `data` to `path` only if nothing is there: a temporary file, then a hard link
 * (which, unlike rename, fails when the target exists), then the temporary is removed.
 * Readers never see a half-written file and concurrent writers never clobber each other.
 */
export async function writeFileAtomicNoOverwrite(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(temporary, data, { flag: 'wx' });
    await link(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new UserError(`refusing to overwrite ${path}`, 'run artefacts are never replaced; write under a new name');
    }
    throw storeError(error, path);
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

/** Creates `.perf/runs/<YYYYMMDD-HHMMSS>-<kind>-<slug>[-N]/`, unique even under concurrency. */
export async function createRun(
  projectDir: string,
  kind: RunKind,
  title: string,
  now: Date = new Date(),
  options: { environment?: RunEnvironment } = {},
): Promise<RunHandle> {
  // Captured before the work's own load shows in the load average (git calls are ~10 ms).
  const environment = options.environment ?? (await captureEnvironment(projectDir));
  const base = `${timestampId(now)}-${slugify(kind, 12)}-${slugify(title)}`;
  const parent = runsDir(projectDir);
  try {
    await mkdir(parent, { recursive: true });
  } catch (error) {
    throw storeError(error, parent);
  }
  for (let attempt = 1; attempt < 10_000; attempt++) {
    const id = attempt === 1 ? base : `${base}-${attempt}`;
    const dir = join(parent, id);
    try {
      await mkdir(dir); // not recursive: EEXIST tells us another writer owns this id
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw storeError(error, dir);
    }
    const meta: RunMeta = { id, kind, title, createdAt: now.toISOString(), environment };
    const handle = makeHandle(dir, meta);
    await handle.writeJson('meta.json', meta);
    return handle;
  }
  throw new Error(`could not allocate a run id under ${parent}`);
}

function makeHandle(dir: string, meta: RunMeta): RunHandle {
  const path = (name: string) => {
    if (name.includes('..') || isAbsolute(name)) throw new Error(`invalid artefact name ${name}`);
    return join(dir, name);
  };
  const handle: RunHandle = {
    ...meta,
    dir,
    path,
    async writeFile(name, data) {
      const target = path(name);
      await writeFileAtomicNoOverwrite(target, data);
      return target;
    },
    async writeJson(name, value) {
      const target = path(name);
      // Every tool's result.json carries the environment too, so a result file copied out of
      // .perf/ still says where it was measured; one place instead of one per tool.
      const withEnvironment =
        name === 'result.json' && meta.environment && value && typeof value === 'object' && !Array.isArray(value) && !('environment' in value)
          ? { ...value, environment: meta.environment }
          : value;
      await writeFileAtomicNoOverwrite(target, `${JSON.stringify(withEnvironment, null, 2)}\n`);
      return target;
    },
    async writeResult({ tool, input, result, verdict, aborted = false, extras = {} }) {
      const envelope: ResultEnvelope = { tool, version: RESULT_VERSION, input, result, ...(verdict ? { verdict } : {}), aborted, ...extras };
      return handle.writeJson('result.json', envelope);
    },
  };
  return handle;
}

export interface StoredRun extends RunMeta {
  dir: string;
}

/** meta.json is small; anything else there (a link to /dev/stdin, a FIFO) is not ours. */
const META_MAX_BYTES = 1024 * 1024;

async function readMeta(projectDir: string, dir: string, id: string): Promise<StoredRun | undefined> {
  try {
    const text = await readInputFile(join(dir, 'meta.json'), { projectDir, maxBytes: META_MAX_BYTES, what: 'run metadata' });
    const meta = JSON.parse(text) as RunMeta;
    return { ...meta, id, dir };
  } catch {
    // A folder without meta.json is not ours (or was being created): infer from the id.
    const match = /^\d{8}-\d{6}-([a-z0-9]+)-/.exec(id);
    if (!match) return undefined;
    return { id, kind: match[1] ?? '', title: id, createdAt: '', dir };
  }
}

/** Runs in creation order (oldest first), optionally of one kind. */
export async function listRuns(projectDir: string, kind?: RunKind): Promise<StoredRun[]> {
  const parent = runsDir(projectDir);
  let ids: string[];
  try {
    ids = (await readdir(parent, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
  const runs = (await Promise.all(ids.map((id) => readMeta(projectDir, join(parent, id), id)))).filter(
    (run): run is StoredRun => run !== undefined && (!kind || run.kind === kind),
  );
  return runs.sort((a, b) => (a.createdAt === b.createdAt ? a.id.localeCompare(b.id) : a.createdAt.localeCompare(b.createdAt)));
}

/** The reference is well-formed and allowed, but names no stored run (callers may try other readings of it). */
export class NoSuchRunError extends UserError {}

/** What `createRun` makes (timestamp-kind-slug), and what a person may name a run folder: no separators, no "..". */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

const RUN_REF_HINT = 'use an id from `.perf/runs/`, `latest`, `latest:<kind>` or `baseline:<name>`';

/**
 * A run reference that names a folder: a bare id (looked up in `.perf/runs/`) or a path to a run
 * folder inside the project. Refused at once: ".." segments, and anything that leads outside
 * the project (a link out of it, /proc, /dev).
 */
async function runFolderCandidates(projectDir: string, ref: string): Promise<string[]> {
  if (ref.split(/[\\/]/).includes('..')) throw new UserError(`run id "${ref}" is not valid: ".." is not allowed in a run id`, RUN_REF_HINT);
  if (RUN_ID.test(ref)) return [join(runsDir(projectDir), ref), join(projectDir, ref)];
  if (!/[\\/]/.test(ref) || /[\0\n]/.test(ref)) throw new UserError(`run id "${ref}" is not valid: use letters, digits, ".", "_" and "-"`, RUN_REF_HINT);
  // A path: only a folder inside the project (e.g. .perf/runs/<id>); confinedPath names why not.
  return [await confinedPath(ref, { projectDir, what: 'run folder' })];
}

/** Resolves a run id, `latest`, `latest:<kind>`, `baseline:<name>`, or a path to a run folder inside the project. */
export async function resolveRun(projectDir: string, ref: string): Promise<StoredRun> {
  const named = /^baseline:(.+)$/.exec(ref);
  if (named) {
    const baseline = await readBaseline(projectDir, named[1] ?? '');
    if (typeof baseline.runId !== 'string' || !RUN_ID.test(baseline.runId)) {
      throw new UserError(
        `baseline "${baseline.name}" points at "${String(baseline.runId)}", which is not a run id`,
        'save the baseline again from a stored run: perfeng baseline save NAME [RUN]',
      );
    }
    const run = await findRun(projectDir, [join(runsDir(projectDir), baseline.runId)]);
    if (!run) {
      throw new UserError(
        `baseline "${baseline.name}" points at run ${baseline.runId}, which is gone from ${runsDir(projectDir)}`,
        'save the baseline again from a stored run',
      );
    }
    return run;
  }
  const latest = /^latest(?::([a-z0-9-]+))?$/.exec(ref);
  if (latest) {
    const runs = await listRuns(projectDir, latest[1]);
    const run = runs.at(-1);
    if (!run) {
      throw new UserError(
        `no ${latest[1] ? `"${latest[1]}" ` : ''}runs in ${runsDir(projectDir)}`,
        'run a tool first, or pass a file path instead of a run id',
      );
    }
    return run;
  }
  const run = await findRun(projectDir, await runFolderCandidates(projectDir, ref));
  if (run) return run;
  throw new NoSuchRunError(`no run "${ref}" in ${runsDir(projectDir)}`, RUN_REF_HINT);
}

async function findRun(projectDir: string, candidates: string[]): Promise<StoredRun | undefined> {
  for (const dir of candidates) {
    let isFolder: boolean;
    try {
      isFolder = (await stat(dir)).isDirectory();
    } catch {
      continue;
    }
    // stat, not readdir: a FIFO or device named like a run is refused, never opened.
    if (!isFolder) throw new UserError(`refusing to read the run folder ${dir}: it is not a folder`, RUN_REF_HINT);
    // A link in .perf/runs/ leading out of the project is not a run of this project.
    await confinedPath(dir, { projectDir, what: 'run folder' });
    const run = await readMeta(projectDir, dir, basename(dir));
    if (run) return run;
  }
  return undefined;
}
