#!/usr/bin/env node
// Wall time of `perfeng demo` (target < 120 s) and `perfeng demo --quick` (target < 30 s),
// alternating the two so machine-load drift hits both alike. Each run uses a fresh project
// folder except for the demo database, which is created on the first run and then reused
// (as for a user running the demo twice); the first-run creation cost is reported apart.
// Usage: node bench/demo/run.mjs [rounds=2]   (build first: npm run build)
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const rounds = Number(process.argv[2] ?? 2);
const seedDir = mkdtempSync(join(tmpdir(), 'perfeng-bench-demo-seed-'));

function runDemo(args, projectDir) {
  const started = performance.now();
  const result = spawnSync(process.execPath, [cli, 'demo', ...args, '--json'], {
    cwd: projectDir,
    env: { ...process.env, PERFENG_PROJECT_DIR: projectDir },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const seconds = (performance.now() - started) / 1000;
  let output;
  try {
    output = JSON.parse(result.stdout);
  } catch {
    throw new Error(`demo ${args.join(' ')} failed (exit ${result.status}): ${result.stderr.slice(-2000)}`);
  }
  return { seconds, exit: result.status, improved: output.improved, failed: output.steps.filter((s) => s.status !== 'ok').length, verdict: output.verdict };
}

// First run creates the database: measured apart.
const first = runDemo(['--quick'], seedDir);
console.log(`first quick run (creates the database): ${first.seconds.toFixed(1)} s — ${first.verdict}`);

const rows = [];
for (let round = 1; round <= rounds; round++) {
  for (const args of [['--quick'], []]) {
    const projectDir = mkdtempSync(join(tmpdir(), 'perfeng-bench-demo-'));
    mkdirSync(join(projectDir, '.perf', 'demo'), { recursive: true });
    cpSync(join(seedDir, '.perf', 'demo', 'demo.sqlite'), join(projectDir, '.perf', 'demo', 'demo.sqlite'));
    const load = loadavg()[0].toFixed(1);
    const r = runDemo(args, projectDir);
    rows.push({ round, mode: args.length ? 'quick' : 'full', ...r, load });
    console.log(
      `round ${round} ${args.length ? 'quick' : 'full '}: ${r.seconds.toFixed(1)} s (exit ${r.exit}, ${r.improved}/4 significantly faster, ${r.failed} steps not ok, load avg ${load}) — ${r.verdict}`,
    );
    rmSync(projectDir, { recursive: true, force: true });
  }
}
rmSync(seedDir, { recursive: true, force: true });
for (const mode of ['quick', 'full']) {
  const times = rows
    .filter((r) => r.mode === mode)
    .map((r) => r.seconds)
    .sort((a, b) => a - b);
  console.log(`${mode}: min ${times[0].toFixed(1)} s, max ${times.at(-1).toFixed(1)} s over ${times.length} runs (target ${mode === 'quick' ? 30 : 120} s)`);
}
