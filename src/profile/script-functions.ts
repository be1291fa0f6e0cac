import { readFileSync, statSync } from 'node:fs';
import { parse, type Node } from 'acorn';
import { defined } from '../common/errors.js';

/**
 * The functions of one JavaScript file with their line spans, so a line of V8's line-level
 * ticks (`positionTicks`) can be given to the function whose code it is.
 *
 * Why: V8's sampling profiler puts the time of a function TurboFan inlined into its caller
 * on the caller's node (DevTools and `node --cpu-prof` show the same), but it still records
 * the source line of each tick. A hot helper inlined into a request handler therefore
 * shows as the handler's self time, with ticks on the helper's lines. Knowing which function
 * spans a line turns those ticks back into the helper's time. acorn gives the spans; a
 * line shared by two functions (a one-liner, a callback's first line) stays with the node.
 */
export interface FunctionSpan {
  /** Best name from the source: declaration, variable, property or method key. */
  name: string;
  /** 1-based lines of the whole function. */
  startLine: number;
  endLine: number;
  /** 0-based line/column where the function starts and where its body starts (V8 names a function by a position in between). */
  start: { line: number; column: number };
  bodyStart: { line: number; column: number };
}

/** The script's top level (V8's nameless function at 0:0, Node's module wrapper). */
export const TOP_LEVEL = 'top-level' as const;
export type OwnFunction = FunctionSpan | typeof TOP_LEVEL;

const FUNCTION_TYPES = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression']);
/** Larger files (bundles) are skipped: parsing them costs more than the answer is worth here. */
const MAX_SOURCE_BYTES = 8 * 1024 * 1024;

type AnyNode = Node & Record<string, unknown>;

function keyName(key: unknown): string | undefined {
  const k = key as { type?: string; name?: string; value?: unknown } | undefined;
  if (!k) return undefined;
  if (k.type === 'Identifier' || k.type === 'PrivateIdentifier') return k.name;
  if (k.type === 'Literal' && (typeof k.value === 'string' || typeof k.value === 'number')) return String(k.value);
  return undefined;
}

function nameOf(fn: AnyNode, parent: AnyNode | undefined): string {
  const own = keyName(fn.id);
  if (own) return own;
  if (!parent) return '(anonymous)';
  if (parent.type === 'VariableDeclarator') return keyName(parent.id) ?? '(anonymous)';
  if (parent.type === 'Property' || parent.type === 'MethodDefinition' || parent.type === 'PropertyDefinition') return keyName(parent.key) ?? '(anonymous)';
  if (parent.type === 'AssignmentExpression') {
    const left = parent.left as AnyNode;
    return (left.type === 'MemberExpression' ? keyName(left.property) : keyName(left)) ?? '(anonymous)';
  }
  return '(anonymous)';
}

export class ScriptFunctions {
  private constructor(readonly functions: FunctionSpan[]) {}

  /** Parses source text; undefined when it is not JavaScript acorn reads (TypeScript, JSX…). */
  static fromSource(source: string): ScriptFunctions | undefined {
    const options = { ecmaVersion: 'latest', locations: true, allowHashBang: true, allowReturnOutsideFunction: true, allowAwaitOutsideFunction: true } as const;
    let program: Node;
    try {
      program = parse(source, { ...options, sourceType: 'module' });
    } catch {
      try {
        program = parse(source, { ...options, sourceType: 'script' });
      } catch {
        return undefined;
      }
    }
    const functions: FunctionSpan[] = [];
    // Iterative walk over every child node; functions are recorded with their parent for naming.
    const stack: Array<[AnyNode, AnyNode | undefined]> = [[program as AnyNode, undefined]];
    for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
      const [node, parent] = top;
      if (FUNCTION_TYPES.has(node.type)) {
        // Parsed with `locations: true`, so acorn gives every node its loc.
        const loc = defined(node.loc, 'the location of a function (acorn, locations: true)');
        const bodyLoc = defined((node.body as AnyNode).loc, 'the location of a function body (acorn, locations: true)');
        functions.push({
          name: nameOf(node, parent),
          startLine: loc.start.line,
          endLine: loc.end.line,
          start: { line: loc.start.line - 1, column: loc.start.column },
          bodyStart: { line: bodyLoc.start.line - 1, column: bodyLoc.start.column },
        });
      }
      for (const value of Object.values(node)) {
        if (Array.isArray(value)) {
          for (const item of value) if (item && typeof item === 'object' && typeof (item as AnyNode).type === 'string') stack.push([item as AnyNode, node]);
        } else if (value && typeof value === 'object' && typeof (value as AnyNode).type === 'string') {
          stack.push([value as AnyNode, node]);
        }
      }
    }
    return new ScriptFunctions(functions);
  }

  /**
   * Reads and parses a file on disk when it is at most `maxBytes` (and MAX_SOURCE_BYTES):
   * `functions` is undefined when it is missing, too large or not parseable; `bytes` is what
   * was read, for a caller that budgets the source it reads.
   */
  static fromFile(path: string, maxBytes = MAX_SOURCE_BYTES): { functions?: ScriptFunctions; bytes: number } {
    try {
      const bytes = statSync(path).size;
      if (bytes > Math.min(maxBytes, MAX_SOURCE_BYTES)) return { bytes: 0 };
      const functions = ScriptFunctions.fromSource(readFileSync(path, 'utf8'));
      return { ...(functions ? { functions } : {}), bytes };
    } catch {
      return { bytes: 0 };
    }
  }

  /**
   * The function V8 reports at a 0-based line/column (a CDP callFrame): V8 names a function
   * by a position between its start and its body (the parameter list), so the innermost
   * function whose head holds the position is it. A nameless function at 0:0 is the top level.
   */
  functionAt(line: number, column: number, name: string): OwnFunction | undefined {
    if (line === 0 && column === 0 && name === '') return TOP_LEVEL;
    let best: FunctionSpan | undefined;
    for (const fn of this.functions) {
      if (before({ line, column }, fn.start) || before(fn.bodyStart, { line, column })) continue;
      if (!best || before(best.start, fn.start)) best = fn;
    }
    return best;
  }

  /**
   * Whose code a 1-based line is, for a tick recorded on the node of `own`: the innermost
   * other function that holds the line strictly inside it, or — for its first or last line —
   * one that `own` does not span at all. Undefined means the line is `own`'s code.
   */
  ownerOfLine(line: number, own: OwnFunction): FunctionSpan | undefined {
    let best: FunctionSpan | undefined;
    for (const fn of this.functions) {
      if (fn === own || line < fn.startLine || line > fn.endLine) continue;
      const inside = line > fn.startLine && line < fn.endLine;
      const ownSpansLine = own === TOP_LEVEL || (line >= own.startLine && line <= own.endLine);
      if (!inside && ownSpansLine) continue; // a line shared with the enclosing code stays with it
      if (own !== TOP_LEVEL && contains(fn, own)) continue; // an enclosing function is not inlined into its own closure
      if (!best || before(best.start, fn.start)) best = fn;
    }
    return best;
  }
}

function before(a: { line: number; column: number }, b: { line: number; column: number }): boolean {
  return a.line < b.line || (a.line === b.line && a.column < b.column);
}

function contains(outer: FunctionSpan, inner: FunctionSpan): boolean {
  return !before(inner.start, outer.start) && inner.endLine <= outer.endLine && outer !== inner;
}
