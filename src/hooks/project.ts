import { path } from './builtins.js';

/** Claude Code sets CLAUDE_PROJECT_DIR for hooks; `cwd` may be a sub-folder Claude cd'ed into. */
export function projectDirOf(payload: { cwd: string }, env: NodeJS.ProcessEnv): string {
  const fromEnv = env.CLAUDE_PROJECT_DIR;
  return fromEnv && path.isAbsolute(fromEnv) ? fromEnv : payload.cwd;
}
