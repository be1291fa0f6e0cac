import { defined, UserError } from '../common/errors.js';
import type { Benchmark, SampleSet } from './model.js';

/**
 * benchstat's projections (golang.org/x/perf/benchproc, syntax in benchproc/syntax): which
 * results are kept (`filter`), and which keys make the rows, the columns and the tables
 * (`row`, `col`, `table`), with `ignore` dropping keys from the default grouping. Keys:
 *   .name        benchmark name without sub-benchmark parts ("Copy" of "Copy/size=4k-16")
 *   .fullname    the whole name ("Copy/size=4k-16") minus name keys projected elsewhere
 *   /key         a name part "key=value"; /gomaxprocs also reads the "-N" suffix
 *   .file        the input (its label or path)
 *   .unit        the unit (filters only)
 *   .config      all configuration keys not projected elsewhere or ignored (tables)
 *   anything else  a configuration line of the file ("goos", "pkg", "note")
 * The columns become the inputs compared (the first is the baseline), so `col: "/format"`
 * compares within one file. Written here: benchproc has no JavaScript counterpart.
 */
export interface ProjectionOptions {
  filter?: string;
  row?: string;
  col?: string;
  table?: string;
  ignore?: string;
}

interface ResultRecord {
  set: SampleSet;
  bench: Benchmark;
}

const HELP =
  'filter terms are key:value, key:/regexp/, key:(a OR b), *, -term, AND, OR and parentheses; keys are .name, .fullname, /name-key, .file, .unit or a config key such as goos';

/** Name parts: "Copy/size=4k-16" → base "Copy", parts [["size", "4k"]], procs "16". */
function splitName(fullname: string): { base: string; parts: Array<[string, string]>; procs?: string } {
  let name = fullname;
  let procs: string | undefined;
  const m = /-(\d+)$/.exec(name);
  if (m) {
    procs = m[1];
    name = name.slice(0, -m[0].length);
  }
  const [base, ...rest] = name.split('/');
  const parts: Array<[string, string]> = rest.map((p, i) => {
    const eq = p.indexOf('=');
    return eq >= 0 ? [p.slice(0, eq), p.slice(eq + 1)] : [`${i}`, p];
  });
  return { base: base ?? '', parts, procs };
}

function keyValue(record: ResultRecord, key: string, exclude: Set<string>): string {
  const { bench, set } = record;
  switch (key) {
    case '.name':
      return splitName(bench.name).base;
    case '.fullname': {
      const { base, parts, procs } = splitName(bench.name);
      const kept = parts.filter(([k]) => !exclude.has(`/${k}`)).map(([k, v]) => (/^\d+$/.test(k) ? v : `${k}=${v}`));
      return [base, ...kept].join('/') + (procs !== undefined && !exclude.has('/gomaxprocs') ? `-${procs}` : '');
    }
    case '.file':
      return set.source;
    case '.unit':
      return bench.unit;
    case '.config':
      return Object.entries(bench.config ?? {})
        .filter(([k]) => !exclude.has(k))
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ');
  }
  if (key.startsWith('/')) {
    const { parts, procs } = splitName(bench.name);
    const name = key.slice(1);
    const found = parts.find(([k]) => k === name);
    if (found) return found[1];
    return name === 'gomaxprocs' ? (procs ?? '') : '';
  }
  return bench.config?.[key] ?? set.context[key] ?? '';
}

// ---- filter expressions -------------------------------------------------------------------

type Matcher = (record: ResultRecord) => boolean;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charAt(i);
    if (/\s/.test(c)) {
      i++;
    } else if ('()-*:'.includes(c)) {
      tokens.push(c);
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) throw new UserError(`filter: unterminated string in "${text}"`, HELP);
      tokens.push(text.slice(i, j + 1));
      i = j + 1;
    } else if (c === '/' && tokens[tokens.length - 1] === ':') {
      // A regexp value: up to the next unescaped '/'.
      let j = i + 1;
      while (j < text.length && text[j] !== '/') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) throw new UserError(`filter: unterminated /regexp/ in "${text}"`, HELP);
      tokens.push(text.slice(i, j + 1));
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s():]/.test(text.charAt(j))) j++;
      tokens.push(text.slice(i, j));
      i = j;
    }
  }
  return tokens;
}

function unquote(word: string): string {
  return word.startsWith('"') ? (JSON.parse(word) as string) : word;
}

export function parseFilter(text: string): Matcher {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => tokens[pos++];
  const valueMatcher = (word: string): ((value: string) => boolean) => {
    if (word.length >= 2 && word.startsWith('/') && word.endsWith('/')) {
      let re: RegExp;
      try {
        re = new RegExp(word.slice(1, -1));
      } catch (error) {
        throw new UserError(`filter: bad regexp ${word} (${(error as Error).message})`, HELP);
      }
      return (v) => re.test(v);
    }
    const literal = unquote(word);
    return (v) => v === literal;
  };
  const term = (key: string, test: (value: string) => boolean): Matcher => {
    const exclude = new Set<string>();
    if (key === '.unit') {
      // benchstat matches both the original and the tidied unit: ns/op also selects sec/op.
      return (r) => test(r.bench.unit) || (r.bench.unit === 'sec/op' && test('ns/op')) || (r.bench.unit === 'B/s' && test('MB/s'));
    }
    return (r) => test(keyValue(r, key, exclude));
  };
  const parseMatch = (): Matcher => {
    const t = next();
    if (t === undefined) throw new UserError(`filter "${text}" ends too early`, HELP);
    if (t === '(') {
      const inner = parseExpr();
      if (next() !== ')') throw new UserError(`filter "${text}": missing ")"`, HELP);
      return inner;
    }
    if (t === '-') {
      const inner = parseMatch();
      return (r) => !inner(r);
    }
    if (t === '*') return () => true;
    if (peek() !== ':') throw new UserError(`filter "${text}": expected key:value at "${t}"`, HELP);
    next();
    const key = unquote(t);
    if (peek() === '(') {
      next();
      const tests: Array<(value: string) => boolean> = [];
      for (;;) {
        const word = next();
        if (word === undefined) throw new UserError(`filter "${text}": missing ")"`, HELP);
        if (word === ')') break;
        if (word === 'OR') continue;
        tests.push(valueMatcher(word));
      }
      return term(key, (v) => tests.some((f) => f(v)));
    }
    const word = next();
    if (word === undefined || word === ')' || word === '(') throw new UserError(`filter "${text}": missing value after "${key}:"`, HELP);
    return term(key, valueMatcher(word));
  };
  const parseAnd = (): Matcher => {
    const parts = [parseMatch()];
    while (pos < tokens.length && peek() !== 'OR' && peek() !== ')') {
      if (peek() === 'AND') next();
      parts.push(parseMatch());
    }
    return (r) => parts.every((p) => p(r));
  };
  const parseExpr = (): Matcher => {
    const parts = [parseAnd()];
    while (peek() === 'OR') {
      next();
      parts.push(parseAnd());
    }
    return (r) => parts.some((p) => p(r));
  };
  const matcher = parseExpr();
  if (pos < tokens.length) throw new UserError(`filter "${text}": unexpected "${tokens[pos]}"`, HELP);
  return matcher;
}

// ---- projections --------------------------------------------------------------------------

interface Field {
  key: string;
  /** @(a b c): fixed order, and a filter. */
  fixed?: string[];
  order?: 'alpha' | 'num';
}

export function parseProjection(text: string, name: string): Field[] {
  const fields: Field[] = [];
  const re = /\s*([^\s,@()]+)(?:@(\(([^)]*)\)|\w+))?\s*,?/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while (consumed < text.length && (m = re.exec(text)) !== null) {
    if (m[0] === '') break;
    consumed = re.lastIndex;
    const field: Field = { key: defined(m[1], 'projection key') };
    if (m[3] !== undefined) field.fixed = m[3].split(/\s+/).filter(Boolean);
    else if (m[2] === 'alpha' || m[2] === 'num') field.order = m[2];
    else if (m[2] !== undefined) throw new UserError(`${name} "${text}": unknown order @${m[2]}`, 'use @alpha, @num or @(value value …)');
    fields.push(field);
  }
  if (text.slice(consumed).trim())
    throw new UserError(`${name} "${text}" is not a projection`, 'a comma- or space-separated list of keys, e.g. "/format" or "goos,.name"');
  return fields;
}

/** "2k" → 2000, "1Mi" → 1048576 (benchproc's @num order). */
function numericValue(text: string): number {
  const m = /^([-+]?\d*\.?\d+(?:e[-+]?\d+)?)([kMGTPE]i?|[mµun])?/.exec(text);
  if (!m) return Number.NaN;
  const scale: Record<string, number> = {
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    m: 1e-3,
    µ: 1e-6,
    u: 1e-6,
    n: 1e-9,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
  };
  return Number(m[1]) * (m[2] ? (scale[m[2]] ?? Number.NaN) : 1);
}

function sortValues(values: string[], field: Field | undefined): string[] {
  if (field?.fixed) return field.fixed.filter((v) => values.includes(v));
  if (field?.order === 'alpha') return [...values].sort();
  if (field?.order === 'num') return [...values].sort((a, b) => numericValue(a) - numericValue(b));
  return values;
}

export function hasProjection(options: ProjectionOptions): boolean {
  return Boolean(options.filter || options.row || options.col || options.table || options.ignore);
}

/**
 * Applies filter and projections to the inputs and returns the columns to compare: the first
 * is the baseline. Each output benchmark is one cell — samples of every record with the same
 * row, table and unit pooled, as benchstat pools them — its `config` set to the table key.
 */
export function project(sets: SampleSet[], options: ProjectionOptions): SampleSet[] {
  const filter = options.filter ? parseFilter(options.filter) : undefined;
  const rowFields = options.row ? parseProjection(options.row, 'row') : [{ key: '.fullname' }];
  const colFields = options.col ? parseProjection(options.col, 'col') : [{ key: '.file' }];
  const tableFields = options.table ? parseProjection(options.table, 'table') : [{ key: '.config' }];
  const ignored = options.ignore ? parseProjection(options.ignore, 'ignore').map((f) => f.key) : [];
  const all = [...rowFields, ...colFields, ...tableFields];
  const used = new Set([...all.map((f) => f.key), ...ignored]);
  const excludeFor = (own: Field[]) => new Set([...used].filter((k) => !own.some((f) => f.key === k)));
  const rowExclude = excludeFor(rowFields);
  const colExclude = excludeFor(colFields);
  const tableExclude = excludeFor(tableFields);

  /** Per column value: its cells by row key, and the inputs they came from. */
  const columns = new Map<string, { cells: Map<string, Benchmark>; sets: SampleSet[] }>();
  const seen: ResultRecord[] = [];
  for (const set of sets) for (const bench of set.benchmarks) seen.push({ set, bench });
  const fixedOk = (record: ResultRecord) => all.every((f) => !f.fixed || f.fixed.includes(keyValue(record, f.key, new Set())));
  for (const record of seen) {
    if (filter && !filter(record)) continue;
    if (!fixedOk(record)) continue;
    const col = colFields.map((f) => keyValue(record, f.key, colExclude)).join(' ');
    const row = rowFields.map((f) => keyValue(record, f.key, rowExclude)).join(' ');
    const config: { [key: string]: string } = {};
    for (const f of tableFields) {
      if (f.key === '.config') {
        for (const [k, v] of Object.entries(record.bench.config ?? {})) if (!tableExclude.has(k)) config[k] = v;
      } else {
        const v = keyValue(record, f.key, tableExclude);
        if (v !== '') config[f.key] = v;
      }
    }
    const key = `${row}\u0000${record.bench.unit}\u0000${JSON.stringify(config)}\u0000${record.bench.percentileOf ?? ''}`;
    let column = columns.get(col);
    if (!column) {
      column = { cells: new Map(), sets: [] };
      columns.set(col, column);
    }
    const { cells, sets } = column;
    if (!sets.includes(record.set)) sets.push(record.set);
    const existing = cells.get(key);
    if (!existing) {
      cells.set(key, {
        ...record.bench,
        name: row,
        values: record.bench.values && [...record.bench.values],
        histogram: record.bench.histogram && [...record.bench.histogram],
        ...(Object.keys(config).length ? { config } : { config: undefined }),
      });
    } else if (existing.values && record.bench.values) existing.values.push(...record.bench.values);
    else if (existing.histogram && record.bench.histogram) existing.histogram.push(...record.bench.histogram);
  }
  if (!columns.size) throw new UserError(`nothing left after filter "${options.filter}"`, HELP);
  const order = sortValues([...columns.keys()], colFields.length === 1 ? colFields[0] : undefined);
  return order.map((col) => {
    const { cells, sets: from } = defined(columns.get(col), `column ${col}`);
    const first = defined(from[0], `an input of column ${col}`);
    return {
      source: col || '(none)',
      format: first.format,
      benchmarks: [...cells.values()],
      context: Object.assign({}, ...from.map((s) => s.context)),
      notes: [...new Set(from.flatMap((s) => s.notes))],
      ...(first.environment ? { environment: first.environment } : {}),
    };
  });
}
