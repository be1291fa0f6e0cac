import { readFileSync } from 'node:fs';
import { UserError } from '../common/errors.js';

/** Flag helpers every command shares: repeatable flags, numbers, and `--input` JSON. */

/** commander accumulator for repeatable flags (`-H a -H b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function parseNumberFlag(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new UserError(`--${flag} "${text}" is not a number`);
  return n;
}

/** `--input`: inline JSON (starts with "{") or the path of a JSON file. */
export function readInputOption(text: string, flag = 'input'): Record<string, unknown> {
  const trimmed = text.trim();
  let source = trimmed;
  if (!trimmed.startsWith('{')) {
    try {
      source = readFileSync(trimmed, 'utf8');
    } catch (error) {
      throw new UserError(`cannot read --${flag} file "${trimmed}" (${(error as NodeJS.ErrnoException).code})`, 'pass inline JSON or a path to a JSON file');
    }
  }
  try {
    return JSON.parse(source) as Record<string, unknown>;
  } catch (error) {
    throw new UserError(`--${flag} is not valid JSON: ${(error as Error).message}`);
  }
}
