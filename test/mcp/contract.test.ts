import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/mcp-client.js';
import { sampleCalls } from './samples/index.js';

/**
 * The contract of issue 14, checked where Claude Code meets it. Claude Code's MCP client drops
 * the text block of a result that has structuredContent and hands the model
 * JSON.stringify(structuredContent); it pays for tools/list (name + description + inputSchema)
 * in every conversation. So this test starts the server exactly as the plugin declares it
 * (.mcp.json), with the SDK's real stdio client, and measures those strings.
 * The numbers are the contract's, written here rather than read from the registry, so raising
 * a tool's budget in code cannot make this test pass.
 */
const TOOLS_LIST_MAX = 16_000;
const SUMMARY_MAX = 700;
const BUDGET: Record<string, number> = {
  run_load_test: 6000,
  profile_process: 8000,
  analyze_query: 6000,
  compare_benchmarks: 6000,
  measure_web_vitals: 6000,
  performance_history: 6000,
};

let client: Client;
let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'perfeng-contract-'));
  const declared = JSON.parse(readFileSync(join(REPO_ROOT, '.mcp.json'), 'utf8')).mcpServers.perfeng as { command: string; args: string[] };
  const transport = new StdioClientTransport({
    command: declared.command === 'node' ? process.execPath : declared.command,
    args: declared.args.map((a) => a.replace('${CLAUDE_PLUGIN_ROOT}', REPO_ROOT.replace(/\/$/, ''))),
    cwd: workDir,
    env: { ...(process.env as Record<string, string>), PERFENG_PROJECT_DIR: workDir },
    stderr: 'pipe',
  });
  client = new Client({ name: 'claude-code', version: '2.1.197' });
  await client.connect(transport);
});
afterAll(async () => {
  await client?.close();
  await rm(workDir, { recursive: true, force: true });
});

/** What the model reads of a tool result in Claude Code. */
function seenByModel(result: Awaited<ReturnType<Client['callTool']>>): string {
  expect(result.isError, JSON.stringify(result.content).slice(0, 2000)).toBeFalsy();
  expect(result.structuredContent, 'no structuredContent').toBeTypeOf('object');
  return JSON.stringify(result.structuredContent);
}

/** The checks every ordinary call must pass; returns the parsed result for tool-specific ones. */
function checkContract(tool: string, seen: string): Record<string, unknown> & { summary: string; verdict: string } {
  const result = JSON.parse(seen) as Record<string, unknown> & { summary: string; verdict: string; next?: unknown };
  expect(seen.startsWith('{"summary":'), `${tool}: summary is not the first key: ${seen.slice(0, 80)}`).toBe(true);
  expect(typeof result.summary).toBe('string');
  expect(result.summary.length, `${tool}: ${result.summary}`).toBeLessThanOrEqual(SUMMARY_MAX);
  // The verdict word comes first, in capitals.
  expect(result.verdict, tool).toMatch(/^[A-Z][A-Z-]*( [A-Z-]+)*$/);
  expect(result.summary.startsWith(result.verdict), `${tool}: "${result.summary.slice(0, 60)}" does not start with ${result.verdict}`).toBe(true);
  if (result.next !== undefined) {
    expect(Array.isArray(result.next), tool).toBe(true);
    const next = result.next as unknown[];
    expect(next.length, tool).toBeLessThanOrEqual(3);
    for (const call of next) {
      expect(typeof call, tool).toBe('string');
      // A concrete call: a tool name first.
      expect(call as string, tool).toMatch(/^(run_load_test|profile_process|analyze_query|compare_benchmarks|measure_web_vitals|performance_history)\b/);
    }
  }
  expect(seen.length, `${tool}: ${seen.length} characters`).toBeLessThanOrEqual(BUDGET[tool] ?? 6000);
  return result;
}

describe('the contract Claude Code sees (issue 14)', () => {
  it(`tools/list: the six tools in at most ${TOOLS_LIST_MAX} characters of name + description + inputSchema`, async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(BUDGET).sort());
    const sizes = tools.map((t) => JSON.stringify({ name: t.name, description: t.description, inputSchema: t.inputSchema }).length);
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(total, tools.map((t, i) => `${t.name} ${sizes[i]}`).join(', ')).toBeLessThanOrEqual(TOOLS_LIST_MAX);
    const listed = JSON.stringify(tools.map((t) => t.inputSchema));
    // No safe-integer noise, and profile_process's `load` is a reference, not a copy of run_load_test's schema.
    expect(listed).not.toContain('9007199254740991');
    const profileSchema = tools.find((t) => t.name === 'profile_process')?.inputSchema;
    const load = (profileSchema?.properties ?? {}) as Record<string, Record<string, unknown>>;
    expect(load.load?.description).toMatch(/^the same fields as run_load_test/);
    expect(load.load).not.toHaveProperty('properties');
    for (const tool of tools) {
      // Descriptions say what usually comes next.
      expect(tool.description, tool.name).toMatch(/Next:/);
    }
  });

  it('every tool: an ordinary call reads summary first, verdict word first, small `next`, within budget', async () => {
    const { tools } = await client.listTools();
    const sizes: string[] = [];
    for (const tool of tools) {
      const sample = sampleCalls[tool.name];
      expect(sample, `no sample call for ${tool.name} in test/mcp/samples`).toBeDefined();
      const args = await sample!.setup(workDir);
      try {
        const result = await client.callTool({ name: tool.name, arguments: args }, undefined, { timeout: 180_000 });
        const seen = seenByModel(result);
        checkContract(tool.name, seen);
        sizes.push(`${tool.name} ${seen.length}`);
      } finally {
        await sample!.teardown?.();
      }
    }
    // The figures for the closing note (bench/RESULTS.md): what the model reads per tool.
    console.info(`structuredContent characters: ${sizes.join(', ')}`);
  }, 600_000);

  it('performance_history over real recorded runs: STABLE/IMPROVED/REGRESSED, never a failed verdict without a gate', async () => {
    // The previous test recorded real load runs in this project (samples/performance-history.ts).
    const result = await client.callTool({ name: 'performance_history', arguments: { kind: 'load', metric: 'throughput' } });
    const out = checkContract('performance_history', seenByModel(result));
    expect(['STABLE', 'IMPROVED', 'REGRESSED']).toContain(out.verdict);
    expect((out.series as unknown[]).length).toBeGreaterThanOrEqual(4);
    expect(out.summary).toMatch(/throughput of load over \d+ runs/);
    const bad = await client.callTool({ name: 'performance_history', arguments: { kind: 'load', metric: 'p50', gate: true } });
    expect(bad.isError).toBe(true);
    expect((bad.content as Array<{ text: string }>)[0]?.text).toContain('"gate"');
  }, 120_000);
});
