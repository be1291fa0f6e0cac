import type { DiffFacts } from './decide.js';
import { measureChange } from './diff-size.js';
import { diffTrees, gitRunner, repoInfo, snapshotTree, type RepoInfo } from './git-snapshot.js';
import { matchesAnyGlob } from './glob.js';
import type { SessionState } from './session-state.js';
import type { HookSettings } from './settings.js';

/** Snapshot of the project's working tree as a git tree id (see git-snapshot.ts). */
export async function takeSnapshot(projectDir: string, state: SessionState, deadline: number, known?: RepoInfo) {
  const git = gitRunner(projectDir, deadline);
  // The baseline already knows where the repository is: one git process fewer at Stop.
  const repo = known ?? (await repoInfo(git, projectDir));
  const tree = await snapshotTree(git, repo, state.scratchPath('index'));
  return { git, repo, tree };
}

/** The change since the session's baseline, or why it could not be measured. */
export async function measureSinceBaseline(projectDir: string, state: SessionState, settings: HookSettings, deadline: number): Promise<DiffFacts> {
  const baseline = state.readBaseline();
  if (baseline && 'unavailable' in baseline) return { measured: false, reason: baseline.unavailable };
  try {
    const known = baseline?.toplevel && baseline.indexPath ? { toplevel: baseline.toplevel, indexPath: baseline.indexPath } : undefined;
    const { git, repo, tree } = await takeSnapshot(projectDir, state, deadline, known);
    if (!baseline) {
      // No prompt was seen (plugin enabled mid-session): this stop becomes the baseline.
      state.writeBaseline({ tree, toplevel: repo.toplevel, indexPath: repo.indexPath, at: Date.now() });
      return { measured: false, reason: 'no baseline yet; recorded one now' };
    }
    const diff = await diffTrees(git, repo, baseline.tree, tree);
    const excluded = (file: string) => settings.exclude.length > 0 && matchesAnyGlob(file, settings.exclude);
    const changedPaths = diff.entries
      .filter((entry) => !entry.binary && !excluded(entry.path) && !diff.generated.has(entry.path))
      .sort((a, b) => b.added + b.removed - (a.added + a.removed))
      .map((entry) => entry.path);
    return {
      measured: true,
      size: measureChange(diff.entries, excluded, diff.generated),
      since: 'session',
      trees: { from: baseline.tree, to: tree },
      changedPaths,
    };
  } catch (error) {
    return { measured: false, reason: (error as Error).message };
  }
}
