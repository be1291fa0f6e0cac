import { directionForUnit, type Benchmark } from '../model.js';
import { ParseError } from './errors.js';
import type { TextFormat } from './types.js';

/**
 * Go benchmark text format (golang.org/design/14313-benchmark-format), benchstat's input:
 *   key: value                                   configuration lines (goos, goarch, pkg, cpu, …)
 *   BenchmarkName-8   1000000   1234 ns/op   56 B/op   2 allocs/op
 * Each run of the same benchmark is one sample; every value/unit pair is its own row. The
 * `-N` GOMAXPROCS suffix is split off, as benchfmt does, so runs with different -cpu match
 * only by name + procs. Other lines (PASS, ok …, test output) are ignored, as benchstat does.
 */
const CONFIG_LINE = /^([a-z][^\s:]*):\s*(.*)$/;

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
    // Rows by benchmark name, then by unit. Hand-tokenised: a 50 MB file has ~600 k lines and
    // split(/\s+/) + a joined-string key per value cost several times more (bench/compare).
    const byName = new Map<string, { base: string; units: Map<string, Benchmark> }>();
    const order: Benchmark[] = [];
    const context: Record<string, string> = {};
    const procs = new Set<string>();
    const fields: string[] = [];
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
        if (fields.length < 4 || fields.length % 2 !== 0 || !isDigits(fields[1]!)) {
          throw new ParseError(
            `${source}:${lineNumber}: malformed Go benchmark line "${text.slice(lineStart, Math.min(stop, lineStart + 120))}"`,
            'expected "BenchmarkName-N  <iterations>  <value> <unit> [<value> <unit>…]"',
          );
        }
        const fullName = fields[0]!;
        let entry = byName.get(fullName);
        if (!entry) {
          const procMatch = /-(\d+)$/.exec(fullName);
          if (procMatch) procs.add(procMatch[1]!);
          const base = (procMatch ? fullName.slice(0, -procMatch[0].length) : fullName).replace(/^Benchmark/, '');
          // Two -N variants of one benchmark share the base name (and so one row), as in benchstat without -cpu columns.
          const existing = [...byName.values()].find((e) => e.base === base);
          entry = existing ?? { base, units: new Map() };
          byName.set(fullName, entry);
        }
        for (let f = 2; f < fields.length; f += 2) {
          const value = Number(fields[f]);
          const unit = fields[f + 1]!;
          if (!Number.isFinite(value)) {
            throw new ParseError(`${source}:${lineNumber}: "${fields[f]}" is not a number (benchmark ${fullName}, unit ${unit})`, 'fix or remove the line');
          }
          let row = entry.units.get(unit);
          if (!row) {
            row = { name: entry.base, unit, direction: directionForUnit(unit), values: [] };
            entry.units.set(unit, row);
            order.push(row);
          }
          row.values!.push(value);
        }
        benchLines++;
        continue;
      }
      // Configuration lines are short; only those are worth a regular expression.
      if (end - lineStart > 400) continue;
      const line = text.slice(lineStart, end).replace(/\r$/, '');
      const config = CONFIG_LINE.exec(line);
      if (config && config[1] !== 'ok') context[config[1]!] = config[2]!.trim();
    }
    if (benchLines === 0) throw new ParseError(`${source}: no Benchmark lines found`, 'run `go test -bench . -count 10 > file.txt` and pass that file');
    if (procs.size) context.gomaxprocs = [...procs].sort().join(',');
    return { benchmarks: order, context, notes: [] };
  },
};
