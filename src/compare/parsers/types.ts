import type { Benchmark, FormatId } from '../model.js';

/** What a parser returns; the dispatcher adds source and format. */
export interface ParsedSet {
  benchmarks: Benchmark[];
  context: Record<string, string>;
  notes: string[];
}

/**
 * One input format. `detect` scores a document from 0 (not this) to 1 (certainly this);
 * partial scores let an unknown file be reported with its closest match.
 */
export interface JsonFormat {
  id: FormatId;
  label: string;
  kind: 'json';
  detect(doc: unknown): number;
  parse(doc: unknown): ParsedSet;
}

export interface TextFormat {
  id: FormatId;
  label: string;
  kind: 'text';
  detect(text: string): number;
  /** Throws ParseError naming `source` and the line on bad input. */
  parse(text: string, source: string): ParsedSet;
}

export type Format = JsonFormat | TextFormat;

/** Share of `keys` present in a record: a cheap similarity for "closest match". */
export function keyScore(record: unknown, keys: string[]): number {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return 0;
  return keys.filter((k) => k in record).length / keys.length;
}
