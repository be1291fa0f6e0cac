// How well does the interleaved runner (`compare_benchmarks` run: …) resolve a 10 ms
// difference, next to hyperfine measuring the same commands on the same machine?
// Alternates runner / hyperfine ROUNDS times. Needs dist/ and hyperfine (apt).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const dist = new URL('../../dist/', import.meta.url);
const { compareBenchmarks } = await import(new URL('compare/index.js', dist).href);
const { createRunContext } = await import(new URL('common/context.js', dist).href);

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const RUNS = Number(process.env.RUNS ?? 20);
const A = 'sleep 0.02';
const B = 'sleep 0.03';
const project = mkdtempSync(join(tmpdir(), 'perfeng-bench-runner-'));
const context = await createRunContext({ projectDir: project });
const line = (label, row) =>
  console.log(
    `${label.padEnd(10)} baseline ${row.baseline.median.toFixed(1).padStart(6)} ms  candidate ${row.candidate.median.toFixed(1).padStart(6)} ms  diff ${(row.candidate.median - row.baseline.median).toFixed(1).padStart(5)} ms  p=${row.pValue?.toPrecision(2)}  ${row.verdict}`,
  );
console.log(
  `"${A}" vs "${B}", ${RUNS} runs each, ${ROUNDS} rounds alternating; load average ${(await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
for (let round = 0; round < ROUNDS; round++) {
  const ours = await compareBenchmarks(
    {
      run: { baseline: A, candidate: B, runs: RUNS, warmup: 1, timeoutS: 60 },
      format: 'auto',
      confidence: 0.95,
      correction: 'holm',
      equivalencePct: 5,
      limit: 5,
    },
    context,
  );
  line('perfeng', ours.structured.rows[0]);
  const out = join(project, `hf-${round}.json`);
  const hf = spawnSync('hyperfine', ['--style', 'none', '-N', '--warmup', '1', '--runs', String(RUNS), '--export-json', out, A, B], { encoding: 'utf8' });
  if (hf.status !== 0) {
    console.log('hyperfine failed:', hf.stderr.slice(0, 300));
    continue;
  }
  // hyperfine's two commands are two rows of one file: compare them as baseline/candidate inline.
  const { readFileSync } = await import('node:fs');
  const results = JSON.parse(readFileSync(out, 'utf8')).results;
  const inline = (r) => [{ name: 'wall time', unit: 's', samples: r.times }];
  const theirs = await compareBenchmarks(
    { baseline: inline(results[0]), candidate: inline(results[1]), format: 'auto', confidence: 0.95, correction: 'holm', equivalencePct: 5, limit: 5 },
    context,
  );
  const row = theirs.structured.rows[0];
  line('hyperfine', { ...row, baseline: { median: row.baseline.median * 1000 }, candidate: { median: row.candidate.median * 1000 } });
}
rmSync(project, { recursive: true, force: true });
