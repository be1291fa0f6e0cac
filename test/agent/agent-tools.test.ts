import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORDER_SEARCH_SQL } from '../../src/demo/app/endpoints.js';
import { demoAppEntry, freeLoopbackPort, startAppProcess, type RunningApp } from '../../src/demo/app-process.js';
import { walkThrough } from '../../src/demo/walkthrough.js';
import { DEMO_ENDPOINTS } from '../../src/demo/app/endpoints.js';
import { connectBuiltServer, REPO_ROOT } from '../helpers/mcp-client.js';

/**
 * The agent against what the server really offers: its `tools:` list names exactly the
 * registered tools (plugin naming), and on the demo app every tool's text result is small
 * (< 10k tokens ≈ 40k characters), leads with its verdict and names its artefact files.
 */
const PREFIX = 'mcp__plugin_performance-engineer_perfeng__';
const HAND_PREFIX = 'mcp__perfeng__';

function frontmatter(path: string): Record<string, string> {
  const text = readFileSync(path, 'utf8');
  const match = /^---\n([\s\S]*?)\n---\n/.exec(text);
  if (!match) throw new Error(`${path} has no frontmatter`);
  const fields: Record<string, string> = {};
  let key = '';
  for (const line of match[1]!.split('\n')) {
    if (line.startsWith('#')) continue; // a YAML comment
    const field = /^([a-zA-Z-]+):\s*(.*)$/.exec(line);
    if (field) {
      key = field[1]!;
      fields[key] = field[2]!.replace(/^>-?\s*$/, '');
    } else if (key) fields[key] = `${fields[key]} ${line.trim()}`.trim();
  }
  return fields;
}

const listed = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);

describe("agent and slash commands name the server's tools", () => {
  let session: Awaited<ReturnType<typeof connectBuiltServer>>;
  let registered: string[];

  beforeAll(async () => {
    session = await connectBuiltServer();
    registered = (await session.client.listTools()).tools.map((t) => t.name).sort();
  });
  afterAll(async () => {
    await session?.close();
  });

  it('agents/performance-engineer.md lists exactly the registered tools', () => {
    const tools = listed(frontmatter(join(REPO_ROOT, 'agents', 'performance-engineer.md')).tools);
    // Both spellings: the plugin's server, and the same server configured by hand (`perfeng`).
    const mcp = tools.filter((t) => t.startsWith('mcp__'));
    const plugin = mcp
      .filter((t) => t.startsWith(PREFIX))
      .map((t) => t.slice(PREFIX.length))
      .sort();
    const byHand = mcp
      .filter((t) => t.startsWith(HAND_PREFIX))
      .map((t) => t.slice(HAND_PREFIX.length))
      .sort();
    expect(plugin.length + byHand.length, `agent tools outside both prefixes: ${mcp.join(', ')}`).toBe(mcp.length);
    expect(plugin).toEqual(registered);
    expect(byHand).toEqual(registered);
    expect(registered).toEqual(expect.arrayContaining(['run_load_test', 'profile_process', 'analyze_query', 'compare_benchmarks']));
  });

  it('slash commands have description, argument-hint and allowed-tools naming only registered tools', () => {
    for (const name of ['perf-targets.md', 'release-load-test.md']) {
      const fields = frontmatter(join(REPO_ROOT, 'commands', name));
      expect(fields.description, name).toBeTruthy();
      expect(fields['argument-hint'], name).toBeTruthy();
      const allowed = listed(fields['allowed-tools']);
      expect(allowed.length, name).toBeGreaterThan(0);
      for (const tool of allowed.filter((t) => t.startsWith('mcp__'))) {
        expect(tool.startsWith(PREFIX), tool).toBe(true);
        expect(registered, tool).toContain(tool.slice(PREFIX.length));
      }
    }
    expect(listed(frontmatter(join(REPO_ROOT, 'commands', 'release-load-test.md'))['allowed-tools'])).toContain(`${PREFIX}run_load_test`);
  });
});

describe('every tool on the demo app: small text, verdict first, artefacts named', () => {
  let dir: string;
  let app: RunningApp;
  let session: Awaited<ReturnType<typeof connectBuiltServer>>;
  const controller = new AbortController();
  const database = () => join(dir, 'demo.sqlite');
  const queryLog = () => join(dir, 'queries.jsonl');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'perfeng-agent-'));
    // The query log comes from a walk through the app, as in `perfeng demo`.
    const logging = await startAppProcess(['--port', '0', '--db', database(), '--query-log', queryLog()], { signal: controller.signal });
    await walkThrough(logging.url, DEMO_ENDPOINTS, 2, controller.signal);
    await logging.stop();
    app = await startAppProcess(['--port', '0', '--db', database()], { signal: controller.signal });
    session = await connectBuiltServer({ cwd: dir, env: { PERFENG_PROJECT_DIR: dir } });
  }, 60_000);
  afterAll(async () => {
    await session?.close();
    await app?.stop();
    controller.abort();
    await rm(dir, { recursive: true, force: true });
  });

  async function call(name: string, args: Record<string, unknown>): Promise<{ text: string; structured: Record<string, unknown> }> {
    const result = await session.client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 });
    const text = (result.content as Array<{ type: string; text?: string }>)
      .filter((c) => c.type === 'text')
      .map((c) => c.text)
      .join('\n');
    expect(result.isError, `${name}: ${text}`).toBeFalsy();
    return { text, structured: result.structuredContent as Record<string, unknown> };
  }

  /** Verdict first: the first line opens with an upper-case verdict word (PASSED, FAILED, FASTER, HIGH…). */
  function expectAgentFriendly(name: string, text: string, artefacts: string[]): void {
    expect(text.length, name).toBeLessThan(40_000);
    const first = text.split('\n')[0]!;
    expect(first, `${name}: first line should be the verdict`).toMatch(/^[A-Z][A-Z0-9 /+-]{2,}\b/);
    for (const file of artefacts) expect(text, `${name} should name ${file}`).toContain(basename(file));
  }

  const loadRuns: string[] = [];

  it('run_load_test', async () => {
    for (const fixes of [false, true]) {
      const { text, structured } = await call('run_load_test', {
        url: `${app.url}${DEMO_ENDPOINTS[0]!.path}`,
        connections: 4,
        duration: '1s',
        title: fixes ? 'agent second' : 'agent first',
      });
      const artifacts = structured.artifacts as Record<string, string>;
      expectAgentFriendly('run_load_test', text, [artifacts.report!]);
      expect(text.split('\n')[0]).toMatch(structured.passed ? /PASS/ : /FAIL/);
      loadRuns.push(basename(artifacts.dir!));
    }
  });

  it('profile_process', async () => {
    const port = await freeLoopbackPort();
    const { text, structured } = await call('profile_process', {
      command: [process.execPath, demoAppEntry(), '--port', String(port), '--db', database()],
      waitForPort: port,
      load: { url: `http://127.0.0.1:${port}${DEMO_ENDPOINTS[2]!.path}`, connections: 4, duration: '2s' },
      top: 10,
    });
    const artifacts = structured.artifacts as Record<string, string>;
    expectAgentFriendly('profile_process', text, [artifacts.flamegraph!]);
    expect(text).toMatch(/rankProductsNaive|normaliseRowsNaive/);
  });

  it('analyze_query', async () => {
    const { text, structured } = await call('analyze_query', { database: database(), sql: ORDER_SEARCH_SQL, queryLog: queryLog() });
    const artifacts = structured.artifacts as Record<string, string>;
    expectAgentFriendly('analyze_query', text, [artifacts.report!]);
    expect(text).toMatch(/reference/);
    expect(text).toMatch(/customers/i);
  });

  it('compare_benchmarks', async () => {
    expect(loadRuns).toHaveLength(2);
    const { text, structured } = await call('compare_benchmarks', { baseline: loadRuns[0], candidate: loadRuns[1] });
    const artifacts = structured.artifacts as Record<string, string>;
    expectAgentFriendly('compare_benchmarks', text, [artifacts.report!]);
  });
});
