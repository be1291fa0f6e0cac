import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REVIEW_TOOLS } from '../../src/hooks/review.js';
import { normaliseEventName } from '../../src/hooks/payload.js';
import { tempDir } from './harness.js';
import { lacking } from '../helpers/system.js';

/**
 * hooks/hooks.json as Claude Code sees it: the real `claude plugin validate` (2.1.x) must
 * pass with zero warnings, and the wiring must reach every event the rules handle.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const hooksJson = JSON.parse(readFileSync(join(ROOT, 'hooks', 'hooks.json'), 'utf8'));

function validate(target: string, cwd = ROOT): Promise<{ code: number; output: string }> {
  return new Promise((ok) =>
    execFile('claude', ['plugin', 'validate', target], { cwd, timeout: 60_000 }, (error, stdout, stderr) =>
      ok({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    ),
  );
}

/** A plugin folder with only the manifest and the given hooks.json, so validation covers the hooks. */
function pluginWith(hooks: string): string {
  const dir = tempDir('plugin');
  mkdirSync(join(dir, '.claude-plugin'));
  mkdirSync(join(dir, 'hooks'));
  copyFileSync(join(ROOT, '.claude-plugin', 'plugin.json'), join(dir, '.claude-plugin', 'plugin.json'));
  writeFileSync(join(dir, 'hooks', 'hooks.json'), hooks);
  return dir;
}

describe.skipIf(!!lacking(import.meta.url, 'claude'))('claude plugin validate', { concurrent: true }, () => {
  it.each([['.claude-plugin/plugin.json'], ['.']])('claude plugin validate %s passes without warnings', async (target) => {
    const result = await validate(target);
    expect(result.output).toMatch(/Validation passed/);
    expect(result.code).toBe(0);
    expect(result.output).not.toMatch(/warn|⚠/i);
  });

  it('validates our hooks.json in a plugin folder, and would catch a broken one', async () => {
    const good = await validate(pluginWith(readFileSync(join(ROOT, 'hooks', 'hooks.json'), 'utf8')));
    expect(good.code).toBe(0);
    expect(good.output).not.toMatch(/warn|⚠/i);
    const broken = structuredClone(hooksJson);
    broken.hooks.Stop[0].hooks[0].args = 'not-a-list';
    const bad = await validate(pluginWith(JSON.stringify(broken)));
    expect(bad.code).not.toBe(0);
    expect(bad.output).toMatch(/hooks\.Stop\.0\.hooks\.0\.args/);
  });
});

describe('hooks.json wiring', () => {
  const entries = Object.entries(hooksJson.hooks as Record<string, Array<{ matcher?: string; hooks: Array<Record<string, unknown>> }>>);

  it('runs the hook bundle in exec form (no shell) for each event, naming the event it is wired to', () => {
    expect(entries.map(([event]) => event).sort()).toEqual(['PostToolUse', 'Stop', 'SubagentStop', 'UserPromptSubmit']);
    for (const [event, groups] of entries) {
      for (const group of groups) {
        for (const hook of group.hooks) {
          expect(hook.type).toBe('command');
          expect(hook.command).toBe('node');
          const args = hook.args as string[];
          expect(args[0]).toBe('${CLAUDE_PLUGIN_ROOT}/dist/hooks/hook.cjs');
          expect(args).toHaveLength(2);
          expect(normaliseEventName(args[1])).toBe(event);
          expect(hook.timeout).toBeGreaterThanOrEqual(3);
        }
      }
    }
  });

  it('PostToolUse matchers cover the editing tools and every measuring tool', () => {
    const matchers = hooksJson.hooks.PostToolUse.map((group: { matcher: string }) => group.matcher) as string[];
    // Claude Code: a matcher of letters, digits, _ and | is an exact list; anything else is a regex.
    const matches = (name: string) =>
      matchers.some((matcher) => (/^[a-zA-Z0-9_|]+$/.test(matcher) ? matcher.split('|').includes(name) : new RegExp(matcher).test(name)));
    for (const tool of ['Edit', 'Write', 'MultiEdit', 'NotebookEdit']) expect(matches(tool)).toBe(true);
    for (const tool of REVIEW_TOOLS) {
      expect(matches(`mcp__plugin_performance-engineer_perfeng__${tool}`)).toBe(true);
      expect(matches(`mcp__perfeng__${tool}`)).toBe(true);
    }
    for (const tool of ['Read', 'Bash', 'Grep', 'mcp__other__run_load_test', 'Editor']) expect(matches(tool)).toBe(false);
  });
});
