import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/mcp-client.js';
import { freePort } from '../helpers/ports.js';
import { startFixtureServer } from '../vitals/fixtures.js';
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
        const out = checkContract(tool.name, seen);
        // Every tool's run folder holds the same envelope, with the same verdict the agent read.
        const dir = (out.artifacts as { dir: string }).dir;
        const stored = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as Record<string, unknown>;
        expect(Object.keys(stored).slice(0, 6), tool.name).toEqual(['tool', 'version', 'input', 'result', 'verdict', 'aborted']);
        expect(stored, tool.name).toMatchObject({ tool: tool.name, version: 1, verdict: { verdict: out.verdict }, aborted: false });
        expect(stored.environment, tool.name).toBeTypeOf('object');
        sizes.push(`${tool.name} ${seen.length}`);
        if (process.env.SHOW_SUMMARIES) console.info(tool.name, JSON.parse(seen).summary, JSON.parse(seen).next);
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

  it('the verdict says what was found: profile HOT / IDLE / LEAK, k6 iterations and thresholds, Lighthouse score and unused bytes', async () => {
    const call = async (name: string, args: Record<string, unknown>) =>
      checkContract(name, seenByModel(await client.callTool({ name, arguments: args }, undefined, { timeout: 240_000 })));
    const FIXTURES = join(REPO_ROOT, 'test', 'profile', 'fixtures');

    const hot = await call('profile_process', { command: ['node', 'hot.js', '1000'], cwd: FIXTURES, top: 5 });
    expect(hot.verdict).toBe('HOT');
    expect(hot.summary).toMatch(/^HOT: hotLoop \(hot\.js:\d+\) [\d.]+% self/);
    expect(hot.summary).toMatch(/\(run \d{8}-\d{6}-profile-/);
    expect((hot.next as string[])[0]).toMatch(/^profile_process \{"command":\["node","hot.js","1000"\],"baseline":"\d{8}-/);

    await writeFile(join(workDir, 'idle.js'), 'setInterval(() => {}, 1000);\n');
    const idle = await call('profile_process', { command: ['node', 'idle.js'], durationS: 1.5 });
    expect(idle.verdict, idle.summary).toBe('IDLE');
    expect(idle.summary).toMatch(/^IDLE: the process was idle/);

    const port = await freePort();
    const leak = await call('profile_process', {
      command: ['node', 'leak-server.js'],
      cwd: FIXTURES,
      env: { PORT: String(port), LEAK_MODE: 'leak' },
      kind: 'leak',
      waitForPort: port,
      load: { url: `http://127.0.0.1:${port}/`, connections: 4, duration: '10s' },
    });
    const verdict = (leak.leak as { verdict: string }).verdict;
    expect(leak.verdict).toBe({ leak: 'LEAK', 'no-leak': 'NO-LEAK', inconclusive: 'INCONCLUSIVE' }[verdict]);
    // The planted leak: LEAK (INCONCLUSIVE only when a starved machine served too few requests).
    expect(['LEAK', 'INCONCLUSIVE']).toContain(leak.verdict);
    if (leak.verdict === 'LEAK') expect(leak.summary).toMatch(/^LEAK: [\d.]+ \S+\/request .*rememberRequest \(leak-server\.js:10\)/);

    const server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await mkdir(join(workDir, 'load-test'), { recursive: true });
      await writeFile(
        join(workDir, 'load-test', 'smoke.js'),
        [
          "import http from 'k6/http';",
          "import { check } from 'k6';",
          "export const options = { vus: 2, iterations: 20, thresholds: { http_req_failed: ['rate<0.01'], http_req_duration: ['p(95)<5000'] } };",
          "export default function () { check(http.get(__ENV.BASE_URL), { 'status 200': (r) => r.status === 200 }); }",
          '',
        ].join('\n'),
      );
      const k6 = await call('run_load_test', {
        script: 'load-test/smoke.js',
        env: { BASE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` },
      });
      expect(k6.verdict).toBe('PASSED');
      expect(k6.summary).toMatch(/^PASSED: k6 script: 20 iterations, 2 VUs max, 20 requests .*all 2 thresholds held/);
    } finally {
      server.close();
    }

    const pages = await startFixtureServer();
    try {
      const vitals = await call('measure_web_vitals', { url: `${pages.origin}/clean`, runs: 1, trace: false, quietMs: 300, lighthouse: true });
      expect(vitals.summary).toMatch(/Lighthouse score \d+/);
      expect(vitals.summary).toMatch(/unused JS\+CSS \S+ \S+ of/);
      expect(vitals.summary).toMatch(/^(PASSED|FAILED): LCP [\d.]+ \S+, CLS /);
    } finally {
      await pages.close();
    }
  }, 600_000);
});
