import { copyFileSync, rmSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { runCommand } from '../common/spawn.js';
import { parseGeneratedAttr, parseNumstatZ, type NumstatEntry } from './diff-size.js';

/**
 * Snapshots of the working tree as git tree objects, so "the size of this change" covers
 * every way files change (Edit/Write, but also Bash, formatters, code generators) and
 * untracked files too. A snapshot stages everything into a *temporary* index (a copy of the
 * real one, so unchanged files are not re-hashed) and writes a tree: the user's index,
 * HEAD, stash and working tree are never touched; the only trace is unreferenced objects
 * that `git gc` prunes. Every git call shares one deadline and is killed (whole process
 * tree) when it runs out; a failure means "no measurement", never an error.
 */
export class GitBudgetError extends Error {}

export type GitRunner = (args: string[], options?: { env?: Record<string, string>; input?: string; maxBytes?: number }) => Promise<string>;

const MAX_OUTPUT = 8 * 1024 * 1024;
const GIT_MARGIN_MS = 250;

/** Runs git in `cwd` until `deadline` (Date.now() ms); rejects on failure or timeout. */
export function gitRunner(cwd: string, deadline: number): GitRunner {
  return async (args, options = {}) => {
    // Git stops a little before the hook's own watchdog so the handler can still record
    // "no measurement" (and not retry at every prompt) before the answer is due.
    const remaining = Math.floor(deadline - GIT_MARGIN_MS - Date.now());
    if (remaining <= 20) throw new GitBudgetError('time budget used up');
    const maxBytes = options.maxBytes ?? MAX_OUTPUT;
    const result = await runCommand('git', ['-c', 'core.quotepath=off', '-c', 'gc.auto=0', ...args], {
      cwd,
      env: {
        ...options.env,
        GIT_OPTIONAL_LOCKS: '0',
        GIT_TERMINAL_PROMPT: '0',
        LC_ALL: 'C',
      },
      timeoutMs: remaining,
      killGraceMs: 50,
      maxOutputBytes: maxBytes + 1,
    });
    if (result.timedOut) throw new GitBudgetError(`git ${args[0]} ran out of time`);
    if (result.exitCode !== 0) throw new Error(`git ${args[0]} failed: ${result.stderr.trim().split('\n')[0] ?? ''}`);
    if (result.stdout.length > maxBytes) throw new Error(`git ${args[0]} printed more than ${maxBytes} bytes`);
    return result.stdout;
  };
}

export interface RepoInfo {
  toplevel: string;
  indexPath: string;
}

export async function repoInfo(git: GitRunner, cwd: string): Promise<RepoInfo> {
  const lines = (await git(['rev-parse', '--show-toplevel', '--git-path', 'index'])).split('\n');
  const toplevel = lines[0]?.trim();
  const index = lines[1]?.trim();
  if (!toplevel || !index) throw new Error('not inside a git work tree');
  return { toplevel, indexPath: isAbsolute(index) ? index : join(cwd, index) };
}

/** Writes a tree object of the whole working tree (tracked + untracked, .gitignore applied). */
export async function snapshotTree(git: GitRunner, repo: RepoInfo, scratchIndex: string): Promise<string> {
  try {
    try {
      copyFileSync(repo.indexPath, scratchIndex);
    } catch {
      // no index yet (fresh repository): start from an empty one
    }
    const env = { GIT_INDEX_FILE: scratchIndex };
    await git(['-C', repo.toplevel, 'add', '--all', '--ignore-errors', '--', '.'], { env });
    const tree = (await git(['-C', repo.toplevel, 'write-tree'], { env })).trim();
    if (!/^[0-9a-f]{40,64}$/.test(tree)) throw new Error('git write-tree printed no tree id');
    return tree;
  } finally {
    rmSync(scratchIndex, { force: true });
    rmSync(`${scratchIndex}.lock`, { force: true });
  }
}

export interface TreeDiff {
  entries: NumstatEntry[];
  generated: Set<string>;
}

export async function diffTrees(git: GitRunner, repo: RepoInfo, from: string, to: string): Promise<TreeDiff> {
  const out = await git(['-C', repo.toplevel, 'diff-tree', '-r', '--numstat', '-z', '--no-renames', '--no-ext-diff', '--no-textconv', from, to]);
  const entries = parseNumstatZ(out);
  let generated = new Set<string>();
  if (entries.length > 0 && entries.length <= 5000) {
    // Generated files are marked in .gitattributes (GitHub Linguist's convention); asking
    // git about the changed paths only keeps this cheap.
    try {
      const attrs = await git(['-C', repo.toplevel, 'check-attr', '-z', 'linguist-generated', '--', ...entries.map((entry) => entry.path)]);
      generated = parseGeneratedAttr(attrs);
    } catch {
      // attributes are a refinement; without them every file counts
    }
  }
  return { entries, generated };
}
