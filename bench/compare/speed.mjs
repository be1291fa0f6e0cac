// compare_benchmarks speed targets (issue #7):
//   1 000 benchmarks × 30 samples per side compared in < 0.5 s;
//   a 50 MB hyperfine / Go -bench file parsed in < 2 s.
// Uses dist/ (run `npm run build` first). Each figure is the median of several runs, wall and CPU.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dist = new URL('../../dist/', import.meta.url);
const { analyse } = await import(new URL('compare/analyse.js', dist).href);
const { compareBenchmarks } = await import(new URL('compare/index.js', dist).href);
const { parseText } = await import(new URL('compare/parsers/index.js', dist).href);
const { createRunContext } = await import(new URL('common/context.js', dist).href);

let seed = 42;
const random = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

// Wall time is what a user waits; CPU time (process.cpuUsage) is what our code costs. On a
// shared 2-core machine (load average 10–18 while this was written) the two differ several-fold.
function report(label, wall, cpu, targetMs) {
  wall.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const med = (xs) => xs[Math.floor(xs.length / 2)];
  const verdict = targetMs === undefined ? '' : `  wall ${med(wall) < targetMs ? '✓' : '✗'} cpu ${med(cpu) < targetMs ? '✓' : '✗'} (target ${targetMs} ms)`;
  console.log(
    `${label.padEnd(56)} wall median ${med(wall).toFixed(0).padStart(5)} ms (min ${wall[0].toFixed(0)})  cpu median ${med(cpu).toFixed(0).padStart(5)} ms (min ${cpu[0].toFixed(0)})  n=${wall.length}${verdict}`,
  );
}
function timeIt(label, repeats, fn, targetMs) {
  const wall = [];
  const cpu = [];
  let result;
  for (let i = 0; i < repeats; i++) {
    const c0 = process.cpuUsage();
    const start = performance.now();
    result = fn();
    wall.push(performance.now() - start);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  report(label, wall, cpu, targetMs);
  return result;
}
async function timeAsync(label, repeats, fn, targetMs) {
  const wall = [];
  const cpu = [];
  for (let i = 0; i < repeats; i++) {
    const c0 = process.cpuUsage();
    const start = performance.now();
    await fn();
    wall.push(performance.now() - start);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  report(label, wall, cpu, targetMs);
}

// --- 1 000 benchmarks × 30 samples per side
const N = 1000;
const base = [];
const cand = [];
for (let b = 0; b < N; b++) {
  const center = 100 + b;
  const shift = b % 10 === 0 ? 1.05 : 1;
  base.push({ name: `Benchmark${b}`, unit: 'ns/op', samples: Array.from({ length: 30 }, () => center * (1 + 0.02 * gaussian())) });
  cand.push({ name: `Benchmark${b}`, unit: 'ns/op', samples: Array.from({ length: 30 }, () => center * shift * (1 + 0.02 * gaussian())) });
}
const toSet = (items, source) => ({
  source,
  format: 'inline',
  benchmarks: items.map((i) => ({ name: i.name, unit: i.unit, direction: 'lower-is-better', values: i.samples })),
  context: {},
  notes: [],
});
const options = { alpha: 0.05, confidence: 0.95, correction: 'holm', noiseFloorPct: 1, equivalencePct: 5 };
const analysis = timeIt('analyse: 1000 benchmarks × 30 samples per side', 7, () => analyse(toSet(base, 'b'), [toSet(cand, 'c')], options), 500);
const slower = analysis.rows.filter((r) => r.verdict === 'slower').length;
console.log(
  `  (${slower} of 100 planted 5 % regressions found after Holm correction; ${analysis.rows.filter((r) => r.verdict === 'faster').length} false "faster")`,
);
const project = mkdtempSync(join(tmpdir(), 'perfeng-bench-compare-'));
const context = await createRunContext({ projectDir: project });
await timeAsync('compareBenchmarks end to end (incl. report + artefacts)', 5, () =>
  compareBenchmarks({ baseline: base, candidate: cand, format: 'auto', confidence: 0.95, correction: 'holm', equivalencePct: 5, limit: 40 }, context),
);

// --- 50 MB files
const dir = mkdtempSync(join(tmpdir(), 'perfeng-bench-parse-'));
const hyperfinePath = join(dir, 'hyperfine.json');
{
  const results = [];
  let size = 0;
  for (let c = 0; size < 50e6; c++) {
    const times = Array.from({ length: 100_000 }, () => 0.01 * (1 + 0.1 * random()));
    results.push({
      command: `command ${c}`,
      mean: 0.0105,
      stddev: 0.0003,
      median: 0.0105,
      user: 0.001,
      system: 0.001,
      min: 0.01,
      max: 0.011,
      times,
      exit_codes: times.map(() => 0),
    });
    size += JSON.stringify(results.at(-1), null, 2).length;
  }
  writeFileSync(hyperfinePath, JSON.stringify({ results }, null, 2));
}
const goPath = join(dir, 'go.txt');
{
  const lines = ['goos: linux', 'goarch: amd64', 'pkg: example.com/x', 'cpu: bench'];
  let size = 0;
  for (let i = 0; size < 50e6; i++) {
    const line = `BenchmarkThing/case=${i % 500}-8   \t 1000000\t      ${(1000 + random() * 50).toFixed(1)} ns/op\t     ${64 + (i % 3)} B/op\t       2 allocs/op`;
    lines.push(line);
    size += line.length + 1;
  }
  writeFileSync(goPath, `${lines.join('\n')}\nPASS\n`);
}
for (const [label, path] of [
  ['hyperfine --export-json', hyperfinePath],
  ['Go -bench text', goPath],
]) {
  const mb = (readFileSync(path).length / 1e6).toFixed(1);
  timeIt(`read + parse ${mb} MB ${label}`, 3, () => parseText(readFileSync(path, 'utf8'), path), 2000);
}
rmSync(dir, { recursive: true, force: true });
rmSync(project, { recursive: true, force: true });
