import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../src/common/spawn.js';
import { compareOutputSchema } from '../../src/compare/schema.js';
import { BUILT_CLI } from '../helpers/mcp-client.js';

// Drives the built CLI (`dist/cli.js compare`): build first with `npx tsc -p tsconfig.json --noCheck`.
const FIXTURES = new URL('../fixtures/compare/', import.meta.url).pathname;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'perfeng-compare-cli-'));
  // The fixtures live outside this throwaway project: allowed the way a user would (issue 13).
  await mkdir(join(dir, '.perf'));
  await writeFile(join(dir, '.perf', 'config.json'), JSON.stringify({ query: { allowedInputPaths: [FIXTURES] } }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const perfeng = (...args: string[]) =>
  runCommand(process.execPath, [BUILT_CLI, 'compare', ...args], { cwd: dir, env: { PERFENG_PROJECT_DIR: dir }, timeoutMs: 60_000 });

describe('perfeng compare', () => {
  it('prints a benchstat-style table and exits 0 without a gate', async () => {
    const run = await perfeng(join(FIXTURES, 'go-bench-baseline.txt'), join(FIXTURES, 'go-bench-candidate.txt'));
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^REGRESSED: 3 of 10 slower/);
    // Go input reads like benchstat: SI prefixes shared by the row, ± whole percent, "~ (p=… n=…)".
    expect(run.stdout).toMatch(/│\s+sec\/op\s+│\s+sec\/op\s+vs base/);
    expect(run.stdout).toMatch(/Parse\/small-8\s+1\.5\d\dµ ± \d+%\s+1\.7\d\dµ ± \d+%\s+\+13\.\d\d% \(p=0\.000 n=10\)/);
    expect(run.stdout).toMatch(/Encode-8\s+8\d\d\.\dn ± \d+%\s+8\d\d\.\dn ± \d+%\s+~ \(p=1\.000 n=10\)/);
    expect(run.stdout).toMatch(/geomean\s+1\.\d+µ\s+1\.\d+µ\s+\+\d\.\d\d%/);
    expect(run.stdout).toMatch(/Report: .*report\.html/);
  });

  it("--csv prints benchstat's CSV; --col compares within one file; label=path names columns", async () => {
    const csv = await perfeng(
      `old=${join(FIXTURES, 'go-bench-baseline.txt')}`,
      `new=${join(FIXTURES, 'go-bench-candidate.txt')}`,
      '--csv',
      '--correction',
      'none',
    );
    expect(csv.exitCode, csv.stderr).toBe(0);
    expect(csv.stdout).toMatch(/^goos: linux\n/);
    expect(csv.stdout).toContain('\n,old,,new,,,\n,sec/op,CI,sec/op,CI,vs base,P\n');
    expect(csv.stdout).toMatch(/\nParse\/small-8,1\.5\d+e-06,1%,1\.7\d+e-06,1%,\+13\.\d\d%,p=0\.000 n=10\n/);
    const within = await perfeng(join(FIXTURES, 'benchstat', 'hash.txt'), '--col', '/algo', '--filter', '.name:Hash .unit:sec/op', '--row', '/size');
    expect(within.exitCode, within.stderr).toBe(0);
    expect(within.stdout).toMatch(/│\s+crc\s+│\s+xx\s+│\s+fnv\s+│/);
    expect(within.stdout).toMatch(/\n16k\s+14\.\d+µ ± \d+%\s+6\.\d+µ/);
  });

  it('--json prints exactly the structured result', async () => {
    const run = await perfeng(join(FIXTURES, 'csv-baseline.csv'), join(FIXTURES, 'csv-candidate.csv'), '--json');
    expect(run.exitCode, run.stderr).toBe(0);
    const parsed = compareOutputSchema.parse(JSON.parse(run.stdout));
    expect(parsed.rows.map((r) => r.name).sort()).toEqual(['parse', 'render, full page', 'throughput']);
  });

  it('exits 1 when the gate fails, 0 when it passes', async () => {
    const failing = await perfeng(join(FIXTURES, 'csv-baseline.csv'), join(FIXTURES, 'csv-candidate.csv'), '--fail-on', 'regression>5%');
    expect(failing.exitCode).toBe(1);
    expect(failing.stdout).toMatch(/^GATE FAILED \(regression>5%\)/);
    expect(failing.stdout).toMatch(/parse is worse by 1\d\.\d+% \(significant/);
    const passing = await perfeng(join(FIXTURES, 'csv-baseline.csv'), join(FIXTURES, 'csv-candidate.csv'), '--fail-on', 'regression>50%');
    expect(passing.exitCode).toBe(0);
    expect(passing.stdout).toMatch(/Gate "regression>50%" passed/);
  });

  it('exits 2 on bad input: missing file, bad gate, malformed file, one input', async () => {
    const missing = await perfeng('nope.json', join(FIXTURES, 'csv-candidate.csv'));
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/baseline "nope\.json" is neither a file/);
    const gate = await perfeng(join(FIXTURES, 'csv-baseline.csv'), join(FIXTURES, 'csv-candidate.csv'), '--fail-on', 'slower');
    expect(gate.exitCode).toBe(2);
    expect(gate.stderr).toMatch(/failOn clause "slower" is not understood/);
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{\n  "results": [\n    { "command": "x", "times": [0.1, 0.2');
    const malformed = await perfeng(broken, join(FIXTURES, 'hyperfine-candidate.json'));
    expect(malformed.exitCode).toBe(2);
    expect(malformed.stderr).toMatch(/broken\.json:3(:\d+)?: not valid JSON/);
    const one = await perfeng(join(FIXTURES, 'csv-baseline.csv'));
    expect(one.exitCode).toBe(2);
    const alpha = await perfeng(join(FIXTURES, 'csv-baseline.csv'), join(FIXTURES, 'csv-candidate.csv'), '--alpha', '2');
    expect(alpha.exitCode).toBe(2);
    expect(alpha.stderr).toMatch(/alpha/);
  });

  it('--input takes the full tool input as JSON', async () => {
    const input = JSON.stringify({
      baseline: [{ name: 'a', unit: 'ms', samples: [10, 10.1, 9.9, 10, 10.2, 9.8] }],
      candidate: [{ name: 'a', unit: 'ms', samples: [12, 12.1, 11.9, 12, 12.2, 11.8] }],
      failOn: 'any-regression',
    });
    const run = await perfeng('--input', input);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/a is slower by 20\.00%/);
  });
});
