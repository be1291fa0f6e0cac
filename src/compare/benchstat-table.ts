import { defined } from '../common/errors.js';
import type { AnalysedRow, Geomean } from './analyse.js';
import { geometricMean } from './stats/geomean.js';
import { commonScale, isBinaryUnit } from './units.js';

/**
 * The comparison as benchstat prints it (cmd/benchstat/internal/benchtab ToText / ToCSV): one
 * table per configuration and unit, a column per input (the first is the base), medians with
 * SI prefixes shared by the row, "± x%" for the CI, "~ (p=0.446 n=10)" or "-17.20% (p=0.000
 * n=10)" against the base, a geomean row, and footnotes (¹ ²) for benchstat's warnings — so
 * its users read it at a glance. p is the one that decided the row (after our correction,
 * when one is on).
 */
export interface BenchstatTable {
  /** Configuration lines to print above the table ("goos: linux"). */
  config: Array<[string, string]>;
  unit: string;
  columns: string[];
  rows: Array<{ name: string; cells: Array<Cell | undefined> }>;
  geomean?: Array<{ value: number | null; deltaPct: number | null | undefined; notes: string[] }>;
}

interface Cell {
  center: number;
  low: number | null;
  high: number | null;
  notes: string[];
  delta?: string;
  comparison?: string;
  comparisonNotes?: string[];
}

const SUPERSCRIPT = '⁰¹²³⁴⁵⁶⁷⁸⁹';
function superscript(i: number): string {
  return String(i)
    .split('')
    .map((d) => SUPERSCRIPT[Number(d)])
    .join('');
}

function parseConfig(table: string | undefined): Array<[string, string]> {
  if (!table) return [];
  // configKey joins "key=value" pairs with spaces; values may contain spaces, keys may not.
  const out: Array<[string, string]> = [];
  const re = /(?:^| )([^\s=]+)=/g;
  const starts: Array<{ key: string; at: number; valueAt: number }> = [];
  let m: RegExpExecArray | null;
  while ((m = re.exec(table)) !== null) starts.push({ key: defined(m[1], 'configuration key'), at: m.index, valueAt: re.lastIndex });
  starts.forEach((s, i) => out.push([s.key, table.slice(s.valueAt, starts[i + 1]?.at ?? table.length)]));
  return out;
}

/** benchmath Summary.PctRangeString. */
function pctRange(center: number, low: number | null, high: number | null): string {
  if (low === null || high === null || !Number.isFinite(low) || !Number.isFinite(high)) return '∞';
  if (Math.sign(center) !== Math.sign(low) || Math.sign(center) !== Math.sign(high)) return '?';
  if (center === 0) return '0%';
  return `${(100 * Math.max(high / center - 1, 1 - low / center)).toFixed(0)}%`;
}

/** benchmath Comparison.String. */
function comparisonText(row: AnalysedRow): string {
  const p = row.pAdjusted;
  const prefix = p === null || p === 0 ? '' : `p=${p.toFixed(3)} `;
  return prefix + (row.baseline.n === row.candidate.n ? `n=${row.baseline.n}` : `n=${row.baseline.n}+${row.candidate.n}`);
}

/** benchmath Comparison.FormatDelta. */
function deltaText(row: AnalysedRow): string {
  const old = row.baseline.median;
  const now = row.candidate.median;
  if (!row.significant) return '~';
  if (old === null || now === null) return '?';
  if (old === now) return '0.00%';
  if (old === 0) return '?';
  const pct = (now / old - 1) * 100;
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(2)}%`;
}

export function buildBenchstatTables(rows: AnalysedRow[], geomeans: Geomean[], baseLabel: string, candidateLabels: string[]): BenchstatTable[] {
  const columns = [baseLabel, ...candidateLabels];
  const tables = new Map<string, { table: BenchstatTable; byName: Map<string, Array<Cell | undefined>> }>();
  for (const row of rows) {
    if (row.test === 'quantile-ci' || row.test === 'welch' || (row.test === 'none' && !row.onlyIn)) continue;
    const key = `${row.table ?? ''}\u0000${row.unit}`;
    let entry = tables.get(key);
    if (!entry) {
      entry = { table: { config: parseConfig(row.table), unit: row.unit, columns, rows: [] }, byName: new Map() };
      tables.set(key, entry);
    }
    let cells = entry.byName.get(row.name);
    if (!cells) {
      cells = columns.map(() => undefined);
      entry.byName.set(row.name, cells);
      entry.table.rows.push({ name: row.name, cells });
    }
    const notes = row.footnotes ?? { baseline: [], candidate: [], comparison: [] };
    if (row.baseline.median !== null && !cells[0])
      cells[0] = { center: row.baseline.median, low: row.baseline.ciLow, high: row.baseline.ciHigh, notes: notes.baseline };
    const k = candidateLabels.indexOf(row.against) + 1;
    if (k > 0 && row.candidate.median !== null) {
      cells[k] = {
        center: row.candidate.median,
        low: row.candidate.ciLow,
        high: row.candidate.ciHigh,
        notes: notes.candidate,
        ...(row.onlyIn ? {} : { delta: deltaText(row), comparison: comparisonText(row), comparisonNotes: notes.comparison }),
      };
    }
  }
  for (const { table } of tables.values()) {
    // A table shows only the columns that have results in it (benchstat: a configuration that
    // only one input has makes a one-column table, with nothing to compare against).
    const present = columns.map((_, i) => table.rows.some((r) => r.cells[i] !== undefined));
    if (present.some((p) => !p)) {
      table.columns = columns.filter((_, i) => present[i]);
      for (const r of table.rows) r.cells = r.cells.filter((_, i) => present[i]);
      if (!present[0])
        for (const r of table.rows)
          if (r.cells[0]) r.cells[0] = { center: r.cells[0].center, low: r.cells[0].low, high: r.cells[0].high, notes: r.cells[0].notes };
    }
    const tableKey = table.config.map(([k, v]) => `${k}=${v}`).join(' ');
    table.geomean = table.columns.map((column, i) => {
      const centers = table.rows.map((r) => r.cells[i]?.center).filter((v): v is number => v !== undefined);
      const notes: string[] = [];
      let value: number | null = null;
      if (centers.length && centers.every((v) => v > 0)) value = geometricMean(centers);
      else if (centers.length) notes.push('summaries must be >0 to compute geomean');
      if (i === 0) return { value, deltaPct: undefined, notes };
      const g = geomeans.find((x) => x.unit === table.unit && x.against === column && (x.table ?? '') === tableKey);
      const baseCount = table.rows.filter((r) => r.cells[0]).length;
      const both = table.rows.filter((r) => r.cells[0] && r.cells[i]).length;
      if (both !== baseCount || table.rows.some((r) => !r.cells[0] && r.cells[i]))
        notes.push('benchmark set differs from baseline; geomeans may not be comparable');
      return { value, deltaPct: g?.deltaPct ?? null, notes };
    });
  }
  return [...tables.values()].map((e) => e.table);
}

const padLeft = (s: string, w: number) => ' '.repeat(Math.max(0, w - [...s].length)) + s;
const padRight = (s: string, w: number) => s + ' '.repeat(Math.max(0, w - [...s].length));
const center = (s: string, w: number) => {
  const extra = Math.max(0, w - [...s].length);
  return ' '.repeat(Math.floor(extra / 2)) + s + ' '.repeat(Math.ceil(extra / 2));
};

export function renderBenchstatText(tables: BenchstatTable[]): string {
  const out: string[] = [];
  let previousConfig = new Map<string, string>();
  tables.forEach((table, t) => {
    if (t > 0) out.push('');
    for (const [k, v] of table.config) if (previousConfig.get(k) !== v) out.push(`${k}: ${v}`);
    previousConfig = new Map(table.config);
    const footnotes: string[] = [];
    const mark = (notes: string[] | undefined) =>
      (notes ?? [])
        .map((n) => {
          let i = footnotes.indexOf(n);
          if (i < 0) i = footnotes.push(n) - 1;
          return superscript(i + 1);
        })
        .join(' ');
    const binary = isBinaryUnit(table.unit);
    // Fields per column: value, "± x%", marks; and for columns after the base: delta, "(p n)", marks.
    const body = table.rows.map((row) => {
      const scale = commonScale(
        row.cells.filter((c): c is Cell => c !== undefined).map((c) => c.center),
        binary,
      );
      return [
        row.name,
        ...row.cells.flatMap((cell, i) => {
          const main = cell ? [scale.format(cell.center), `± ${pctRange(cell.center, cell.low, cell.high)}`, mark(cell.notes)] : ['', '', ''];
          if (i === 0) return main;
          return [...main, ...(cell?.delta !== undefined ? [cell.delta, `(${cell.comparison})`, mark(cell.comparisonNotes)] : ['', '', ''])];
        }),
      ];
    });
    if (table.geomean && table.rows.length > 1) {
      body.push([
        'geomean',
        ...table.geomean.flatMap((g, i) => {
          const main = [g.value === null ? '' : commonScale([g.value], binary).format(g.value), '', i === 0 ? mark(g.notes) : ''];
          if (i === 0) return main;
          const delta = g.deltaPct === null || g.deltaPct === undefined ? '?' : `${g.deltaPct >= 0 ? '+' : ''}${g.deltaPct.toFixed(2)}%`;
          return [...main, delta, '', mark(g.notes)];
        }),
      ]);
    }
    const width = (i: number) => Math.max(0, ...body.map((r) => [...(r[i] ?? '')].length));
    const widths = (body[0] ?? []).map((_, i) => width(i));
    // Every field index below is one of body[0]'s; a missing one takes no room.
    const widthOf = (i: number) => widths[i] ?? 0;
    const field = (r: string[], i: number) => {
      const text = r[i] ?? '';
      // value right-aligned, "± x%" left, marks left; delta right, "(p n)" left, marks left.
      const position = i === 0 ? -1 : (i - 1) % 6 === 0 ? 0 : (i - 1) % 6;
      if (i === 0) return padRight(text, widthOf(i));
      return position === 0 || position === 3 ? padLeft(text, widthOf(i)) : padRight(text, widthOf(i));
    };
    // Column k's fields: [1, 4) for the base, then six per column; separated by one space,
    // columns by three (benchstat's " │ " margin, which the header draws).
    const valueFieldOf = (k: number) => (k === 0 ? 1 : 4 + (k - 1) * 6);
    const allFieldsOf = (k: number) => (k === 0 ? [1, 2, 3] : [0, 1, 2, 3, 4, 5].map((j) => valueFieldOf(k) + j));
    // Empty footnote fields take no room (benchstat's shrinkable columns).
    const fieldsOf = (k: number) => allFieldsOf(k).filter((i, j) => j === 0 || widthOf(i) > 0);
    const columnWidth = (k: number) => fieldsOf(k).reduce((w, i) => w + widthOf(i), 0) + fieldsOf(k).length - 1;
    // Widen a column's value field when its label (or unit) is wider than its cells.
    table.columns.forEach((label, k) => {
      const need = Math.max([...label].length, [...table.unit].length + (k > 0 ? 9 : 0));
      const have = columnWidth(k);
      if (have < need) widths[valueFieldOf(k)] = widthOf(valueFieldOf(k)) + need - have;
    });
    const header1 = `${padRight('', widthOf(0))}${table.columns.map((c, k) => ` │ ${center(c, columnWidth(k))}`).join('')} │`;
    const header2 = `${padRight('', widthOf(0))}${table.columns
      .map((_, k) => {
        if (k === 0) return ` │ ${center(table.unit, columnWidth(k))}`;
        const valueWidth = widthOf(valueFieldOf(k)) + 1 + widthOf(valueFieldOf(k) + 1);
        return ` │ ${padRight(`${center(table.unit, valueWidth)}  vs base`, columnWidth(k))}`;
      })
      .join('')} │`;
    out.push(header1, header2);
    for (const r of body) {
      const columnsText = table.columns.map((_, k) =>
        fieldsOf(k)
          .map((i) => field(r, i))
          .join(' '),
      );
      out.push(`${field(r, 0)}${columnsText.map((t) => `   ${t}`).join('')}`.trimEnd());
    }
    footnotes.forEach((n, i) => out.push(`${superscript(i + 1)} ${n}`));
  });
  return out.join('\n');
}

/** Go's fmt.Sprint of a float64 (%g with the shortest digits): exponent form when the exponent is < −4 or ≥ 6. */
function goFloat(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return String(v);
  const [mantissa, e] = v.toExponential().split('e');
  const exp = Number(e);
  if (exp < -4 || exp >= 6) {
    return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(v);
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** benchtab ToCSV: full-precision centres, the CI as a percentage, delta and "p=… n=…". */
export function renderBenchstatCsv(tables: BenchstatTable[]): string {
  const lines: string[][] = [];
  let previousConfig = new Map<string, string>();
  tables.forEach((table, t) => {
    if (t > 0) lines.push(['']);
    for (const [k, v] of table.config) if (previousConfig.get(k) !== v) lines.push([`${k}: ${v}`]);
    previousConfig = new Map(table.config);
    lines.push(['', ...table.columns.flatMap((c, k) => (k === 0 ? [c, ''] : [c, '', '', '']))]);
    lines.push(['', ...table.columns.flatMap((_, k) => (k === 0 ? [table.unit, 'CI'] : [table.unit, 'CI', 'vs base', 'P']))]);
    for (const row of table.rows) {
      const line = [row.name];
      row.cells.forEach((cell, k) => {
        const fields = cell ? [goFloat(cell.center), pctRange(cell.center, cell.low, cell.high)] : ['', ''];
        line.push(...fields);
        if (k > 0) line.push(cell?.delta ?? '', cell?.comparison ?? '');
      });
      // encoding/csv writes the fields benchstat filled: a row stops at its last cell.
      while (line.length > 1 && line[line.length - 1] === '') line.pop();
      lines.push(line);
    }
    if (table.geomean) {
      const line = ['geomean'];
      table.geomean.forEach((g, k) => {
        line.push(g.value === null ? '' : goFloat(g.value), '');
        if (k > 0) line.push(g.deltaPct === null || g.deltaPct === undefined ? '?' : `${g.deltaPct >= 0 ? '+' : ''}${g.deltaPct.toFixed(2)}%`, '');
      });
      lines.push(line);
    }
  });
  // Trailing empty cells are trimmed, as encoding/csv writes what it was given.
  return `${lines.map((l) => l.map(csvField).join(',')).join('\n')}\n`;
}
