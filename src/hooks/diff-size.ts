/**
 * The diff-size rule, pure: `git diff-tree --numstat -z` output between two working-tree
 * snapshots → lines added + removed, leaving out binary files (git prints `-` for them: a NUL
 * byte in the first 8000 bytes or a `-diff`/`binary` attribute), excluded globs (lock files,
 * build output, generated files) and files marked `linguist-generated` in .gitattributes.
 */
export interface NumstatEntry {
  path: string;
  added: number;
  removed: number;
  binary: boolean;
}

export interface ChangeSize {
  lines: number;
  added: number;
  removed: number;
  files: number;
  /** Largest counted files first, at most 5. */
  largest: Array<{ path: string; lines: number }>;
  /** How many changed files were left out, by reason. */
  skipped: { binary: number; excluded: number; generated: number };
}

/** Parses `--numstat -z` (no renames): `added\tremoved\tpath\0` per file. */
export function parseNumstatZ(output: string): NumstatEntry[] {
  const entries: NumstatEntry[] = [];
  for (const record of output.split('\0')) {
    if (!record) continue;
    const first = record.indexOf('\t');
    const second = record.indexOf('\t', first + 1);
    if (first < 0 || second < 0) continue;
    const added = record.slice(0, first);
    const removed = record.slice(first + 1, second);
    const path = record.slice(second + 1).replace(/^\n+/, '');
    const binary = added === '-' || removed === '-';
    entries.push({ path, added: binary ? 0 : Number(added) || 0, removed: binary ? 0 : Number(removed) || 0, binary });
  }
  return entries;
}

export function measureChange(entries: readonly NumstatEntry[], isExcluded: (path: string) => boolean, generated: ReadonlySet<string> = new Set()): ChangeSize {
  const size: ChangeSize = { lines: 0, added: 0, removed: 0, files: 0, largest: [], skipped: { binary: 0, excluded: 0, generated: 0 } };
  const counted: Array<{ path: string; lines: number }> = [];
  for (const entry of entries) {
    if (isExcluded(entry.path)) size.skipped.excluded++;
    else if (generated.has(entry.path)) size.skipped.generated++;
    else if (entry.binary) size.skipped.binary++;
    else {
      size.added += entry.added;
      size.removed += entry.removed;
      size.files++;
      counted.push({ path: entry.path, lines: entry.added + entry.removed });
    }
  }
  size.lines = size.added + size.removed;
  size.largest = counted.sort((a, b) => b.lines - a.lines || a.path.localeCompare(b.path)).slice(0, 5);
  return size;
}

/** Parses `git check-attr -z linguist-generated` output: `path\0attr\0value\0` triples. */
export function parseGeneratedAttr(output: string): Set<string> {
  const parts = output.split('\0');
  const generated = new Set<string>();
  for (let index = 0; index + 2 < parts.length; index += 3) {
    const value = parts[index + 2];
    const path = parts[index];
    if (path && (value === 'set' || value === 'true')) generated.add(path);
  }
  return generated;
}
