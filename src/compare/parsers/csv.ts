import { directionForUnit, type Benchmark } from '../model.js';
import { ParseError } from './errors.js';
import type { TextFormat } from './types.js';

/** Splits one CSV record (RFC 4180 quoting: "a,b" and "" inside quotes). */
function splitCsvLine(line: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= line.length) return undefined; // unterminated quote
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += line[i++];
      }
      out.push(value);
      if (i < line.length && line[i] !== ',') return undefined;
      i++;
    } else {
      const comma = line.indexOf(',', i);
      const end = comma === -1 ? line.length : comma;
      out.push(line.slice(i, end).trim());
      i = end + 1;
    }
  }
  return out;
}

/**
 * CSV with one sample per row: `name,value[,unit]`, optional header. Rows with the same name
 * (and unit) are the samples of one benchmark. The unit defaults to "value" (lower is better)
 * unless a header names the value column, e.g. `name,ms` or `name,req/s`.
 */
export const csvFormat: TextFormat = {
  id: 'csv',
  label: 'CSV (name,value[,unit])',
  kind: 'text',
  detect(text) {
    const lines = text
      .slice(0, 8000)
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .slice(0, 10);
    const first = lines[0];
    if (first === undefined || first.startsWith('{') || first.startsWith('[')) return 0;
    const fields = lines.map((l) => splitCsvLine(l));
    const shaped = fields.filter((f) => f && f.length >= 2 && f.length <= 3).length / lines.length;
    const numeric = fields.slice(1).filter((f) => f && Number.isFinite(Number(f[1])) && f[1] !== '').length / Math.max(1, lines.length - 1);
    return lines.length === 1 ? shaped * 0.5 : shaped * 0.5 + numeric * 0.45;
  },
  parse(text, source) {
    const rows = new Map<string, Benchmark & { values: number[] }>();
    let defaultUnit = 'value';
    let lineNumber = 0;
    let seenData = false;
    for (const rawLine of text.split('\n')) {
      lineNumber++;
      const line = rawLine.replace(/\r$/, '');
      if (!line.trim() || line.trimStart().startsWith('#')) continue;
      const fields = splitCsvLine(line);
      if (!fields || fields.length < 2 || fields.length > 3) {
        throw new ParseError(
          `${source}:${lineNumber}: expected "name,value[,unit]", got "${line.slice(0, 120)}"`,
          'one sample per row; quote names that contain commas',
        );
      }
      const [name, valueText, unitField] = fields as [string, string, string | undefined];
      const value = Number(valueText);
      if (!seenData && (valueText === '' || !Number.isFinite(value))) {
        // A header row: its second column may carry the unit ("name,ms").
        if (valueText && !/^(value|values|sample|time|result)$/i.test(valueText)) defaultUnit = valueText;
        seenData = true;
        continue;
      }
      seenData = true;
      if (valueText === '' || !Number.isFinite(value)) {
        throw new ParseError(`${source}:${lineNumber}: "${valueText}" is not a number (benchmark "${name}")`, 'the second column must hold one numeric sample');
      }
      if (!name) throw new ParseError(`${source}:${lineNumber}: empty benchmark name`, 'the first column names the benchmark');
      const unit = unitField || defaultUnit;
      const key = `${name}\u0000${unit}`;
      let row = rows.get(key);
      if (!row) {
        row = { name, unit, direction: directionForUnit(unit), values: [] };
        rows.set(key, row);
      }
      row.values.push(value);
    }
    if (!rows.size) throw new ParseError(`${source}: no samples in the CSV`, 'expected rows like "parse,12.3,ms"');
    return { benchmarks: [...rows.values()], context: {}, notes: [] };
  },
};
