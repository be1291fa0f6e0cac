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
const BENCH_START = /^Benchmark[^\s]*/;

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
    const rows = new Map<string, Benchmark>();
    const context: Record<string, string> = {};
    let lineNumber = 0;
    let start = 0;
    let benchLines = 0;
    const procs = new Set<string>();
    while (start <= text.length) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      lineNumber++;
      const line = text.slice(start, end).replace(/\r$/, '');
      start = end + 1;
      if (line.startsWith('Benchmark')) {
        const fields = line.split(/\s+/).filter(Boolean);
        const fullName = fields[0]!;
        // "BenchmarkFoo" followed by a lower-case letter is not a benchmark (e.g. "Benchmarking…").
        if (fullName.length > 9 && /[a-z]/.test(fullName[9]!)) continue;
        if (fields.length < 4 || fields.length % 2 !== 0 || !/^\d+$/.test(fields[1]!)) {
          throw new ParseError(
            `${source}:${lineNumber}: malformed Go benchmark line "${line.slice(0, 120)}"`,
            'expected "BenchmarkName-N  <iterations>  <value> <unit> [<value> <unit>…]"',
          );
        }
        const procMatch = /-(\d+)$/.exec(fullName);
        const base = (procMatch ? fullName.slice(0, -procMatch[0].length) : fullName).replace(/^Benchmark/, '');
        if (procMatch) procs.add(procMatch[1]!);
        for (let i = 2; i < fields.length; i += 2) {
          const value = Number(fields[i]);
          const unit = fields[i + 1]!;
          if (!Number.isFinite(value)) {
            throw new ParseError(`${source}:${lineNumber}: "${fields[i]}" is not a number (benchmark ${fullName}, unit ${unit})`, 'fix or remove the line');
          }
          const key = `${base}\u0000${unit}`;
          let row = rows.get(key);
          if (!row) {
            row = { name: base, unit, direction: directionForUnit(unit), values: [] };
            rows.set(key, row);
          }
          row.values!.push(value);
        }
        benchLines++;
        continue;
      }
      const config = CONFIG_LINE.exec(line);
      if (config && !line.startsWith('ok ') && config[1] !== 'ok') context[config[1]!] = config[2]!.trim();
    }
    if (benchLines === 0) throw new ParseError(`${source}: no Benchmark lines found`, 'run `go test -bench . -count 10 > file.txt` and pass that file');
    if (procs.size) context.gomaxprocs = [...procs].sort().join(',');
    return { benchmarks: [...rows.values()], context, notes: [] };
  },
};
