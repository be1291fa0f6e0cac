import { open, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { UserError } from './errors.js';

/**
 * The one gate for files a tool reads because a caller named them (query logs, benchmark
 * inputs): regular files only, inside the project or a folder listed in config, under a size
 * cap. Why: "/dev/stdin" is the MCP server's own JSON-RPC stream, a FIFO blocks forever and
 * ignores cancellation, "/dev/zero" never ends — each must be refused before any read. The
 * file is opened with O_NONBLOCK and checked through the same descriptor it is read from, so a
 * path swapped between the check and the read is not followed into a device.
 */
export interface InputFileOptions {
  projectDir: string;
  /** Folders outside the project that may be read (query.allowedInputPaths). */
  allowedPaths?: readonly string[];
  maxBytes: number;
  /** What the file is, for messages ("query log"). */
  what: string;
}

function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export async function readInputFile(path: string, options: InputFileOptions): Promise<string> {
  const full = resolve(options.projectDir, path);
  if (/^\/(dev|proc|sys)(\/|$)/.test(full))
    throw new UserError(`refusing to read the ${options.what} ${full}: devices, /proc and /sys are not input files`, 'give a regular file');
  let real: string;
  try {
    real = await realpath(full);
  } catch (error) {
    throw new UserError(
      `cannot read the ${options.what} ${full} (${(error as NodeJS.ErrnoException).code})`,
      'check the path; relative paths are resolved from the project folder',
    );
  }
  if (/^\/(dev|proc|sys)(\/|$)/.test(real))
    throw new UserError(`refusing to read the ${options.what} ${full}: it leads to ${real}, not a regular file`, 'give a regular file');
  const roots = [options.projectDir, ...(options.allowedPaths ?? [])].map((p) => resolve(options.projectDir, p));
  const realRoots = await Promise.all(roots.map((r) => realpath(r).catch(() => r)));
  if (!realRoots.some((root) => inside(root, real))) {
    throw new UserError(
      `refusing to read the ${options.what} ${full}: it is outside the project folder`,
      'move it into the project or list its folder in query.allowedInputPaths in .perf/config.json',
    );
  }
  const { constants } = await import('node:fs');
  const handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  try {
    const info = await handle.stat();
    if (!info.isFile())
      throw new UserError(`refusing to read the ${options.what} ${full}: it is not a regular file (a device, FIFO or socket)`, 'give a regular file');
    if (info.size > options.maxBytes)
      throw new UserError(
        `the ${options.what} ${full} is ${Math.round(info.size / 1e6)} MB`,
        `give at most ${Math.round(options.maxBytes / 1024 / 1024)} MiB (raise query.maxInputMb, or cut it with tail/head)`,
      );
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
