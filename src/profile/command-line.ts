import { accessSync, closeSync, constants, openSync, readSync, statSync } from 'node:fs';
import { basename, delimiter, isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../common/errors.js';
import type { Runtime } from './model.js';

/**
 * Splits a command string the way a POSIX shell splits words — quotes and backslashes
 * respected — without a shell: pipes, redirections, `&&`, `$VAR` and globs are refused or
 * kept literal, because the command is executed directly. (Written here: shell-quote
 * returns operator objects and expands variables from an env we would have to fake; this
 * is 30 lines with exactly the behaviour we want.)
 */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i); // i < length: one UTF-16 unit, never ''
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else word += ch;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === '\\' && i + 1 < text.length && '"\\$`'.includes(text.charAt(i + 1))) word += text.charAt(++i);
      else word += ch;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < text.length) {
      word += text.charAt(++i);
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if ('|&;<>()`'.includes(ch)) {
      throw new UserError(
        `the command contains the shell operator "${ch}", but it is run without a shell`,
        'pass a single program and its arguments (or an argv array); to profile a pipeline, wrap it in a script',
      );
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) throw new UserError('unbalanced quote in command', 'close the quote or pass an argv array');
  if (inWord) words.push(word);
  if (!words.length) throw new UserError('the command is empty', 'give a program to run, e.g. "node server.js"');
  return words;
}

/** The executable `name` resolves to (PATH lookup like execvp), or undefined. */
export function findExecutable(name: string, cwd: string, pathEnv = process.env.PATH ?? ''): string | undefined {
  const candidates = name.includes('/')
    ? [isAbsolute(name) ? name : resolve(cwd, name)]
    : pathEnv
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

const NODE_LAUNCHERS = new Set(['node', 'nodejs', 'npm', 'npx', 'pnpm', 'yarn', 'tsx', 'ts-node', 'nodemon', 'vitest', 'jest', 'next', 'nest', 'corepack']);

/** Which profiler fits: by the program's name, then by a script's shebang line. */
export function detectRuntime(argv: readonly string[], executable: string | undefined): Runtime {
  const [program] = argv;
  if (program === undefined) throw new UserError('the command is empty', 'give a program to run, e.g. "node server.js"');
  const name = basename(program);
  if (/^python(\d+(\.\d+)?)?$/.test(name) || name === 'pypy3') return 'python';
  if (NODE_LAUNCHERS.has(name) || /^node\d*$/.test(name)) return 'node';
  if (executable) {
    try {
      const fd = openSync(executable, 'r');
      const buffer = Buffer.alloc(200);
      const read = readSync(fd, buffer, 0, 200, 0);
      closeSync(fd);
      const head = buffer.subarray(0, read).toString('latin1');
      if (head.startsWith('#!')) {
        const newline = head.indexOf('\n');
        const first = newline < 0 ? head : head.slice(0, newline);
        if (/\bpython/.test(first)) return 'python';
        if (/\b(node|tsx|ts-node|bun)\b/.test(first)) return 'node';
      }
    } catch {
      // unreadable: treat as native
    }
  }
  return 'native';
}
