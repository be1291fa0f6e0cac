import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/mcp-client.js';

/**
 * Every tool, tool argument value and slash command the agent prompt names exists: the tools in
 * the build's tools/list answer (dist/bundle/tools-list.json, what the server serves), the slash
 * commands as files in commands/. A renamed tool or command must fail here, not in a session.
 */
const prompt = readFileSync(join(REPO_ROOT, 'agents', 'performance-engineer.md'), 'utf8');
const body = prompt.slice(prompt.indexOf('\n---\n', 4) + 5);
const list = JSON.parse(readFileSync(join(REPO_ROOT, 'dist', 'bundle', 'tools-list.json'), 'utf8')) as {
  tools: Array<{ name: string; inputSchema: { properties: Record<string, { enum?: string[] }> } }>;
};
const registered = list.tools.map((tool) => tool.name);
const KNOWN_TOOL =
  /\b(run_load_test|profile_process|analyze_query|compare_benchmarks|measure_web_vitals|performance_history|[a-z]+_[a-z_]+_(?:test|process|query|benchmarks|vitals|history))\b/g;

describe('the agent prompt names only what exists', () => {
  it('every tool it names is registered, and every registered tool is named', () => {
    const named = new Set([...body.matchAll(KNOWN_TOOL)].map((match) => match[1]!));
    for (const name of named) expect(registered, name).toContain(name);
    for (const name of registered) expect(named, name).toContain(name);
  });

  it('every tool named in the tools: list is registered (both spellings)', () => {
    const line = /^tools: (.*)$/m.exec(prompt)![1]!;
    for (const tool of line
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t.startsWith('mcp__'))) {
      const name = tool.replace(/^mcp__(plugin_performance-engineer_perfeng|perfeng)__/, '');
      expect(registered, tool).toContain(name);
    }
  });

  it('every slash command it names exists in commands/', () => {
    const commands = [...body.matchAll(/`\/([a-z][a-z-]+)`/g)].map((match) => match[1]!);
    expect(commands.length).toBeGreaterThanOrEqual(2);
    for (const command of commands) expect(existsSync(join(REPO_ROOT, 'commands', `${command}.md`)), `/${command}`).toBe(true);
  });

  it('the argument values its playbooks rely on are in the schemas', () => {
    const props = (name: string) => list.tools.find((tool) => tool.name === name)!.inputSchema.properties;
    expect(props('profile_process').kind?.enum ?? JSON.stringify(props('profile_process').kind)).toContain('leak');
    expect(JSON.stringify(props('measure_web_vitals').throttling)).toContain('mobile-slow-4g');
    expect(props('measure_web_vitals').device?.enum).toContain('mobile');
    for (const key of ['interactions', 'runs', 'lighthouse']) expect(props('measure_web_vitals'), key).toHaveProperty(key);
    for (const key of ['script', 'connections', 'thresholds', 'warmup']) expect(props('run_load_test'), key).toHaveProperty(key);
    for (const key of ['pid', 'durationS', 'load']) expect(props('profile_process'), key).toHaveProperty(key);
  });

  it('model: inherit, the agent name Claude Code uses, and the delegation block', () => {
    expect(prompt).toMatch(/^model: inherit$/m);
    expect(prompt).toMatch(/^name: performance-engineer$/m);
    for (const field of ['Verdict:', 'Numbers:', 'Recommendations:', 'Not measured:']) expect(body).toContain(field);
    expect(body.length).toBeLessThan(12_000);
  });
});
