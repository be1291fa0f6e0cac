import { isAbsolute, join, relative, sep } from 'node:path';
import type { GitRunner, RepoInfo } from './git-snapshot.js';

/**
 * Where this session's change lies inside each file: the new-side line numbers of every hunk,
 * from one `git diff-tree -p -U0` between the session's baseline tree and the tree taken at
 * Stop. The Stop note uses them to find the SQL string or the route handler that changed
 * (first-call.ts). Only hunk headers are read: `@@ -a,b +c,d @@` means lines c … c+d−1 are new
 * (d = 0: lines were only removed, after line c), as git's unified diff format defines them.
 */
export interface ChangedFile {
  /** Project-relative path with `/` separators. */
  relPath: string;
  /** Absolute path of the file in the working tree. */
  absPath: string;
  /** New-side line numbers (1-based) that were added, or next to which lines were removed. */
  lines: number[];
}

const HUNK = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/;
/** At most this many changed lines are kept per file: enough to locate the change. */
const MAX_LINES_PER_FILE = 2000;

/** git quotes paths with unusual bytes as C strings ("a\tb"); those are decoded, the rest kept. */
function unquote(path: string): string {
  if (!path.startsWith('"')) return path;
  try {
    return JSON.parse(path) as string;
  } catch {
    return path.slice(1, -1);
  }
}

/** Pure: `git diff -p -U0` output → changed new-side lines per path (toplevel-relative). */
export function parseZeroContextPatch(patch: string): Map<string, number[]> {
  const files = new Map<string, number[]>();
  let current: number[] | undefined;
  for (const line of patch.split('\n')) {
    if (line.startsWith('+++ ')) {
      const target = line.slice(4);
      if (target === '/dev/null') current = undefined;
      else {
        const path = unquote(target).replace(/^b\//, '');
        current = files.get(path) ?? [];
        files.set(path, current);
      }
      continue;
    }
    const hunk = HUNK.exec(line);
    if (!hunk || !current) continue;
    const start = Number(hunk[1]);
    const count = hunk[2] === undefined ? 1 : Number(hunk[2]);
    if (count === 0) current.push(Math.max(1, start));
    for (let offset = 0; offset < count && current.length < MAX_LINES_PER_FILE; offset++) current.push(start + offset);
  }
  return files;
}

/** A toplevel-relative git path → project-relative, or undefined when outside the project. */
function toProjectPath(gitPath: string, repo: RepoInfo, projectDir: string): string | undefined {
  const absolute = join(repo.toplevel, gitPath);
  const rel = relative(projectDir, absolute);
  if (!rel || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  return sep === '/' ? rel : rel.split(sep).join('/');
}

/**
 * The changed lines of `paths` (toplevel-relative, as `git diff-tree` printed them) between two
 * trees. Runs one git process under the hook's shared deadline; the caller treats a failure as
 * "no line information".
 */
export async function changedLines(
  git: GitRunner,
  repo: RepoInfo,
  projectDir: string,
  from: string,
  to: string,
  paths: readonly string[],
): Promise<ChangedFile[]> {
  if (!paths.length) return [];
  const patch = await git(
    ['-C', repo.toplevel, 'diff-tree', '-r', '-p', '-U0', '--no-color', '--no-renames', '--no-ext-diff', '--no-textconv', from, to, '--', ...paths],
    { maxBytes: 4 * 1024 * 1024 },
  );
  const files: ChangedFile[] = [];
  for (const [gitPath, lines] of parseZeroContextPatch(patch)) {
    const relPath = toProjectPath(gitPath, repo, projectDir);
    if (relPath !== undefined) files.push({ relPath, absPath: join(repo.toplevel, gitPath), lines });
  }
  // Keep the caller's order (largest change first).
  const order = new Map(paths.map((path, index) => [path, index]));
  const rank = (file: ChangedFile) => order.get(relative(repo.toplevel, file.absPath).split(sep).join('/')) ?? paths.length;
  return files.sort((a, b) => rank(a) - rank(b));
}
