import { closeSync, constants, fstatSync, openSync, readFileSync, readlinkSync, realpathSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { CancelledError, UserError } from './errors.js';

/**
 * The one gate for files a tool reads because a caller named them (query logs, benchmark
 * inputs, run artefacts, baselines): regular files only, inside the project or a folder listed
 * in config, under a size cap. Why: "/dev/stdin" is the MCP server's own JSON-RPC stream, a
 * FIFO blocks forever and ignores cancellation, "/dev/zero" never ends — each must be refused
 * before any read. The file is opened with O_NONBLOCK and checked through the same descriptor
 * it is read from, so a path swapped between the check and the read is not followed into a
 * device.
 */
export interface InputFileOptions {
  projectDir: string;
  /** Folders outside the project that may be read (query.allowedInputPaths). */
  allowedPaths?: readonly string[];
  maxBytes: number;
  /** What the file is, for messages ("query log"). */
  what: string;
  /** Cancels a long read (a large file on a slow disk). */
  signal?: AbortSignal;
}

const SPECIAL = /^\/(dev|proc|sys)(\/|$)/;

function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** The first link target on the way from `path` that lies in /dev, /proc or /sys (chased by hand, at most 40 hops). */
function specialHop(path: string): string | undefined {
  let current = path;
  for (let hop = 0; hop < 40; hop++) {
    let target: string;
    try {
      target = resolve(dirname(current), readlinkSync(current));
    } catch {
      return undefined;
    }
    if (SPECIAL.test(target)) return target;
    current = target;
  }
  return undefined;
}

/**
 * Where `path` really is, refused unless it lies inside the project or an allowed folder and
 * outside /dev, /proc and /sys. Used for files (readInputFile) and for run folders named by path.
 */
// Synchronous on purpose: realpath, readlink and an O_NONBLOCK open never wait on a FIFO or a
// device, and k6's open() and module loading are synchronous by contract.
export function confinedPathSync(path: string, options: Omit<InputFileOptions, 'maxBytes' | 'signal'>): string {
  const full = resolve(options.projectDir, path);
  if (SPECIAL.test(full))
    throw new UserError(`refusing to read the ${options.what} ${full}: devices, /proc and /sys are not input files`, 'give a regular file');
  let real: string;
  try {
    real = realpathSync(full);
  } catch (error) {
    // A link whose target cannot be resolved (/dev/stdin → /proc/self/fd/0 → "pipe:[…]") still names where it leads.
    const hop = specialHop(full);
    if (hop) throw new UserError(`refusing to read the ${options.what} ${full}: it leads to ${hop}, not a regular file`, 'give a regular file');
    throw new UserError(
      `cannot read the ${options.what} ${full} (${(error as NodeJS.ErrnoException).code})`,
      'check the path; relative paths are resolved from the project folder',
    );
  }
  if (SPECIAL.test(real)) throw new UserError(`refusing to read the ${options.what} ${full}: it leads to ${real}, not a regular file`, 'give a regular file');
  const roots = [options.projectDir, ...(options.allowedPaths ?? [])].map((p) => resolve(options.projectDir, p));
  const realRoots = roots.map((r) => {
    try {
      return realpathSync(r);
    } catch {
      return r;
    }
  });
  if (!realRoots.some((root) => inside(root, real))) {
    throw new UserError(
      `refusing to read the ${options.what} ${full}: it is outside the project folder${real !== full ? ` (it leads to ${real})` : ''}`,
      'move it into the project or list its folder in query.allowedInputPaths in .perf/config.json',
    );
  }
  return real;
}

export async function confinedPath(path: string, options: Omit<InputFileOptions, 'maxBytes' | 'signal'>): Promise<string> {
  return confinedPathSync(path, options);
}

/** What an opened descriptor must be before a byte is read: a regular file under the cap. */
function checkOpened(info: Stats, full: string, options: InputFileOptions): void {
  if (!info.isFile())
    throw new UserError(
      `refusing to read the ${options.what} ${full}: it is not a regular file (${info.isFIFO() ? 'a FIFO' : info.isDirectory() ? 'a folder' : 'a device or socket'})`,
      'give a regular file',
    );
  if (info.size > options.maxBytes)
    throw new UserError(
      `the ${options.what} ${full} is ${Math.round(info.size / 1e6)} MB`,
      `give at most ${Math.round(options.maxBytes / 1024 / 1024)} MiB (raise query.maxInputMb, or cut it with tail/head)`,
    );
}

/** readInputFile for synchronous callers (k6 scripts: their imports and open()); the same rules. */
export function readInputFileSync(path: string, options: Omit<InputFileOptions, 'signal'>): Buffer<ArrayBuffer> {
  const full = resolve(options.projectDir, path);
  const real = confinedPathSync(path, options);
  const fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  try {
    checkOpened(fstatSync(fd), full, options);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

export async function readInputFile(path: string, options: InputFileOptions): Promise<string> {
  if (options.signal?.aborted) throw new CancelledError();
  const full = resolve(options.projectDir, path);
  const real = await confinedPath(path, options);
  const handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  try {
    checkOpened(await handle.stat(), full, options);
    try {
      return await handle.readFile({ encoding: 'utf8', ...(options.signal ? { signal: options.signal } : {}) });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw new CancelledError();
      throw error;
    }
  } finally {
    await handle.close();
  }
}
