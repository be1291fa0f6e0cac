import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isUserError } from '../../src/common/errors.js';
import { parseText } from '../../src/compare/parsers/index.js';

const FIXTURES = new URL('../fixtures/compare/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');

/** Every fixture, the format it must be detected as, and what it must contain. */
const EXPECTED: Array<{ file: string; format: string; names: string[]; samples?: number; summaryOnly?: boolean }> = [
  { file: 'hyperfine-baseline.json', format: 'hyperfine', names: ['sleep-short', 'sleep-long'], samples: 12 },
  {
    file: 'google-benchmark-baseline.json',
    format: 'google-benchmark',
    names: ['BM_SortVector/1000', 'BM_SortVector/1000 (cpu)', 'BM_StringAppend'],
    samples: 10,
  },
  { file: 'google-benchmark-aggregates-only.json', format: 'google-benchmark', names: ['BM_SortVector/1000'], summaryOnly: true },
  { file: 'pytest-benchmark-baseline.json', format: 'pytest-benchmark', names: ['test_bench.py::test_sort', 'test_bench.py::test_join'] },
  { file: 'pytest-benchmark-no-data.json', format: 'pytest-benchmark', names: ['test_bench.py::test_sort'], summaryOnly: true },
  {
    file: 'vitest-bench-baseline.json',
    format: 'vitest-bench',
    names: ['sum.bench.ts > array > reduce sum', 'sum.bench.ts > array > for loop sum'],
    summaryOnly: true,
  },
  { file: 'autocannon-baseline.json', format: 'autocannon', names: ['latency', 'throughput'], summaryOnly: true },
  { file: 'go-bench-baseline.txt', format: 'go-bench', names: ['Parse/small-8', 'Encode-8', 'Decode-8'], samples: 10 },
  { file: 'k6-summary-export-baseline.json', format: 'k6', names: ['http_req_duration', 'http_reqs rate'], summaryOnly: true },
  { file: 'k6-handle-summary-baseline.json', format: 'k6', names: ['http_req_duration', 'http_reqs rate', 'http_req_failed'], summaryOnly: true },
  { file: 'pyperf-baseline.json', format: 'pyperf', names: ['json_dumps'], samples: 60 },
  { file: 'tinybench-baseline.json', format: 'tinybench', names: ['sort 1k'], samples: 40 },
  { file: 'csv-baseline.csv', format: 'csv', names: ['parse', 'render, full page', 'throughput'], samples: 12 },
  { file: 'perfeng-load-real-baseline.json', format: 'perfeng-load', names: ['latency', 'latency p99', 'throughput', 'error rate'] },
  { file: 'k6-from-perfeng-load-baseline.json', format: 'k6', names: ['http_req_duration', 'http_reqs rate'], summaryOnly: true },
  { file: 'perfeng-load-baseline.json', format: 'perfeng-load', names: ['latency', 'latency p95', 'GET /items latency', 'throughput', 'error rate'] },
];

describe('each parser on its fixture (auto-detected)', () => {
  it('covers every fixture file in the folder', () => {
    const files = readdirSync(FIXTURES).filter((f) => /\.(json|txt|csv)$/.test(f) && !f.includes('candidate'));
    for (const file of files)
      expect(
        EXPECTED.map((e) => e.file),
        `${file} has no parser test`,
      ).toContain(file);
  });

  for (const expected of EXPECTED) {
    it(`${expected.file} → ${expected.format}`, () => {
      const set = parseText(read(expected.file), expected.file);
      expect(set.format).toBe(expected.format);
      const names = set.benchmarks.map((b) => b.name);
      for (const name of expected.names) expect(names).toContain(name);
      for (const b of set.benchmarks) {
        expect(b.unit.length).toBeGreaterThan(0);
        expect(['lower-is-better', 'higher-is-better']).toContain(b.direction);
        const hasData = (b.values?.length ?? 0) > 0 || (b.histogram?.length ?? 0) > 0 || b.summary !== undefined;
        expect(hasData, b.name).toBe(true);
        for (const v of b.values ?? []) expect(Number.isFinite(v)).toBe(true);
      }
      if (expected.samples) expect(set.benchmarks.find((b) => b.name === expected.names[0])!.values).toHaveLength(expected.samples);
      if (expected.summaryOnly) {
        expect(set.benchmarks.find((b) => b.name === expected.names[0])!.values).toBeUndefined();
        expect(set.notes.join(' ')).toMatch(/no (raw|rank|test|samples)|aggregates|summar/i);
      }
    });
  }

  it('reads values exactly as the tools wrote them', () => {
    const hyperfine = JSON.parse(read('hyperfine-baseline.json'));
    expect(parseText(read('hyperfine-baseline.json'), 'h').benchmarks[0]!.values).toEqual(hyperfine.results[0].times);
    const go = parseText(read('go-bench-baseline.txt'), 'g');
    expect(go.context).toMatchObject({ goos: 'linux', goarch: 'amd64', gomaxprocs: '8' });
    // Tidied as benchfmt does: ns/op → sec/op (× 1e-9), MB/s → B/s (× 1e6).
    const parseNs = go.benchmarks.find((b) => b.name === 'Parse/small-8' && b.unit === 'sec/op')!;
    const firstLine = read('go-bench-baseline.txt')
      .split('\n')
      .find((l) => l.startsWith('BenchmarkParse/small'))!;
    expect(parseNs.values![0]).toBe(Number(firstLine.split(/\s+/)[2]) * 1e-9);
    expect(go.benchmarks.find((b) => b.unit === 'B/s')!.direction).toBe('higher-is-better');
    const load = parseText(read('perfeng-load-baseline.json'), 'l');
    const latency = load.benchmarks.find((b) => b.name === 'latency')!;
    expect(latency.histogram!.reduce((s, [, c]) => s + c, 0)).toBe(6000);
    const throughput = load.benchmarks.find((b) => b.name === 'throughput')!;
    expect(throughput.values).toHaveLength(6); // the last, partial second is left out
    const google = parseText(read('google-benchmark-baseline.json'), 'gb');
    expect(google.context.host_name).toBeDefined();
  });
});

describe('malformed inputs: a clear error naming the file and the line', () => {
  it('truncated JSON', () => {
    const text = read('hyperfine-baseline.json');
    const truncated = text.slice(0, Math.floor(text.length / 2));
    expect(() => parseText(truncated, 'base.json')).toThrowError(/^base\.json:\d+(:\d+)?: not valid JSON/);
  });

  it('wrong types: a string where a sample belongs, located by line', () => {
    const text = read('hyperfine-baseline.json').replace(/("times": \[\s*)([\d.e-]+)/, '$1"fast"');
    const line = text.split('\n').findIndex((l) => l.includes('"fast"')) + 1;
    let message = '';
    try {
      parseText(text, 'h.json');
    } catch (error) {
      expect(isUserError(error)).toBe(true);
      message = (error as Error).message;
    }
    expect(message).toContain(`h.json:${line}:`);
    expect(message).toContain('results[0].times[0] is not a finite number');
  });

  it('empty file and whitespace', () => {
    expect(() => parseText('', 'empty.json')).toThrowError(/empty\.json:1: the file is empty/);
    expect(() => parseText('  \n', 'blank.txt')).toThrowError(/blank\.txt:1: the file is empty/);
  });

  it('a JSON document with no benchmarks', () => {
    expect(() => parseText('{"results": []}', 'none.json', 'hyperfine')).toThrowError(/none\.json: hyperfine --export-json file contains no benchmarks/);
  });

  it('unknown format lists what was tried and the closest match', () => {
    expect(() => parseText('{"results": {"x": 1}, "foo": 2}', 'odd.json')).toThrowError(
      /odd\.json: unrecognised benchmark format \(tried .*hyperfine.*csv\)\. Closest match: hyperfine/,
    );
    expect(() => parseText('hello world\nthis is not a benchmark\n', 'notes.txt')).toThrowError(/notes\.txt: unrecognised benchmark format/);
  });

  it('Go benchmark line with a bad value names the line', () => {
    const text = 'goos: linux\nBenchmarkA-8  100  12.5 ns/op\nBenchmarkA-8  100  abc ns/op\n';
    expect(() => parseText(text, 'go.txt')).toThrowError(/go\.txt:3: "abc" is not a number/);
    expect(() => parseText('BenchmarkA-8  100  12.5 ns/op\nBenchmarkB-8 x\n', 'go2.txt', 'go-bench')).toThrowError(/go2\.txt:2: malformed Go benchmark line/);
  });

  it('CSV with a non-numeric sample names the line', () => {
    expect(() => parseText('name,value\na,1\na,2\nb,oops\n', 'r.csv')).toThrowError(/r\.csv:4: "oops" is not a number/);
    expect(() => parseText('a,1\n"unterminated,2\n', 'q.csv', 'csv')).toThrowError(/q\.csv:2:/);
  });

  it('forcing the wrong format says which format and where', () => {
    expect(() => parseText(read('hyperfine-baseline.json'), 'h.json', 'pyperf')).toThrowError(/h\.json:1: pyperf JSON file: benchmarks is not an array/);
    expect(() => parseText('x', 'y', 'nope' as never)).toThrowError(/unknown format "nope"/);
  });
});

/** Any failure must be a UserError that names the file — never a TypeError or a hang. */
function expectCleanFailure(text: string, source: string): void {
  try {
    parseText(text, source);
  } catch (error) {
    if (!isUserError(error)) throw new Error(`parser crashed on input ${JSON.stringify(text.slice(0, 200))}: ${(error as Error).stack}`);
    expect((error as Error).message.startsWith(source)).toBe(true);
  }
}

describe('property-based fuzzing (fast-check): no crash, always a clear error', () => {
  const jsonFixtures = EXPECTED.filter((e) => e.file.endsWith('.json')).map((e) => e.file);
  const textFixtures = EXPECTED.filter((e) => !e.file.endsWith('.json')).map((e) => e.file);

  it('truncating any fixture anywhere', () => {
    fc.assert(
      fc.property(fc.constantFrom(...jsonFixtures, ...textFixtures), fc.double({ min: 0, max: 1, noNaN: true }), (file, cut) => {
        const text = read(file);
        expectCleanFailure(text.slice(0, Math.floor(text.length * cut)), file);
      }),
      { numRuns: 150 },
    );
  });

  it('replacing any JSON value with a value of another type', () => {
    const replacements = fc.constantFrom<unknown>(null, 'text', -1, 0, 1e308, true, [], {}, [1, 'a'], { samples: 'x' });
    fc.assert(
      fc.property(fc.constantFrom(...jsonFixtures), fc.nat(), replacements, (file, pick, replacement) => {
        const doc = JSON.parse(read(file));
        // Walk to a pseudo-random node and replace it.
        const paths: Array<Array<string | number>> = [];
        const walk = (node: unknown, path: Array<string | number>) => {
          paths.push(path);
          if (paths.length > 400) return;
          if (Array.isArray(node)) node.slice(0, 4).forEach((child, i) => walk(child, [...path, i]));
          else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
        };
        walk(doc, []);
        const path = paths[pick % paths.length]!;
        if (path.length === 0) return expectCleanFailure(JSON.stringify(replacement), file);
        let parent = doc as Record<string | number, unknown>;
        for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
        parent[path.at(-1)!] = replacement;
        expectCleanFailure(JSON.stringify(doc, null, 1), file);
      }),
      { numRuns: 200 },
    );
  });

  it('arbitrary text and arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => expectCleanFailure(text, 'random.txt')),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.json({ maxDepth: 4 }), (text) => expectCleanFailure(text, 'random.json')),
      { numRuns: 200 },
    );
  });

  it('Go and CSV lines with random fields', () => {
    const field = fc.oneof(fc.constantFrom('ns/op', 'B/op', '12.5', '-3', 'NaN', 'Infinity', '1e400', '', '"', ','), fc.string({ maxLength: 8 }));
    fc.assert(
      fc.property(fc.array(fc.array(field, { maxLength: 7 }), { maxLength: 8 }), (lines) => {
        expectCleanFailure(lines.map((l) => `BenchmarkX-2 ${l.join(' ')}`).join('\n'), 'fuzz-go.txt');
        expectCleanFailure(lines.map((l) => l.join(',')).join('\n'), 'fuzz.csv');
      }),
      { numRuns: 200 },
    );
  });
});
