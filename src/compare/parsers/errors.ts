import { findNodeAtLocation, parseTree } from 'jsonc-parser';
import { UserError } from '../../common/errors.js';

/**
 * Parse errors name the file and the line, so a person can open the file at the problem.
 * JSON.parse reports a character position, which we turn into line:column. Shape problems
 * (a string where a number belongs) are raised with their JSON path; only then do we re-read
 * the text with jsonc-parser, which keeps offsets, to find the line — the fast path never
 * pays for position tracking.
 */
export class ParseError extends UserError {}

export type JsonPath = Array<string | number>;

/** Raised by parsers on a wrong shape; converted to a ParseError with a line by `locateShapeProblem`. */
export class ShapeProblem extends Error {
  constructor(
    readonly path: JsonPath,
    readonly expected: string,
  ) {
    super(`${formatPath(path)} is not ${expected}`);
  }
}

export function formatPath(path: JsonPath): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${key}` : key), '') || '(root)';
}

export function lineColumnAt(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let lastBreak = -1;
  const end = Math.min(position, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lastBreak = i;
    }
  }
  return { line, column: position - lastBreak };
}

/** JSON.parse with errors that say which file and line. */
export function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message)?.[1];
    let where: string;
    if (position !== undefined) {
      const { line, column } = lineColumnAt(text, Number(position));
      where = `:${line}:${column}`;
    } else {
      where = `:${lineColumnAt(text, text.length).line}`;
    }
    const empty = text.trim() === '';
    throw new ParseError(
      `${source}${where}: ${empty ? 'the file is empty' : `not valid JSON (${message})`}`,
      empty ? 'export the results again; the tool may have failed before writing them' : 'the file looks truncated or corrupted; re-export it from the tool',
    );
  }
}

export function locateShapeProblem(problem: ShapeProblem, text: string, source: string, format: string): ParseError {
  let where = '';
  try {
    const tree = parseTree(text);
    // Walk up the path until a node exists (the missing key's parent).
    for (let depth = problem.path.length; depth >= 0 && tree; depth--) {
      const node = findNodeAtLocation(tree, problem.path.slice(0, depth));
      if (node) {
        where = `:${lineColumnAt(text, node.offset).line}`;
        break;
      }
    }
  } catch {
    // no position; the path still says where
  }
  return new ParseError(
    `${source}${where}: ${format} file: ${problem.message}`,
    'check that the file is complete and really of this format (pass `format` to force one)',
  );
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function requireRecord(value: unknown, path: JsonPath): Record<string, unknown> {
  if (!isRecord(value)) throw new ShapeProblem(path, 'an object');
  return value;
}

export function requireNumber(value: unknown, path: JsonPath): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ShapeProblem(path, 'a finite number');
  return value;
}

export function optionalNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function requireArray(value: unknown, path: JsonPath): unknown[] {
  if (!Array.isArray(value)) throw new ShapeProblem(path, 'an array');
  return value;
}

export function requireString(value: unknown, path: JsonPath): string {
  if (typeof value !== 'string') throw new ShapeProblem(path, 'a string');
  return value;
}

/** A list of finite numbers; checked in one pass without allocating per element (50 MB files). */
export function requireNumbers(value: unknown, path: JsonPath): number[] {
  const array = requireArray(value, path);
  for (let i = 0; i < array.length; i++) {
    const v = array[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new ShapeProblem([...path, i], 'a finite number');
  }
  return array as number[];
}

/** Context values as strings, skipping nested objects. */
export function flatContext(record: Record<string, unknown> | undefined, keys?: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!record) return out;
  for (const [key, value] of Object.entries(record)) {
    if (keys && !keys.includes(key)) continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[key] = String(value);
  }
  return out;
}
