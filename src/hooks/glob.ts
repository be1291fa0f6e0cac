import picomatch from 'picomatch';

/**
 * Glob matching for `hooks.paths` globs and `hooks.exclude` (picomatch: the matcher behind
 * fast-glob and chokidar, bash-like `**` semantics). `dot: true` so `.perf/**` and files
 * in dot-folders match like any other; `nocase` because a `Benchmarks/` folder on a
 * case-insensitive disk is the same folder.
 */
const cache = new Map<string, (path: string) => boolean>();

export function matchesAnyGlob(relPath: string, globs: readonly string[]): boolean {
  const key = globs.join('\0');
  let matcher = cache.get(key);
  if (!matcher) {
    matcher = picomatch([...globs], { dot: true, nocase: true });
    cache.set(key, matcher);
  }
  return matcher(relPath);
}
