import { describe, expect, it } from 'vitest';
import { ScriptFunctions, TOP_LEVEL, type FunctionSpan } from '../../src/profile/script-functions.js';

const source = [
  /* 1 */ 'function helper(a) { return a + 1; }',
  /* 2 */ 'function work(n) {',
  /* 3 */ '  const fmt = (v) => {',
  /* 4 */ '    return v.toFixed(2);',
  /* 5 */ '  };',
  /* 6 */ '  let x = 0;',
  /* 7 */ '  for (let i = 0; i < n; i++) x += Math.sqrt(i);',
  /* 8 */ '  return fmt(helper(x));',
  /* 9 */ '}',
  /* 10 */ 'class Store {',
  /* 11 */ '  get(key) {',
  /* 12 */ '    return key.length;',
  /* 13 */ '  }',
  /* 14 */ '}',
  /* 15 */ 'const items = [1, 2].map((v) => {',
  /* 16 */ '  return v * 2;',
  /* 17 */ '});',
  /* 18 */ 'for (let i = 0; i < 10; i++) work(i);',
].join('\n');

describe('ScriptFunctions: whose code a line is', () => {
  const script = ScriptFunctions.fromSource(source)!;
  const named = (name: string) => script.functions.find((f) => f.name === name)!;
  // V8 names a function by the position of its parameter list (0-based line/column).
  const at = (line: number, column: number, name: string) => script.functionAt(line, column, name) as FunctionSpan;

  it('finds functions with names from declarations, variables and methods, and V8 positions map to them', () => {
    expect(script.functions.map((f) => f.name).sort()).toEqual(['(anonymous)', 'fmt', 'get', 'helper', 'work']);
    expect(at(1, 13, 'work')).toBe(named('work'));
    expect(at(2, 14, 'fmt')).toBe(named('fmt'));
    expect(at(10, 5, 'get')).toBe(named('get'));
    expect(script.functionAt(0, 0, '')).toBe(TOP_LEVEL);
    expect(at(0, 15, 'helper')).toBe(named('helper'));
  });

  it('gives a line inside another function to that function, wherever it was recorded', () => {
    // A sibling's lines on work's node: inlined.
    expect(script.ownerOfLine(12, named('work'))).toBe(named('get'));
    // The top level's node holding a line strictly inside a function: inlined.
    expect(script.ownerOfLine(7, TOP_LEVEL)).toBe(named('work'));
    expect(script.ownerOfLine(4, TOP_LEVEL)).toBe(named('fmt'));
    // A one-liner defined elsewhere, on a node that does not span its line.
    expect(script.ownerOfLine(1, named('work'))).toBe(named('helper'));
    // A nested closure's body on its enclosing function's node.
    expect(script.ownerOfLine(4, named('work'))).toBe(named('fmt'));
  });

  it('keeps a line with the node when it may be the node’s own code', () => {
    expect(script.ownerOfLine(7, named('work'))).toBeUndefined(); // its own loop
    expect(script.ownerOfLine(8, named('work'))).toBeUndefined(); // after the nested closure ended
    expect(script.ownerOfLine(18, TOP_LEVEL)).toBeUndefined(); // top-level code
    // First/last lines shared with the enclosing code ("[1, 2].map((v) => {", "});").
    expect(script.ownerOfLine(15, TOP_LEVEL)).toBeUndefined();
    expect(script.ownerOfLine(17, TOP_LEVEL)).toBeUndefined();
    expect(script.ownerOfLine(1, TOP_LEVEL)).toBeUndefined(); // a one-liner on the top level's line
    // The enclosing function's lines on a closure's node are not "inlined" into it.
    expect(script.ownerOfLine(7, named('fmt'))).toBeUndefined();
  });

  it('returns nothing for text acorn cannot read (TypeScript on disk)', () => {
    expect(ScriptFunctions.fromSource('function f(a: number): number { return a; }')).toBeUndefined();
  });
});
