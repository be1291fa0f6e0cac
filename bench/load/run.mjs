#!/usr/bin/env node
// Load-generator benchmark: perfeng load vs wrk vs autocannon against nginx on loopback,
// alternating tool order every round so machine noise hits all of them alike.
//
//   node bench/load/run.mjs [--rounds 3] [--duration 10] [--connections 50] [--undici] [--one-thread]
//                           [--nginx-workers auto] [--autocannon path/to/autocannon.js]
//
// Needs: nginx (apt nginx-light), wrk (apt), autocannon (devDependency), a built dist/.
// Prints req/s per tool per round, medians, and the ratios the issue sets as goals:
// perfeng ≥ 2× autocannon and ≥ 0.9× wrk.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startNginx } from './nginx.mjs';

// CPU per request: the machine this runs on is shared, so req/s mostly says who got the
// CPU. The CPU time (user+sys, all threads) a tool spends per request in its steady state
// is much less sensitive to that. It is sampled from /proc/<pid>/stat inside a window that
// skips start-up (Node tools take a while to boot on a busy machine) and shutdown.
const CLK_TCK = 100;
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime + stime
  } catch {
    return NaN;
  }
}
let lastWindow = { cpuS: NaN, serverCpuS: NaN, seconds: NaN };
const serverCpuSeconds = () => nginx.pids().reduce((sum, pid) => sum + cpuSeconds(pid), 0);
function run(cmd, argv, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const from = Math.min(4, duration * 0.3);
    const to = duration - 1;
    let a = NaN;
    let serverA = NaN;
    const t1 = setTimeout(() => {
      a = cpuSeconds(child.pid);
      serverA = serverCpuSeconds();
    }, from * 1000);
    const t2 = setTimeout(() => {
      lastWindow = { cpuS: cpuSeconds(child.pid) - a, serverCpuS: serverCpuSeconds() - serverA, seconds: to - from };
    }, to * 1000);
    child.on('close', () => {
      clearTimeout(t1);
      clearTimeout(t2);
      resolve({ stdout, stderr });
    });
  });
}

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
// --autocannon PATH runs another autocannon (e.g. 9.x installed in a scratch folder).
const autocannonBin = opt('autocannon', `${root}node_modules/autocannon/autocannon.js`);

const tools = {
  wrk: async (url) => {
    const { stdout } = await run('wrk', [`-t${Math.min(2, availableParallelism())}`, `-c${connections}`, `-d${duration}s`, url]);
    const m = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
    const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(stdout);
    return { rps: Number(m[1]), note: errors ? errors[0] : '' };
  },
  autocannon: async (url) => {
    const { stdout } = await run(process.execPath, [autocannonBin, '-c', String(connections), '-d', String(duration), '--json', url]);
    const r = JSON.parse(stdout);
    return { rps: r.requests.total / (r.duration || duration), note: r.errors || r.non2xx ? `errors ${r.errors} non2xx ${r.non2xx}` : '' };
  },
  perfeng: async (url) => {
    const { stdout } = await run(process.execPath, [cli, 'load', url, '-c', String(connections), '-d', `${duration}s`, '--json'], {
      cwd: '/tmp',
    }); // exit code 1 = a default threshold failed; the JSON is still there
    const r = JSON.parse(stdout);
    return {
      rps: r.throughputRps,
      note: `${r.engine}, ${r.generator.workers} threads, lag p99 ${r.generator.eventLoopLagP99Ms} ms, failed ${r.requests.failed}`,
    };
  },
};
if (args.includes('--one-thread')) {
  tools['perfeng-1thread'] = async (url) => {
    const { stdout } = await run(process.execPath, [cli, 'load', url, '-c', String(connections), '-d', `${duration}s`, '-w', '1', '--json'], { cwd: '/tmp' });
    const r = JSON.parse(stdout);
    return { rps: r.throughputRps, note: `${r.engine}, 1 thread` };
  };
}
if (withUndici) {
  tools['perfeng-undici'] = async (url) => {
    const { stdout } = await run(process.execPath, [cli, 'load', url, '-c', String(connections), '-d', `${duration}s`, '--engine', 'undici', '--json'], {
      cwd: '/tmp',
    });
    const r = JSON.parse(stdout);
    return { rps: r.throughputRps, note: `${r.engine}, ${r.generator.workers} threads` };
  };
}

const nginx = await startNginx({ workers: opt('nginx-workers', 'auto') });
const results = Object.fromEntries(Object.keys(tools).map((t) => [t, []]));
const cpuPerRequest = Object.fromEntries(Object.keys(tools).map((t) => [t, []]));
const serverCpuPerRequest = [];
try {
  const names = Object.keys(tools);
  for (let round = 0; round < rounds; round++) {
    // Rotate the order each round.
    const order = names.map((_, i) => names[(i + round) % names.length]);
    for (const name of order) {
      const r = await tools[name](nginx.url);
      results[name].push(r.rps);
      const usPerReq = (lastWindow.cpuS * 1e6) / (r.rps * lastWindow.seconds);
      cpuPerRequest[name].push(usPerReq);
      serverCpuPerRequest.push((lastWindow.serverCpuS * 1e6) / (r.rps * lastWindow.seconds));
      console.log(`round ${round + 1}  ${name.padEnd(15)} ${r.rps.toFixed(0).padStart(7)} req/s  ${usPerReq.toFixed(1).padStart(6)} µs CPU/request  ${r.note}`);
      await new Promise((res) => setTimeout(res, 1000));
    }
  }
} finally {
  await nginx.stop();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log('\nmedian req/s:');
for (const [name, xs] of Object.entries(results))
  console.log(`  ${name.padEnd(15)} ${median(xs).toFixed(0).padStart(7)}   (${xs.map((x) => x.toFixed(0)).join(', ')})`);
console.log('\nmedian client CPU per request (user+sys, all threads, steady-state window; lower is better):');
for (const [name, xs] of Object.entries(cpuPerRequest)) console.log(`  ${name.padEnd(15)} ${median(xs).toFixed(1).padStart(7)} µs`);
// What the machine allows at all: the server's own CPU per request bounds every client's
// throughput at cores / (server + client CPU per request); with a client that cost nothing,
// cores / server. A ratio goal above that ceiling cannot be met by any client here.
const serverUs = median(serverCpuPerRequest);
const cores = availableParallelism();
console.log(`\nnginx CPU per request (all its processes): median ${serverUs.toFixed(1)} µs`);
console.log(`ceiling on ${cores} cores with a zero-cost client: ${((cores * 1e6) / serverUs).toFixed(0)} req/s`);
for (const [name, xs] of Object.entries(cpuPerRequest)) {
  console.log(
    `  model ${name.padEnd(15)} ${((cores * 1e6) / (serverUs + median(xs))).toFixed(0).padStart(7)} req/s predicted from CPU per request, ${median(results[name]).toFixed(0)} measured`,
  );
}
const p = median(results.perfeng);
console.log(`\nperfeng / wrk        = ${(p / median(results.wrk)).toFixed(2)}  (goal ≥ 0.9)`);
console.log(`perfeng / autocannon = ${(p / median(results.autocannon)).toFixed(2)}  (goal ≥ 2)`);
console.log(`per-round ratios vs wrk: ${results.perfeng.map((x, i) => (x / results.wrk[i]).toFixed(2)).join(', ')}`);
console.log(`per-round ratios vs autocannon: ${results.perfeng.map((x, i) => (x / results.autocannon[i]).toFixed(2)).join(', ')}`);
console.log(
  `load average: ${(await import('node:os'))
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')} on ${availableParallelism()} cores`,
);
