import type { FormatId, SampleSet } from '../model.js';
import { autocannonFormat } from './autocannon.js';
import { csvFormat } from './csv.js';
import { locateShapeProblem, ParseError, parseJsonText, ShapeProblem } from './errors.js';
import { goBenchFormat } from './go-bench.js';
import { googleBenchmarkFormat } from './google-benchmark.js';
import { hyperfineFormat } from './hyperfine.js';
import { k6Format } from './k6.js';
import { perfengLoadFormat } from './perfeng-load.js';
import { pytestBenchmarkFormat } from './pytest-benchmark.js';
import { pyperfFormat } from './pyperf.js';
import type { Format, JsonFormat, TextFormat } from './types.js';
import { tinybenchFormat, vitestBenchFormat } from './vitest-bench.js';

/** Every format, in detection order (most specific first). */
export const FORMATS: Format[] = [
  perfengLoadFormat,
  hyperfineFormat,
  googleBenchmarkFormat,
  pytestBenchmarkFormat,
  pyperfFormat,
  vitestBenchFormat,
  tinybenchFormat,
  k6Format,
  autocannonFormat,
  goBenchFormat,
  csvFormat,
];

export const FORMAT_IDS = FORMATS.map((f) => f.id);

/** A score at or above this is taken as a match. */
const MATCH = 0.75;

function looksLikeJson(text: string): boolean {
  const first = /\S/.exec(text);
  return first !== null && (first[0] === '{' || first[0] === '[');
}

function runParser(format: Format, text: string, doc: unknown, source: string): SampleSet {
  try {
    const parsed = format.kind === 'json' ? (format as JsonFormat).parse(doc) : (format as TextFormat).parse(text, source);
    if (!parsed.benchmarks.length) {
      throw new ParseError(`${source}: ${format.label} file contains no benchmarks`, 'check that the run finished and wrote its results');
    }
    return { source, format: format.id, ...parsed };
  } catch (error) {
    if (error instanceof ShapeProblem) throw locateShapeProblem(error, text, source, format.label);
    throw error;
  }
}

/**
 * Parses one file's text. With `format` the parser is forced; otherwise each parser scores
 * the document and the best match above the threshold wins. An unknown document is an error
 * that lists what was tried and the closest match.
 */
export function parseText(text: string, source: string, format?: FormatId | 'auto'): SampleSet {
  if (text.trim() === '') throw new ParseError(`${source}:1: the file is empty`, 'export the results again; the tool may have failed before writing them');
  const json = looksLikeJson(text);
  let doc: unknown;
  if (format && format !== 'auto') {
    const chosen = FORMATS.find((f) => f.id === format);
    if (!chosen) throw new ParseError(`unknown format "${format}"`, `use one of: ${FORMAT_IDS.join(', ')}`);
    if (chosen.kind === 'json') doc = parseJsonText(text, source);
    return runParser(chosen, text, doc, source);
  }
  if (json) doc = parseJsonText(text, source);
  const scored = FORMATS.filter((f) => (f.kind === 'json') === json)
    .map((f) => ({ f, score: f.kind === 'json' ? (f as JsonFormat).detect(doc) : (f as TextFormat).detect(text) }))
    .sort((a, b) => b.score - a.score);
  const best = scored[0];
  if (best && best.score >= MATCH) return runParser(best.f, text, doc, source);
  const tried = FORMATS.map((f) => f.id).join(', ');
  const closest = best && best.score > 0 ? ` Closest match: ${best.f.label} (${Math.round(best.score * 100)}% of its markers present).` : '';
  throw new ParseError(
    `${source}: unrecognised benchmark format (tried ${tried}).${closest}`,
    'pass `format` explicitly if the file is one of these, or convert it to CSV "name,value[,unit]"',
  );
}
