import type { DiffFacts } from './decide.js';
import { measureChange } from './diff-size.js';
import { diffTrees, gitRunner, repoInfo, snapshotTree } from './git-snapshot.js';
import { matchesAnyGlob } from './glob.js';
import type { SessionState } from './session-state.js';
import type { HookSettings } from './settings.js';

/** Snapshot of the project's working tree as a git tree id (see git-snapshot.ts). */
export async function takeSnapshot(projectDir: string, state: SessionState, deadline: number) {
  const git = gitRunner(projectDir, deadline);
  const repo = await repoInfo(git, projectDir);
  const tree = await snapshotTree(git, repo, state.scratchPath('index'));
  return { git, repo, tree };
}

/** The change since the session's baseline, or why it could not be measured. */
export async function measureSinceBaseline(projectDir: string, state: SessionState, settings: HookSettings, deadline: number): Promise<DiffFacts> {
  const baseline = state.readBaseline();
  if (baseline && 'unavailable' in baseline) return { measured: false, reason: baseline.unavailable };
  try {
    const { git, repo, tree } = await takeSnapshot(projectDir, state, deadline);
    if (!baseline) {
      // No prompt was seen (plugin enabled mid-session): this stop becomes the baseline.
      state.writeBaseline({ tree, toplevel: repo.toplevel, at: Date.now() });
      return { measured: false, reason: 'no baseline yet; recorded one now' };
    }
    const diff = await diffTrees(git, repo, baseline.tree, tree);
    const excluded = (file: string) => settings.exclude.length > 0 && matchesAnyGlob(file, settings.exclude);
    return { measured: true, size: measureChange(diff.entries, excluded, diff.generated), since: 'session' };
  } catch (error) {
    return { measured: false, reason: (error as Error).message };
  }
}
