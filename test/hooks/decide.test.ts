import { describe, expect, it } from 'vitest';
import { decideStop, diffTriggerKey, pathTriggerKey, postToolUseOutput, type StopFacts } from '../../src/hooks/decide.js';
import { measureChange, parseGeneratedAttr, parseNumstatZ } from '../../src/hooks/diff-size.js';
import { adviseTool } from '../../src/hooks/tool-advice.js';
import type { ChangeSize } from '../../src/hooks/diff-size.js';

const size = (lines: number): ChangeSize => ({
  lines,
  added: lines,
  removed: 0,
  files: 1,
  largest: [{ path: 'src/big.ts', lines }],
  skipped: { binary: 0, excluded: 0, generated: 0 },
});

const base = (over: Partial<StopFacts> = {}): StopFacts => ({
  mode: 'suggest',
  stopHookActive: false,
  threshold: 300,
  diff: { measured: true, size: size(301), since: 'session' },
  matches: [],
  reviewed: false,
  alreadyFired: () => false,
  ...over,
});

const IMPERATIVE = /\b(MUST|ALWAYS|IMMEDIATELY|IMPORTANT|NOW)\b/;

describe('Stop decision', () => {
  it('suggests once the change exceeds the threshold (301 > 300), with the numbers', () => {
    const decision = decideStop(base());
    expect(decision?.keys).toEqual([diffTriggerKey()]);
    expect(decision?.output.decision).toBeUndefined();
    const context = decision?.output.hookSpecificOutput?.additionalContext ?? '';
    expect(decision?.output.hookSpecificOutput?.hookEventName).toBe('Stop');
    expect(context).toContain('301 lines');
    expect(context).toContain('src/big.ts (301)');
    expect(context).not.toMatch(IMPERATIVE);
  });

  it.each([299, 300])('stays silent at %i lines (the rule is "more than")', (lines) => {
    expect(decideStop(base({ diff: { measured: true, size: size(lines), since: 'session' } }))).toBeUndefined();
  });

  it('blocks in require mode, with the reason', () => {
    const decision = decideStop(base({ mode: 'require' }));
    expect(decision?.output).toMatchObject({ decision: 'block' });
    expect(decision?.output.reason).toContain('"require"');
    expect(decision?.output.reason).not.toMatch(IMPERATIVE);
  });

  it('notify: only a systemMessage now, the full note kept for the next prompt', () => {
    const firstCall = { tool: 'analyze_query' as const, args: { sql: 'SELECT 1 FROM t' }, about: 'the SQL string at src/a.ts:3' };
    const decision = decideStop(base({ mode: 'notify', firstCall }));
    expect(Object.keys(decision?.output ?? {})).toEqual(['systemMessage']);
    expect(decision?.output.systemMessage).toContain('301 lines changed');
    expect(decision?.output.systemMessage).toContain('analyze_query {"sql":"SELECT 1 FROM t"}');
    expect(decision?.nextPromptContext).toContain('performance-engineer:performance-engineer');
    expect(decision?.nextPromptContext).toContain('run_in_background: true');
    expect(decision?.nextPromptContext).toContain('A first call for the SQL string at src/a.ts:3');
    expect(decision?.nextPromptContext).not.toMatch(IMPERATIVE);
    expect(decideStop(base({ mode: 'suggest', firstCall }))?.nextPromptContext).toBeUndefined();
  });

  it('never blocks a stop that a Stop hook already continued (stop_hook_active)', () => {
    expect(decideStop(base({ mode: 'require', stopHookActive: true }))).toBeUndefined();
  });

  it('is silent when off, after a review, or when the trigger already acted', () => {
    expect(decideStop(base({ mode: 'off' }))).toBeUndefined();
    expect(decideStop(base({ reviewed: true }))).toBeUndefined();
    expect(decideStop(base({ alreadyFired: (key) => key === diffTriggerKey() }))).toBeUndefined();
  });

  it('acts on matched paths without a large diff, listing the files once per directory', () => {
    const matches = [
      { kind: 'match' as const, at: 1, relPath: 'benchmark/a.ts', rule: 'benchmark', matchedDir: 'benchmark', tool: 'compare_benchmarks' },
      { kind: 'match' as const, at: 2, relPath: 'benchmark/a.ts', rule: 'benchmark', matchedDir: 'benchmark', tool: 'compare_benchmarks' },
      { kind: 'match' as const, at: 3, relPath: 'load-test/k6.js', rule: 'load-test', matchedDir: 'load-test', tool: 'run_load_test' },
    ];
    const decision = decideStop(base({ diff: { measured: false, reason: 'no git' }, matches }));
    expect(decision?.keys).toEqual([pathTriggerKey('benchmark'), pathTriggerKey('load-test')]);
    const context = decision?.output.hookSpecificOutput?.additionalContext ?? '';
    expect(context).toContain('benchmark/: benchmark/a.ts;');
    expect(context).toContain('load-test/: load-test/k6.js');
    expect(context.match(/benchmark\/a\.ts/g)).toHaveLength(1);
  });
});

describe('PostToolUse text', () => {
  it('states file, rule and tool, factually', () => {
    const match = { relPath: 'api/load-test/k6.js', rule: 'load-test', matchedDir: 'api/load-test' };
    const output = postToolUseOutput(match, 'Write', adviseTool(match.relPath, "import http from 'k6/http'", match.matchedDir));
    const context = output.hookSpecificOutput?.additionalContext ?? '';
    expect(output.hookSpecificOutput?.hookEventName).toBe('PostToolUse');
    expect(context).toContain('api/load-test/k6.js');
    expect(context).toContain('"api/load-test/" (hooks.paths entry "load-test")');
    expect(context).toContain('run_load_test');
    expect(context).not.toMatch(IMPERATIVE);
  });
});

describe('diff size', () => {
  it('parses numstat -z, including binary files and odd names', () => {
    const out = '3\t1\tsrc/a.ts\0-\t-\tlogo.png\0' + '10\t0\tdir with space/ü.txt\0';
    expect(parseNumstatZ(out)).toEqual([
      { path: 'src/a.ts', added: 3, removed: 1, binary: false },
      { path: 'logo.png', added: 0, removed: 0, binary: true },
      { path: 'dir with space/ü.txt', added: 10, removed: 0, binary: false },
    ]);
  });

  it('leaves out excluded, generated and binary files, and says so', () => {
    const entries = parseNumstatZ('200\t0\tsrc/a.ts\0' + '5000\t10\tpackage-lock.json\0' + '-\t-\tlogo.png\0' + '900\t0\tsrc/gen.ts\0' + '2\t2\tsrc/b.ts\0');
    const measured = measureChange(entries, (path) => path === 'package-lock.json', new Set(['src/gen.ts']));
    expect(measured).toMatchObject({ lines: 204, added: 202, removed: 2, files: 2, skipped: { binary: 1, excluded: 1, generated: 1 } });
    expect(measured.largest[0]).toEqual({ path: 'src/a.ts', lines: 200 });
  });

  it('parses check-attr -z output', () => {
    expect(parseGeneratedAttr('a.ts\0linguist-generated\0set\0b.ts\0linguist-generated\0unspecified\0c.ts\0linguist-generated\0true\0')).toEqual(
      new Set(['a.ts', 'c.ts']),
    );
  });
});
