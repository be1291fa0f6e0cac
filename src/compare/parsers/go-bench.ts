import { defined } from '../../common/errors.js';
import { directionForUnit, type Benchmark } from '../model.js';
import { tidyUnit } from '../units.js';
import { ParseError } from './errors.js';
import type { TextFormat } from './types.js';

/**
 * Go benchmark text format (golang.org/design/14313-benchmark-format), benchstat's input:
 *   key: value                                   configuration lines (goos, goarch, pkg, cpu, …)
 *   BenchmarkName-8   1000000   1234 ns/op   56 B/op   2 allocs/op
 *   Unit text-bytes assume=exact                 unit metadata (benchfmt): exact units have no noise
 * Each run of the same benchmark is one sample; every value/unit pair is its own row. Names
 * keep their `-N` GOMAXPROCS suffix, as benchstat prints them: BenchmarkX-8 and BenchmarkX-16
 * ran with different GOMAXPROCS and are different rows. Values are tidied as benchfmt does
 * (ns/op → sec/op, MB/s → B/s). Each record carries the configuration lines in effect where it
 * was read (benchstat's `.config`), so a `note:` that changes mid-file splits the rows, and
 * projections can group by `goos` or `note`. Other lines (PASS, ok …, test output) are ignored.
 */
// benchfmt: a key starts with a lower-case letter and has no spaces or upper-case letters.
const CONFIG_LINE = /^(\p{Ll}[^\s\p{Lu}:]*):(?:\s+(.*)|)$/u;
const UNIT_LINE = /^Unit\s+(\S+)((?:\s+[^\s=]+=\S*)+)\s*$/;

function isDigits(text: string): boolean {
  if (!text.length) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

export const goBenchFormat: TextFormat = {
  id: 'go-bench',
  label: 'Go -bench text',
  kind: 'text',
  detect(text) {
    const head = text.slice(0, 64_000);
    if (/^Benchmark\S*\s+\d+\s+[-+\d.eE]+ \S+/m.test(head)) return 1;
    if (/^Benchmark\S*/m.test(head)) return 0.5;
    if (/^(goos|goarch|pkg|cpu):/m.test(head)) return 0.3;
    return 0;
  },
  parse(text, source) {
    // Rows by full name, configuration and unit. Hand-tokenised: a 50 MB file has ~600 k lines
    // and split(/\s+/) + a joined-string key per value cost several times more (bench/compare).
    const rows = new Map<string, Benchmark & { values: number[] }>();
    const order: Benchmark[] = [];
    const context: Record<string, string> = {};
    const assumptions = new Map<string, 'exact' | 'normal' | 'nothing'>();
    const procs = new Set<string>();
    const fields: string[] = [];
    let config: Record<string, string> = {};
    let configKey = '';
    let lineNumber = 0;
    let start = 0;
    let benchLines = 0;
    const length = text.length;
    while (start <= length) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = length;
      lineNumber++;
      const lineStart = start;
      start = end + 1;
      if (text.startsWith('Benchmark', lineStart)) {
        // "Benchmark" followed by a lower-case letter is not a benchmark (e.g. "Benchmarking…").
        const next = text.charCodeAt(lineStart + 9);
        if (next >= 97 && next <= 122) continue;
        fields.length = 0;
        let i = lineStart;
        const stop = end > lineStart && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
        while (i < stop) {
          let c = text.charCodeAt(i);
          while (i < stop && (c === 32 || c === 9)) c = text.charCodeAt(++i);
          if (i >= stop) break;
          const fieldStart = i;
          while (i < stop && c !== 32 && c !== 9) c = text.charCodeAt(++i);
          fields.push(text.slice(fieldStart, i));
        }
        const [fullName = '', iterations = ''] = fields;
        if (fields.length < 4 || fields.length % 2 !== 0 || !isDigits(iterations)) {
          throw new ParseError(
            `${source}:${lineNumber}: malformed Go benchmark line "${text.slice(lineStart, Math.min(stop, lineStart + 120))}"`,
            'expected "BenchmarkName-N  <iterations>  <value> <unit> [<value> <unit>…]"',
          );
        }
        const name = fullName.slice('Benchmark'.length);
        const gomaxprocs = /-(\d+)$/.exec(name)?.[1];
        if (gomaxprocs !== undefined) procs.add(gomaxprocs);
        for (let f = 2; f < fields.length; f += 2) {
          const raw = Number(fields[f]);
          // fields.length is even, so every value at an even index has its unit after it.
          const rawUnit = defined(fields[f + 1], 'the unit after a value');
          if (!Number.isFinite(raw)) {
            throw new ParseError(`${source}:${lineNumber}: "${fields[f]}" is not a number (benchmark ${fullName}, unit ${rawUnit})`, 'fix or remove the line');
          }
          const { unit, factor } = tidyUnit(rawUnit);
          const key = `${name}\u0000${unit}\u0000${configKey}`;
          let row = rows.get(key);
          if (!row) {
            row = { name: name || fullName, unit, direction: directionForUnit(unit), values: [], ...(configKey ? { config } : {}) };
            rows.set(key, row);
            order.push(row);
          }
          row.values.push(factor === 1 ? raw : raw * factor);
        }
        benchLines++;
        continue;
      }
      // Configuration and unit lines are short; only those are worth a regular expression.
      if (end - lineStart > 400) continue;
      const line = text.slice(lineStart, end).replace(/\r$/, '');
      if (line.startsWith('Unit')) {
        const unitLine = UNIT_LINE.exec(line);
        // Both groups are required by UNIT_LINE: a match has them.
        const [, unitName, metadata] = unitLine ?? [];
        if (unitName !== undefined && metadata !== undefined) {
          const assume = /(?:^|\s)assume=(\S*)/.exec(metadata)?.[1];
          if (assume === 'exact' || assume === 'normal' || assume === 'nothing') {
            assumptions.set(unitName, assume);
            assumptions.set(tidyUnit(unitName).unit, assume);
          }
          continue;
        }
      }
      const match = CONFIG_LINE.exec(line);
      const configName = match?.[1];
      if (match && configName !== undefined && configName !== 'ok') {
        const value = (match[2] ?? '').trim();
        context[configName] = value;
        const nextConfig = { ...config };
        // An empty value deletes the key (benchfmt).
        if (value === '') delete nextConfig[configName];
        else nextConfig[configName] = value;
        config = nextConfig;
        configKey = Object.entries(config)
          .map(([k, v]) => `${k}=${v}`)
          .join('\u0001');
      }
    }
    if (benchLines === 0) throw new ParseError(`${source}: no Benchmark lines found`, 'run `go test -bench . -count 10 > file.txt` and pass that file');
    if (procs.size) context.gomaxprocs = [...procs].sort().join(',');
    for (const row of order) {
      const assume = assumptions.get(row.unit);
      if (assume) row.assume = assume;
    }
    return { benchmarks: order, context, notes: [] };
  },
};
