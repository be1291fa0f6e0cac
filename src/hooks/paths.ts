import { path } from './builtins.js';

const { isAbsolute, relative, sep } = path;

/**
 * The path rule: is an edited file performance-sensitive? A file matches when one of the
 * *directories* on its path inside the project (at any depth, the file name itself excluded)
 * is named like an entry of `hooks.paths` — `bench/perf/x.ts` and `perf/x.ts` match,
 * `src/benchmarking.ts` and `docs/performance.md` do not. Entries holding glob characters
 * (`*?[{` or `/`) are globs over the project-relative path instead.
 */
export interface PathMatch {
  /** Project-relative path with `/` separators. */
  relPath: string;
  /** The configured entry that matched. */
  rule: string;
  /** Project-relative directory that matched (up to and including the matched segment), or the glob itself. */
  matchedDir: string;
}

export type PathVerdict =
  | { kind: 'match'; match: PathMatch }
  | { kind: 'no-match'; reason: 'not-absolute' | 'outside-project' | 'ignored-dir' | 'no-rule' | 'excluded' };

/** Directories whose content is never the user's own work, whatever the config says. */
const NEVER_DIRS = new Set(['node_modules', '.git']);

const GLOB_CHARS = /[*?[\]{}/]/;

export function isGlobEntry(entry: string): boolean {
  return GLOB_CHARS.test(entry);
}

/**
 * Project-relative form of an absolute path, with `/` separators, or undefined when the path
 * is not absolute or lies outside the project. A Windows path on POSIX (`C:\x`) is not
 * absolute here and is rejected rather than guessed at.
 */
export function projectRelative(filePath: string, projectDir: string): string | undefined {
  if (!isAbsolute(filePath) || !isAbsolute(projectDir)) return undefined;
  const rel = relative(projectDir, filePath);
  if (!rel || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return sep === '/' ? rel : rel.split(sep).join('/');
}

/**
 * Pure. `globMatch` is only called for glob entries and excludes, so the common case never
 * loads a glob library; it receives (relPath, globs) and says whether any glob matches.
 */
export function matchPerformancePath(
  filePath: string,
  projectDir: string,
  patterns: readonly string[],
  exclude: readonly string[],
  globMatch: (relPath: string, globs: readonly string[]) => boolean,
): PathVerdict {
  if (!isAbsolute(filePath)) return { kind: 'no-match', reason: 'not-absolute' };
  const relPath = projectRelative(filePath, projectDir);
  if (relPath === undefined) return { kind: 'no-match', reason: 'outside-project' };
  const segments = relPath.split('/');
  const dirs = segments.slice(0, -1);
  if (dirs.some((dir) => NEVER_DIRS.has(dir))) return { kind: 'no-match', reason: 'ignored-dir' };

  let match: PathMatch | undefined;
  const names = patterns.filter((entry) => !isGlobEntry(entry)).map((entry) => entry.toLowerCase());
  // The outermost matching directory names the trigger: edits anywhere below one
  // `benchmark/` folder are one trigger, not one per sub-folder.
  const rules = patterns.filter((entry) => !isGlobEntry(entry));
  for (const [index, dir] of dirs.entries()) {
    const rule = rules[names.indexOf(dir.toLowerCase())];
    if (rule !== undefined) {
      match = { relPath, rule, matchedDir: dirs.slice(0, index + 1).join('/') };
      break;
    }
  }
  if (!match) {
    for (const glob of patterns.filter(isGlobEntry)) {
      if (globMatch(relPath, [glob])) {
        match = { relPath, rule: glob, matchedDir: glob };
        break;
      }
    }
  }
  if (!match) return { kind: 'no-match', reason: 'no-rule' };
  if (exclude.length && globMatch(relPath, exclude)) return { kind: 'no-match', reason: 'excluded' };
  return { kind: 'match', match };
}
