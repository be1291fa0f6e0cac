#!/usr/bin/env node
// Load-generator benchmark: perfeng load vs wrk vs autocannon against nginx on loopback,
// alternating tool order every round so machine noise hits all of them alike.
//
//   node bench/load/run.mjs [--rounds 3] [--duration 10] [--connections 50] [--undici]
//
// Needs: nginx (apt nginx-light), wrk (apt), autocannon (devDependency), a built dist/.
// Prints req/s per tool per round, medians, and the ratios the issue sets as goals:
// perfeng ≥ 2× autocannon and ≥ 0.9× wrk.
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startNginx } from './nginx.mjs';

const run = promisify(execFile);
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const rounds = Number(opt('rounds', 3));
const duration = Number(opt('duration', 10));
const connections = Number(opt('connections', 50));
const withUndici = args.includes('--undici');
const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = `${root}dist/cli.js`;
const autocannonBin = `${root}node_modules/autocannon/autocannon.js`;

const tools = {
  wrk: async (url) => {
    const { stdout } = await run('wrk', [`-t${Math.min(2, availableParallelism())}`, `-c${connections}`, `-d${duration}s`, url], { maxBuffer: 1 << 20 });
    const m = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
    const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(stdout);
    return { rps: Number(m[1]), note: errors ? errors[0] : '' };
  },
  autocannon: async (url) => {
    const { stdout } = await run(process.execPath, [autocannonBin, '-c', String(connections), '-d', String(duration), '--json', url], { maxBuffer: 1 << 24 });
    const r = JSON.parse(stdout);
    return { rps: r.requests.total / (r.duration || duration), note: r.errors || r.non2xx ? `errors ${r.errors} non2xx ${r.non2xx}` : '' };
  },
  perfeng: async (url) => {
    const { stdout } = await run(process.execPath, [cli, 'load', url, '-c', String(connections), '-d', `${duration}s`, '--json'], {
      maxBuffer: 1 << 24,
      cwd: '/tmp',
    }).catch((e) => e); // exit code 1 = a default threshold failed; the JSON is still there
    const r = JSON.parse(stdout);
    return { rps: r.throughputRps, note: `${r.engine}, ${r.generator.workers} threads, lag p99 ${r.generator.eventLoopLagP99Ms} ms, failed ${r.requests.failed}` };
  },
};
if (withUndici) {
  tools['perfeng-undici'] = async (url) => {
    const { stdout } = await run(process.execPath, [cli, 'load', url, '-c', String(connections), '-d', `${duration}s`, '--engine', 'undici', '--json'], {
      maxBuffer: 1 << 24,
      cwd: '/tmp',
    }).catch((e) => e);
    const r = JSON.parse(stdout);
    return { rps: r.throughputRps, note: `${r.engine}, ${r.generator.workers} threads` };
  };
}

const nginx = await startNginx();
const results = Object.fromEntries(Object.keys(tools).map((t) => [t, []]));
try {
  const names = Object.keys(tools);
  for (let round = 0; round < rounds; round++) {
    // Rotate the order each round.
    const order = names.map((_, i) => names[(i + round) % names.length]);
    for (const name of order) {
      const r = await tools[name](nginx.url);
      results[name].push(r.rps);
      console.log(`round ${round + 1}  ${name.padEnd(15)} ${r.rps.toFixed(0).padStart(7)} req/s  ${r.note}`);
      await new Promise((res) => setTimeout(res, 1000));
    }
  }
} finally {
  await nginx.stop();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log('\nmedian req/s:');
for (const [name, xs] of Object.entries(results)) console.log(`  ${name.padEnd(15)} ${median(xs).toFixed(0).padStart(7)}   (${xs.map((x) => x.toFixed(0)).join(', ')})`);
const p = median(results.perfeng);
console.log(`\nperfeng / wrk        = ${(p / median(results.wrk)).toFixed(2)}  (goal ≥ 0.9)`);
console.log(`perfeng / autocannon = ${(p / median(results.autocannon)).toFixed(2)}  (goal ≥ 2)`);
console.log(`per-round ratios vs wrk: ${results.perfeng.map((x, i) => (x / results.wrk[i]).toFixed(2)).join(', ')}`);
console.log(`per-round ratios vs autocannon: ${results.perfeng.map((x, i) => (x / results.autocannon[i]).toFixed(2)).join(', ')}`);
console.log(`load average: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} on ${availableParallelism()} cores`);
