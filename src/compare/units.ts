/**
 * Go benchmark units as benchstat handles them (golang.org/x/perf/benchunit): values are
 * "tidied" into base units when read (ns/op → sec/op, MB/s → B/s, any "ns" or "MB" token in a
 * numerator likewise) and printed with SI prefixes — binary (Ki, Mi, Gi) for byte units,
 * decimal (n, µ, k, M, G) otherwise. Written here because it is the format benchstat's users
 * read daily; no npm package implements benchunit.
 */

import { defined } from '../common/errors.js';

interface UnitToken {
  token: string;
  position: number;
  denominator: boolean;
}

/** benchunit's unit tokenizer: tokens split on '*', '/', '-' and spaces; after '/' they are in the denominator. */
function unitTokens(unit: string): UnitToken[] {
  const tokens: UnitToken[] = [];
  let denominator = false;
  let i = 0;
  while (i < unit.length) {
    const c = unit.charAt(i);
    if (c === '*') denominator = false;
    else if (c === '/') denominator = true;
    else if (c !== '-' && !/\s/.test(c)) {
      let end = i;
      while (end < unit.length && !/[*/\-\s]/.test(unit.charAt(end))) end++;
      tokens.push({ token: unit.slice(i, end), position: i, denominator });
      i = end;
      continue;
    }
    i++;
  }
  return tokens;
}

/** The tidied unit and the factor values are multiplied by (benchunit.Tidy). */
export function tidyUnit(unit: string): { unit: string; factor: number } {
  if (unit === 'ns/op') return { unit: 'sec/op', factor: 1e-9 };
  if (unit === 'MB/s') return { unit: 'B/s', factor: 1e6 };
  if (unit === 'B/op' || unit === 'allocs/op') return { unit, factor: 1 };
  if (!unit.includes('ns') && !unit.includes('MB')) return { unit, factor: 1 };
  let factor = 1;
  let out = unit;
  const edits: Array<{ position: number; length: number; replace: string }> = [];
  for (const t of unitTokens(unit)) {
    if (t.denominator) continue;
    if (t.token === 'ns') {
      edits.push({ position: t.position, length: 2, replace: 'sec' });
      factor /= 1e9;
    } else if (t.token === 'MB') {
      edits.push({ position: t.position, length: 2, replace: 'B' });
      factor *= 1e6;
    }
  }
  for (const e of edits.reverse()) out = out.slice(0, e.position) + e.replace + out.slice(e.position + e.length);
  return { unit: out, factor };
}

/** Binary units (a "B", "MB" or "bytes" token in the numerator) scale by 1024, others by 1000 (benchunit.ClassOf). */
export function isBinaryUnit(unit: string): boolean {
  return unitTokens(unit).some((t) => !t.denominator && (t.token === 'B' || t.token === 'MB' || t.token === 'bytes'));
}

interface Factor {
  factor: number;
  prefix: string;
  t100: number;
  t10: number;
  t1: number;
}

/** benchunit's thresholds: a value that would round up to 100.0, 10.00 or 1.000 takes fewer decimals. */
const SI_FACTORS: Factor[] = ['T', 'G', 'M', 'k', '', 'm', 'µ', 'n'].map((prefix, i) => {
  const exp = 12 - 3 * i;
  return { factor: 10 ** exp, prefix, t100: Number(`99.995e${exp}`), t10: Number(`9.9995e${exp}`), t1: Number(`.99995e${exp}`) };
});
const IEC_FACTORS: Factor[] = ['Ti', 'Gi', 'Mi', 'Ki', ''].map((prefix, i) => {
  const exp = 40 - 10 * i;
  return { factor: 2 ** exp, prefix, t100: 99.995 * 2 ** exp, t10: 9.9995 * 2 ** exp, t1: 0.99995 * 2 ** exp };
});
const SIGFIGS = [-1, -2, -3, -4, -5, -6, -7, -8].map((exp) => Number(`9.9995e${exp}`));

/**
 * A scaler shared by the values of one row (benchunit.CommonScale): the largest prefix that
 * keeps the smallest non-zero value ≥ 1 (rounded), with 4 significant figures for it.
 */
export interface Scaler {
  prefix: string;
  factor: number;
  digits: number;
  format(value: number): string;
}

function scaler(digits: number, factor: number, prefix: string): Scaler {
  return { prefix, factor, digits, format: (value) => `${(value / factor).toFixed(digits)}${prefix}` };
}

export function commonScale(values: number[], binary: boolean): Scaler {
  let min = 0;
  for (const v of values) {
    const a = Math.abs(v);
    if (a !== 0 && Number.isFinite(a) && (min === 0 || a < min)) min = a;
  }
  if (min === 0) return scaler(3, 1, '');
  const factors = binary ? IEC_FACTORS : SI_FACTORS;
  for (const f of factors) {
    if (min >= f.t100) return scaler(1, f.factor, f.prefix);
    if (min >= f.t10) return scaler(2, f.factor, f.prefix);
    if (min >= f.t1) return scaler(3, f.factor, f.prefix);
  }
  const last = defined(factors.at(-1), 'the smallest SI/IEC factor');
  const value = min / last.factor;
  for (const [i, sigfig] of SIGFIGS.entries()) {
    if (value >= sigfig || i === SIGFIGS.length - 1) return scaler(i + 3, last.factor, last.prefix);
  }
  return scaler(3, last.factor, last.prefix);
}
