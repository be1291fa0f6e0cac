import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { STACK_TRACE, assertBuilt, git, lines, makeRepo, payloads, runHookCli, sessionId, tempDir, type HookRun } from './harness.js';

/**
 * hooks.mode end to end, as Claude Code runs the hook: the built bundle, Claude Code–shaped
 * payloads on stdin, a real git repository. The session changes a handler's SQL string and
 * grows past hooks.diffLines, so every speaking mode must name the agent as Claude Code knows
 * it, say it can run in the background, and give the first call (analyze_query on that SQL).
 */
beforeAll(() => assertBuilt());

const SERVER = (where: string) =>
  [
    "import express from 'express';",
    'const app = express();',
    "app.get('/orders', async (req, res) => {",
    `  res.json(await db.all('SELECT id, total FROM orders WHERE ${where} ORDER BY id'));`,
    '});',
    'app.listen(3000);',
    '',
  ].join('\n');

async function session(mode: string | undefined) {
  const repo = makeRepo();
  writeFileSync(join(repo, 'src', 'server.ts'), SERVER('status = 1'));
  if (mode) {
    mkdirSync(join(repo, '.perf'));
    writeFileSync(join(repo, '.perf', 'config.json'), JSON.stringify({ hooks: { mode } }));
  }
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'app');
  const env = { CLAUDE_PROJECT_DIR: repo, CLAUDE_PLUGIN_DATA: tempDir('data') };
  const id = sessionId();
  const prompt = await runHookCli('user-prompt-submit', payloads.userPromptSubmit(id, repo), env);
  expectExit0(prompt);
  expect(prompt.stdout).toBe('');
  // The session's work: the query changes and the change grows past 300 lines.
  writeFileSync(join(repo, 'src', 'server.ts'), SERVER('customer_id = ? AND status = 1'));
  writeFileSync(join(repo, 'src', 'feature.ts'), lines(320));
  return { repo, env, id };
}

function expectExit0(run: HookRun) {
  expect(run.code).toBe(0);
  expect(run.stderr).not.toMatch(STACK_TRACE);
}

const FIRST_CALL = 'analyze_query {"sql":"SELECT id, total FROM orders WHERE customer_id = ? AND status = 1 ORDER BY id"';

function expectFullNote(text: string) {
  expect(text).toContain('322 lines');
  expect(text).toContain('"performance-engineer:performance-engineer"');
  expect(text).toContain('run_in_background: true');
  expect(text).toContain(FIRST_CALL);
  expect(text).toContain('src/server.ts:4');
}

describe('hooks.mode', { concurrent: true, timeout: 150_000 }, () => {
  it('suggest (the default): a Stop note for the model (Claude Code continues the turn), once', async () => {
    const { repo, env, id } = await session(undefined);
    const stop = await runHookCli('stop', payloads.stop(id, repo), env);
    expectExit0(stop);
    expect(stop.json?.decision).toBeUndefined();
    expect(stop.json?.hookSpecificOutput?.hookEventName).toBe('Stop');
    expect(typeof stop.json?.systemMessage).toBe('string');
    const context: string = stop.json?.hookSpecificOutput?.additionalContext;
    expectFullNote(context);
    expect(context).toContain('hooks.mode "suggest"');
    const again = await runHookCli('stop', payloads.stop(id, repo), env);
    expectExit0(again);
    expect(again.stdout).toBe('');
    // suggest leaves nothing for the next prompt
    expect((await runHookCli('user-prompt-submit', payloads.userPromptSubmit(id, repo), env)).stdout).toBe('');
  });

  it('notify: the user gets a systemMessage, the model is not made to continue, and hears the facts at the next prompt, once', async () => {
    const { repo, env, id } = await session('notify');
    const stop = await runHookCli('stop', payloads.stop(id, repo), env);
    expectExit0(stop);
    expect(Object.keys(stop.json ?? {})).toEqual(['systemMessage']);
    const message: string = stop.json?.systemMessage;
    expect(message).toContain('322 lines changed');
    expect(message).toContain('performance-engineer agent');
    expect(message).toContain('analyze_query');
    expect(message.length).toBeLessThan(500);
    expect((await runHookCli('stop', payloads.stop(id, repo), env)).stdout).toBe('');

    const next = await runHookCli('user-prompt-submit', payloads.userPromptSubmit(id, repo), env);
    expectExit0(next);
    expect(next.json?.hookSpecificOutput?.hookEventName).toBe('UserPromptSubmit');
    const context: string = next.json?.hookSpecificOutput?.additionalContext;
    expectFullNote(context);
    expect(context).toContain('hooks.mode "notify"');
    const later = await runHookCli('user-prompt-submit', payloads.userPromptSubmit(id, repo), env);
    expectExit0(later);
    expect(later.stdout).toBe('');
  });

  it('notify: a review that ran before the next prompt makes the pending facts stale', async () => {
    const { repo, env, id } = await session('notify');
    expect((await runHookCli('stop', payloads.stop(id, repo), env)).json?.systemMessage).toBeDefined();
    expectExit0(await runHookCli('subagent-stop', payloads.subagentStop(id, repo, 'performance-engineer:performance-engineer'), env));
    const next = await runHookCli('user-prompt-submit', payloads.userPromptSubmit(id, repo), env);
    expectExit0(next);
    expect(next.stdout).toBe('');
  });

  it('require: the stop is blocked once with the facts as the reason; never when stop_hook_active', async () => {
    const { repo, env, id } = await session('require');
    const active = await runHookCli('stop', payloads.stop(id, repo, true), env);
    expectExit0(active);
    expect(active.stdout).toBe('');
    const stop = await runHookCli('stop', payloads.stop(id, repo), env);
    expectExit0(stop);
    expect(stop.json?.decision).toBe('block');
    expectFullNote(stop.json?.reason);
    expect(stop.json?.reason).toContain('"require"');
    expect((await runHookCli('stop', payloads.stop(id, repo), env)).stdout).toBe('');
  });

  it('off: silent at every event', async () => {
    const { repo, env, id } = await session('off');
    for (const run of [
      await runHookCli('post-tool-use', payloads.postToolUse(id, repo, 'Write', join(repo, 'benchmark', 'a.bench.ts')), env),
      await runHookCli('stop', payloads.stop(id, repo), env),
      await runHookCli('user-prompt-submit', payloads.userPromptSubmit(id, repo), env),
    ]) {
      expectExit0(run);
      expect(run.stdout).toBe('');
    }
  });

  it('a k6 script edited in the session: the Stop note names the script call (or how to translate it)', async () => {
    const { repo, env, id } = await session(undefined);
    mkdirSync(join(repo, 'load-test'));
    const script = join(repo, 'load-test', 'api.js');
    const content =
      "import http from 'k6/http';\nexport const options = { vus: 10, duration: '30s' };\nexport default () => http.get('http://127.0.0.1:3000/orders');\n";
    writeFileSync(script, content);
    expectExit0(await runHookCli('post-tool-use', payloads.postToolUse(id, repo, 'Write', script, { content }), env));
    const stop = await runHookCli('stop', payloads.stop(id, repo), env);
    const context: string = stop.json?.hookSpecificOutput?.additionalContext;
    expect(context).toContain('load-test/: load-test/api.js');
    expect(context).toMatch(/run_load_test \{"script":"load-test\/api\.js"\}|\{"script": "load-test\/api\.js"\} yet/);
  });
});
