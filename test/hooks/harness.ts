import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Drives the *built* hook the way Claude Code does (hooks/hooks.json): `node
 * dist/hooks/hook.cjs <event>` with the payload on stdin, CLAUDE_PROJECT_DIR and
 * CLAUDE_PLUGIN_DATA in the environment. `perfeng hook <event>` (dist/cli.js) runs the same code.
 * Needs the build: `npx tsc -p tsconfig.json --noCheck && node scripts/bundle-hook.mjs`.
 */
export const HOOK_BUNDLE = resolve(import.meta.dirname, '../../dist/hooks/hook.cjs');
export const CLI = resolve(import.meta.dirname, '../../dist/cli.js');

export function assertBuilt(): void {
  for (const file of [HOOK_BUNDLE, resolve(import.meta.dirname, '../../dist/hooks/stop.js')]) {
    if (!existsSync(file)) {
      throw new Error(`${file} is missing: build first (npx tsc -p tsconfig.json --noCheck && node scripts/bundle-hook.mjs)`);
    }
  }
}

export interface HookRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  json: Record<string, any> | undefined;
}

export function runHookCli(event: string, stdin: string, env: Record<string, string | undefined>, via: 'bundle' | 'perfeng' = 'bundle'): Promise<HookRun> {
  return new Promise((resolvePromise, reject) => {
    const started = Date.now();
    const args = via === 'bundle' ? [HOOK_BUNDLE, event] : [CLI, 'hook', event];
    const child = spawn(process.execPath, args, {
      // Functional tests get a generous time budget: this 2-core machine is shared and git
      // can take seconds under load (20 s is the most PERFENG_HOOK_BUDGET_MS allows). The budget tests pass PERFENG_HOOK_BUDGET_MS: undefined.
      env: { ...process.env, CLAUDE_PROJECT_DIR: undefined, CLAUDE_PLUGIN_DATA: undefined, PERFENG_HOOK_BUDGET_MS: '20000', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      let json: Record<string, any> | undefined;
      if (stdout.trim()) json = JSON.parse(stdout);
      resolvePromise({ code, stdout, stderr, ms: Date.now() - started, json });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin);
  });
}

export const GIT_ENV = {
  GIT_AUTHOR_NAME: 'test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8' });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `perfeng-hooks-${prefix}-`));
}

/** A repository with one commit: a small source file and a .gitignore. */
export function makeRepo(): string {
  const dir = tempDir('repo');
  git(dir, 'init', '-q', '-b', 'main');
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'app.ts'), lines(20, 'const a'));
  writeFileSync(join(dir, '.gitignore'), 'node_modules/\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'init');
  return dir;
}

export function lines(count: number, prefix = 'line'): string {
  let text = '';
  for (let index = 0; index < count; index++) text += `${prefix} ${index}\n`;
  return text;
}

let counter = 0;
export function sessionId(): string {
  return `test-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

/** Real Claude Code 2.1 payload shapes (see src/hooks/payload.ts for the fields used). */
export const payloads = {
  postToolUse(session: string, cwd: string, toolName: string, filePath: string, extra: Record<string, unknown> = {}) {
    return JSON.stringify({
      session_id: session,
      transcript_path: `/root/.claude/projects/x/${session}.jsonl`,
      cwd,
      permission_mode: 'default',
      hook_event_name: 'PostToolUse',
      tool_name: toolName,
      tool_input:
        toolName === 'NotebookEdit' ? { notebook_path: filePath, new_source: 'x' } : { file_path: filePath, old_string: 'a', new_string: 'b', ...extra },
      tool_response: { filePath, success: true },
      tool_use_id: `toolu_${counter++}`,
    });
  },
  mcpTool(session: string, cwd: string, tool: string) {
    return JSON.stringify({
      session_id: session,
      transcript_path: '/t',
      cwd,
      hook_event_name: 'PostToolUse',
      tool_name: `mcp__plugin_performance-engineer_perfeng__${tool}`,
      tool_input: {},
      tool_response: {},
      tool_use_id: 'toolu_x',
    });
  },
  userPromptSubmit(session: string, cwd: string) {
    return JSON.stringify({
      session_id: session,
      transcript_path: '/t',
      cwd,
      permission_mode: 'default',
      hook_event_name: 'UserPromptSubmit',
      prompt: 'refactor the parser',
    });
  },
  stop(session: string, cwd: string, stopHookActive = false) {
    return JSON.stringify({
      session_id: session,
      transcript_path: '/t',
      cwd,
      permission_mode: 'default',
      hook_event_name: 'Stop',
      stop_hook_active: stopHookActive,
      last_assistant_message: 'Done.',
    });
  },
  subagentStop(session: string, cwd: string, agentType: string) {
    return JSON.stringify({
      session_id: session,
      transcript_path: '/t',
      cwd,
      hook_event_name: 'SubagentStop',
      stop_hook_active: false,
      agent_id: 'agent-1',
      agent_transcript_path: '/t2',
      agent_type: agentType,
      last_assistant_message: 'p95 went from 120 ms to 80 ms',
    });
  },
};

/** No stack trace may reach Claude: stderr holds at most one-line notes. */
export const STACK_TRACE = /\n\s+at .+\(.+:\d+:\d+\)|^\s+at /m;

/**
 * The same contract as runHookCli, but the handler runs inside the test process (no Node
 * start-up per call, which dominates this directory's run time on a loaded machine). Git
 * still runs for real. The CLI-level tests keep using runHookCli.
 */
export async function runHookInProcess(event: string, stdin: string, env: Record<string, string | undefined>): Promise<HookRun> {
  const { parseHookPayload } = await import('../../src/hooks/payload.js');
  const started = Date.now();
  const fullEnv: NodeJS.ProcessEnv = { ...process.env, CLAUDE_PROJECT_DIR: undefined, CLAUDE_PLUGIN_DATA: undefined, ...env };
  for (const key of Object.keys(fullEnv)) if (fullEnv[key] === undefined) delete fullEnv[key];
  const payload = parseHookPayload(stdin, event);
  if (!payload) return { code: 0, stdout: '', stderr: 'not a payload', ms: Date.now() - started, json: undefined };
  const modules = {
    PostToolUse: async () => (await import('../../src/hooks/post-tool-use.js')).onPostToolUse,
    UserPromptSubmit: async () => (await import('../../src/hooks/user-prompt-submit.js')).onUserPromptSubmit,
    Stop: async () => (await import('../../src/hooks/stop.js')).onStop,
    SubagentStop: async () => (await import('../../src/hooks/subagent-stop.js')).onSubagentStop,
  };
  const handler = await modules[payload.event]();
  // The CLI's budget when a test sets one; otherwise a wide one: on this shared 2-core machine
  // (load average above 15 while other suites run) git alone has taken more than 15 s, and a
  // git that runs out of time makes the Stop rule skip — a test of the rule's *content* must
  // not turn on the machine's load. The budget tests go through runHookCli.
  const budget = Number(fullEnv.PERFENG_HOOK_BUDGET_MS);
  const result = await handler(payload, { deadline: Date.now() + (Number.isFinite(budget) && budget > 0 ? budget : 60_000), env: fullEnv });
  const stdout = result.output ? `${JSON.stringify(result.output)}\n` : '';
  return { code: 0, stdout, stderr: result.notes.join('\n'), ms: Date.now() - started, json: result.output as Record<string, any> | undefined };
}
