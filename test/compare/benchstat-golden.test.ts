import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunContext, type RunContext } from '../../src/common/context.js';
import { compareBenchmarks } from '../../src/compare/index.js';
import { compareInputSchema, compareOutputSchema, type CompareOutput } from '../../src/compare/schema.js';

/**
 * Golden agreement with benchstat: our own Go benchmark files, benchstat's CSV for them
 * recorded in test/fixtures/compare/benchstat (commands in its README), and compare_benchmarks
 * with benchstat's settings (no correction) must print the same table — every row, every
 * median, CI, delta, p and n, and the geomeans.
 */
const FIXTURES = new URL('../fixtures/compare/benchstat/', import.meta.url).pathname;
let dir: string;
let context: RunContext;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'perfeng-benchstat-'));
  await cp(FIXTURES, dir, { recursive: true });
  context = await createRunContext({ projectDir: dir });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function compare(raw: Record<string, unknown>): Promise<CompareOutput> {
  const outcome = await compareBenchmarks(compareInputSchema.parse({ correction: 'none', limit: 1000, ...raw }), context);
  compareOutputSchema.parse(outcome.structured);
  return outcome.structured;
}

function parseCsv(text: string): string[][] {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => line.split(','));
}

const NUMBER = /^-?\d+(\.\d+)?(e[-+]\d+)?$/;

/** Row-by-row agreement: text fields equal, numbers within 1e-13 (exp/log differ in the last bit between Go and V8). */
function agreement(ours: string[][], theirs: string[][]): { rows: number; agreed: number; differences: string[] } {
  const differences: string[] = [];
  let agreed = 0;
  const rows = Math.max(ours.length, theirs.length);
  for (let i = 0; i < rows; i++) {
    const a = ours[i] ?? [];
    const b = theirs[i] ?? [];
    const same =
      a.length === b.length &&
      a.every((field, j) => {
        const other = b[j]!;
        if (NUMBER.test(field) && NUMBER.test(other)) return Math.abs(Number(field) - Number(other)) <= 1e-13 * Math.abs(Number(other));
        return field === other;
      });
    if (same) agreed++;
    else differences.push(`row ${i + 1}: ours ${a.join(',')} | benchstat ${b.join(',')}`);
  }
  return { rows, agreed, differences };
}

const scenarios: Array<{ name: string; input: Record<string, unknown>; expected: string }> = [
  {
    name: 'two labelled files, four units, a benchmark on each side only',
    input: { inputs: ['old=encode-old.txt', 'new=encode-new.txt'] },
    expected: 'encode.benchstat.csv',
  },
  { name: '-col note: small samples, ties, all equal, an exact unit', input: { baseline: 'notes.txt', col: 'note' }, expected: 'notes.benchstat.csv' },
  {
    name: '-col /algo -row /size -filter',
    input: { baseline: 'hash.txt', col: '/algo', row: '/size', filter: '.name:Hash .unit:ns/op' },
    expected: 'hash-algo.benchstat.csv',
  },
  {
    name: '-col /gomaxprocs: BenchmarkX-8 vs BenchmarkX-16',
    input: { baseline: 'hash.txt', col: '/gomaxprocs', filter: '.name:Parallel' },
    expected: 'hash-procs.benchstat.csv',
  },
  {
    name: 'filter with OR, negation and a unit',
    input: { baseline: 'hash.txt', col: '/algo', filter: '/algo:(crc OR xx) -/size:64 .unit:B/s' },
    expected: 'hash-filter.benchstat.csv',
  },
];

describe('benchstat golden tables', () => {
  let total = 0;
  let agreedTotal = 0;
  for (const scenario of scenarios) {
    it(scenario.name, async () => {
      const result = await compare(scenario.input);
      const ours = parseCsv(await readFile(result.artifacts.csv, 'utf8'));
      const theirs = parseCsv(await readFile(join(FIXTURES, scenario.expected), 'utf8'));
      const { rows, agreed, differences } = agreement(ours, theirs);
      total += rows;
      agreedTotal += agreed;
      expect(differences).toEqual([]);
      expect(rows).toBeGreaterThan(4);
    });
  }
  it('agrees on every row of every table', () => {
    expect(total).toBeGreaterThan(50);
    expect(agreedTotal).toBe(total);
  });
});

describe('what benchstat users rely on, in the structured result', () => {
  it('keeps -8 and -16 apart, one geomean per unit, and rows present on one side', async () => {
    const result = await compare({ inputs: ['old=encode-old.txt', 'new=encode-new.txt'] });
    expect(result.inputs.map((i) => i.source)).toEqual(['old', 'new']);
    expect(result.rows.find((r) => r.name === 'Decode-8')!.onlyIn).toBe('baseline');
    expect(result.rows.find((r) => r.name === 'Stream-8')!.onlyIn).toBe('candidate');
    const byUnit = Object.fromEntries(result.geomeans.map((g) => [g.unit, g.deltaPct!.toFixed(2)]));
    // benchstat: sec/op −6.09 % (with the one-sided rows), B/s +6.47 %, B/op −4.35 %, allocs/op 0.
    expect(byUnit).toEqual({ 'sec/op': '-6.09', 'B/s': '6.47', 'B/op': '-4.35', 'allocs/op': '0.00' });
    expect(result.geomeanDeltaPct).toBeNull();
    expect(result.warnings.join('\n')).toMatch(/benchmark set differs from baseline; geomeans may not be comparable/);
    const procs = await compare({ baseline: 'hash.txt', col: '/gomaxprocs', filter: '.name:Parallel' });
    expect(procs.inputs.map((i) => i.source)).toEqual(['8', '16']);
  });

  it('{1,1,1} vs {3,3,3}: p = 0.100, "~", and benchstat’s footnotes', async () => {
    const result = await compare({ baseline: 'notes.txt', col: 'note' });
    const tied = result.rows.find((r) => r.name === 'Tied-4')!;
    expect(tied.test).toBe('mann-whitney-exact-ties');
    expect(tied.pValue).toBeCloseTo(0.1, 12);
    expect(tied.significant).toBe(false);
    expect(result.warnings).toContain('need >= 4 samples to detect a difference at alpha level 0.05: Tied-4');
    expect(result.warnings.some((w) => w.startsWith('all samples are equal: Equal-4'))).toBe(true);
    const size = result.rows.find((r) => r.name === 'Size')!;
    expect(size.test).toBe('exact');
    expect(size.verdict).toBe('slower');
  });
});
