#!/usr/bin/env node
/**
 * Hook latency, relative to bare Node start-up in the same hyperfine run (issue #3: a
 * non-matching PostToolUse may cost at most 15 ms p95 more than `node -e 0`, a matching one
 * at most 30 ms more). Absolute numbers on a shared machine mean little; the deltas do.
 *
 *   npx tsc -p tsconfig.json --noCheck && node scripts/bundle-hook.mjs
 *   node bench/hooks/latency.mjs [--runs 60] [--rounds 3] [--cpu-runs 100] [--skip-hyperfine]
 *
 * Measures the hook as hooks/hooks.json runs it (`node dist/hooks/hook.cjs post-tool-use`)
 * and, for comparison, the unbundled `perfeng hook post-tool-use` (dist/cli.js, ESM).
 *
 * Each round runs the three commands interleaved by hyperfine; rounds repeat the whole set
 * so load spikes from other processes show up as spread between rounds.
 * Needs hyperfine (apt install hyperfine).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '60' },
    rounds: { type: 'string', default: '3' },
    hook: { type: 'string', default: resolve(import.meta.dirname, '../../dist/hooks/hook.cjs') },
    cli: { type: 'string', default: resolve(import.meta.dirname, '../../dist/cli.js') },
    'cpu-runs': { type: 'string', default: '100' },
    'skip-hyperfine': { type: 'boolean', default: false },
  },
});

const work = mkdtempSync(join(tmpdir(), 'perfeng-hook-bench-'));
const project = join(work, 'project');
mkdirSync(join(project, 'src'), { recursive: true });
mkdirSync(join(project, 'benchmark'), { recursive: true });
writeFileSync(join(project, 'benchmark', 'parse.bench.ts'), "import { bench } from 'vitest';\nbench('parse', () => {});\n");
writeFileSync(join(project, 'src', 'app.ts'), 'export const x = 1;\n');
const data = join(work, 'data');

const payload = (file) =>
  JSON.stringify({
    session_id: 'bench-session',
    transcript_path: '/tmp/t.jsonl',
    cwd: project,
    permission_mode: 'default',
    hook_event_name: 'PostToolUse',
    tool_name: 'Edit',
    tool_input: { file_path: file, old_string: 'a', new_string: 'b' },
    tool_response: { filePath: file, success: true },
    tool_use_id: 'toolu_bench',
  });
writeFileSync(join(work, 'nomatch.json'), payload(join(project, 'src', 'app.ts')));
writeFileSync(join(work, 'match.json'), payload(join(project, 'benchmark', 'parse.bench.ts')));

const env = `CLAUDE_PROJECT_DIR=${project} CLAUDE_PLUGIN_DATA=${data}`;
const commands = {
  'node -e 0': `node -e 0 < ${work}/nomatch.json`,
  'hook, no match': `${env} node ${values.hook} post-tool-use < ${work}/nomatch.json`,
  // The state folder is removed before every run, so each run is a first match that prints.
  'hook, match': `${env} node ${values.hook} post-tool-use < ${work}/match.json`,
  'perfeng hook, no match': `${env} node ${values.cli} hook post-tool-use < ${work}/nomatch.json`,
};

function percentile(sorted, p) {
  const index = (sorted.length - 1) * p;
  const low = Math.floor(index);
  return sorted[low] + (sorted[Math.ceil(index)] - sorted[low]) * (index - low);
}

const rows = [];
for (let round = 1; round <= (values['skip-hyperfine'] ? 0 : Number(values.rounds)); round++) {
  const out = join(work, `round-${round}.json`);
  execFileSync('hyperfine', ['--warmup', '5', '--runs', values.runs, '--prepare', `rm -rf ${data}`, '--export-json', out, ...Object.values(commands)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const results = JSON.parse(readFileSync(out, 'utf8')).results;
  const stats = Object.keys(commands).map((name, index) => {
    const times = [...results[index].times].sort((a, b) => a - b).map((s) => s * 1000);
    return { name, p50: percentile(times, 0.5), p95: percentile(times, 0.95) };
  });
  const base = stats[0];
  for (const stat of stats) {
    rows.push({ round, ...stat, dP50: stat.p50 - base.p50, dP95: stat.p95 - base.p95 });
  }
}

const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`hook latency (ms), ${values.runs} runs per command per round, load average ${load}`);
console.log('round  command                 p50     p95    Δp50 vs node   Δp95 vs node');
for (const row of rows) {
  console.log(
    `${String(row.round).padEnd(6)} ${row.name.padEnd(22)} ${row.p50.toFixed(1).padStart(6)} ${row.p95.toFixed(1).padStart(7)} ${row.dP50.toFixed(1).padStart(12)} ${row.dP95.toFixed(1).padStart(13)}`,
  );
}

/**
 * CPU time (perf stat task-clock of the process and its children) per run, interleaved:
 * unlike wall time it hardly moves when other engineers load the machine, so its deltas
 * show what the hook itself costs even when hyperfine's wall-clock figures are swamped.
 */
const cpuCommands = {
  'node -e 0': { args: ['-e', '0'], input: 'nomatch.json' },
  'hook, no match': { args: [values.hook, 'post-tool-use'], input: 'nomatch.json' },
  'hook, match': { args: [values.hook, 'post-tool-use'], input: 'match.json', fresh: true },
  'perfeng hook, no match': { args: [values.cli, 'hook', 'post-tool-use'], input: 'nomatch.json' },
};
const cpu = Object.fromEntries(Object.keys(cpuCommands).map((name) => [name, []]));
const perfOut = join(work, 'perf.csv');
for (let run = 0; run < Number(values['cpu-runs']); run++) {
  for (const [name, command] of Object.entries(cpuCommands)) {
    if (command.fresh) rmSync(data, { recursive: true, force: true });
    const result = spawnSync('perf', ['stat', '-x,', '-e', 'task-clock', '-o', perfOut, '--', process.execPath, ...command.args], {
      input: readFileSync(join(work, command.input)),
      env: { ...process.env, CLAUDE_PROJECT_DIR: project, CLAUDE_PLUGIN_DATA: data },
    });
    if (result.status !== 0) throw new Error(`perf stat failed: ${result.stderr}`);
    if (name === 'hook, match' && !String(result.stdout).includes('additionalContext')) throw new Error('the matching run printed nothing');
    const line = readFileSync(perfOut, 'utf8')
      .split('\n')
      .find((l) => l.includes('task-clock'));
    cpu[name].push(Number(line.split(',')[0]));
  }
}
console.log(`\nCPU time per run (perf stat task-clock, ms), ${values['cpu-runs']} interleaved runs each`);
console.log('command                 p50     p95    Δp50 vs node   Δp95 vs node');
const cpuStats = Object.entries(cpu).map(([name, list]) => {
  const sorted = [...list].sort((a, b) => a - b);
  return { name, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95) };
});
for (const stat of cpuStats) {
  console.log(
    `${stat.name.padEnd(22)} ${stat.p50.toFixed(1).padStart(6)} ${stat.p95.toFixed(1).padStart(7)} ${(stat.p50 - cpuStats[0].p50).toFixed(1).padStart(12)} ${(stat.p95 - cpuStats[0].p95).toFixed(1).padStart(13)}`,
  );
}
rmSync(work, { recursive: true, force: true });
