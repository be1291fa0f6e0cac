import { describe, expect, it } from 'vitest';
import { parseHookPayload } from '../../src/hooks/payload.js';
import { isReviewAgent, reviewToolOf } from '../../src/hooks/review.js';
import { adviseTool } from '../../src/hooks/tool-advice.js';
import { fnv1a64, sessionFolderName } from '../../src/hooks/session-state.js';

describe('payload parsing', () => {
  it('reads a real PostToolUse payload', () => {
    const payload = parseHookPayload(
      JSON.stringify({
        session_id: 'abc-123',
        transcript_path: '/home/dev/.claude/projects/x/abc-123.jsonl',
        cwd: '/home/dev/shop',
        permission_mode: 'default',
        hook_event_name: 'PostToolUse',
        tool_name: 'Write',
        tool_input: { file_path: '/home/dev/shop/perf/a.js', content: "import http from 'k6/http';" },
        tool_response: { filePath: '/home/dev/shop/perf/a.js', success: true },
        tool_use_id: 'toolu_01',
      }),
    );
    expect(payload).toEqual({
      event: 'PostToolUse',
      sessionId: 'abc-123',
      cwd: '/home/dev/shop',
      toolName: 'Write',
      filePath: '/home/dev/shop/perf/a.js',
      writtenContent: "import http from 'k6/http';",
      stopHookActive: false,
    });
  });

  it('takes notebook_path for NotebookEdit and agent_type for SubagentStop', () => {
    expect(
      parseHookPayload(
        JSON.stringify({
          session_id: 's',
          cwd: '/p',
          hook_event_name: 'PostToolUse',
          tool_name: 'NotebookEdit',
          tool_input: { notebook_path: '/p/perf/n.ipynb' },
        }),
      )?.filePath,
    ).toBe('/p/perf/n.ipynb');
    const stop = parseHookPayload(
      JSON.stringify({
        session_id: 's',
        cwd: '/p',
        hook_event_name: 'SubagentStop',
        stop_hook_active: true,
        agent_id: 'a1',
        agent_type: 'performance-engineer:performance-engineer',
        agent_transcript_path: '/t',
      }),
    );
    expect(stop).toMatchObject({ event: 'SubagentStop', stopHookActive: true, agentType: 'performance-engineer:performance-engineer' });
  });

  it.each([
    ['empty', ''],
    ['whitespace', '  \n'],
    ['not JSON', '{"session_id": '],
    ['JSON array', '[]'],
    ['JSON string', '"hello"'],
    ['no session', JSON.stringify({ cwd: '/p', hook_event_name: 'Stop' })],
    ['no cwd', JSON.stringify({ session_id: 's', hook_event_name: 'Stop' })],
    ['unknown event', JSON.stringify({ session_id: 's', cwd: '/p', hook_event_name: 'PreCompact' })],
  ])('rejects %s input', (_name, input) => {
    expect(parseHookPayload(input)).toBeUndefined();
  });

  it('falls back to the event named on the command line', () => {
    expect(parseHookPayload(JSON.stringify({ session_id: 's', cwd: '/p' }), 'stop')?.event).toBe('Stop');
    expect(parseHookPayload(JSON.stringify({ session_id: 's', cwd: '/p', hook_event_name: 'Stop' }), 'post-tool-use')?.event).toBe('Stop');
  });
});

describe('review detection', () => {
  it.each([
    ['mcp__plugin_performance-engineer_perfeng__run_load_test', 'run_load_test'],
    ['mcp__plugin_performance-engineer_perfeng__profile_process', 'profile_process'],
    ['mcp__plugin_performance-engineer_perfeng__analyze_query', 'analyze_query'],
    ['mcp__plugin_performance-engineer_perfeng__compare_benchmarks', 'compare_benchmarks'],
    ['mcp__plugin_performance-engineer_perfeng__measure_web_vitals', 'measure_web_vitals'],
    ['mcp__perfeng__compare_benchmarks', 'compare_benchmarks'],
  ])('%s is a review tool', (name, tool) => {
    expect(reviewToolOf(name)).toBe(tool);
  });
  it.each(['Edit', 'mcp__other__run_load_test', 'mcp__plugin_performance-engineer_perfeng__delete_everything', 'run_load_test', undefined])(
    '%s is not',
    (name) => {
      expect(reviewToolOf(name)).toBeUndefined();
    },
  );
  it('recognises the subagent, namespaced or not', () => {
    expect(isReviewAgent('performance-engineer')).toBe(true);
    expect(isReviewAgent('performance-engineer:performance-engineer')).toBe(true);
    expect(isReviewAgent('general-purpose')).toBe(false);
    expect(isReviewAgent('performance-engineer-lite')).toBe(false);
    expect(isReviewAgent(undefined)).toBe(false);
  });
});

describe('tool advice', () => {
  it.each([
    ['load-test/api.js', "import http from 'k6/http';\nexport default function () {}", 'run_load_test', 'k6'],
    ['perf/load.js', "const autocannon = require('autocannon')", 'run_load_test', 'autocannon'],
    ['loadtest/locustfile.py', 'from locust import HttpUser, task', 'run_load_test', 'Locust'],
    ['load-test/flow.yml', 'config:\n  target: http://localhost\nscenarios:\n  - flow: []', 'run_load_test', 'Artillery'],
    ['perf/post.lua', 'wrk.method = "POST"', 'run_load_test', 'wrk'],
    ['benchmarks/sort_test.go', 'func BenchmarkSort(b *testing.B) {}', 'compare_benchmarks', 'Go'],
    ['benchmark/parse.bench.ts', "import { bench } from 'vitest'", 'compare_benchmarks', 'JavaScript'],
    ['benchmarks/test_parse.py', 'def test_parse(benchmark):\n    benchmark(parse)', 'compare_benchmarks', 'pytest'],
    ['benchmark/bm.cc', '#include <benchmark/benchmark.h>', 'compare_benchmarks', 'Google Benchmark'],
    ['benchmark/results.json', '{"results": []}', 'compare_benchmarks', 'result'],
    ['perf/slow.sql', 'SELECT 1', 'analyze_query', 'SQL'],
    ['perf/app.cpuprofile', '{}', 'profile_process', 'profile'],
    ['performance/lighthouserc.js', 'module.exports = {}', 'measure_web_vitals', 'Lighthouse'],
    ['load-test/helpers.ts', 'export const x = 1', 'run_load_test', 'load-test'],
    ['benchmarks/util.ts', 'export const x = 1', 'compare_benchmarks', 'benchmark'],
    ['perf/notes.md', '# notes', 'profile_process', 'performance'],
  ])('%s → %s', (path, head, tool, looksLike) => {
    const advice = adviseTool(path, head, path.split('/')[0]!);
    expect(advice.tool).toBe(tool);
    expect(advice.looksLike).toContain(looksLike);
    // Factual text only: Claude Code's injection defences distrust shouted imperatives.
    expect(advice.why).not.toMatch(/\b(MUST|ALWAYS|NEVER|IMMEDIATELY|IMPORTANT|NOW|RUN|USE)\b/);
  });
});

describe('state file names', () => {
  it('keeps readable session ids and hashes the rest into distinct safe names', () => {
    expect(sessionFolderName('0b6c1f6e-4a1d-4c59-9b1a-2f0d7a5e9c11')).toBe('0b6c1f6e-4a1d-4c59-9b1a-2f0d7a5e9c11');
    const odd = ['../../etc', 'a/b', 'a b', 'x'.repeat(200), 'ü'];
    const names = odd.map(sessionFolderName);
    for (const name of names) expect(name).toMatch(/^h-[0-9a-f]{16}-\d+$/);
    expect(new Set(names).size).toBe(odd.length);
  });
  it('fnv1a64 matches the reference vectors', () => {
    // Published FNV-1a 64-bit test vectors (Fowler/Noll/Vo): "" and "a".
    expect(fnv1a64('')).toBe('cbf29ce484222325');
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64('foobar')).toBe('85944171f73967e8');
  });
});
