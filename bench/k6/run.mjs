#!/usr/bin/env node
// k6 scripts on our engine (src/load/k6/): the two figures, against nginx on loopback.
//
//   node bench/k6/run.mjs [--vus 200] [--ramp 10] [--hold 20] [--sleep 0.5] [--connections 50] [--duration 10] [--rounds 2] [--cost-only]
//
// 1. 200 VUs of a stages + checks + sleep script (ramping-vus): throughput, p99, peak RSS, CPU.
// 2. Per-request cost of the script path vs a plain run_load_test of the same target and
//    concurrency (no sleep), alternating in the same run: client CPU per request (process CPU
//    over the measured run ÷ requests) and req/s; efficiency = plain cost / script cost.
// Needs: nginx (apt nginx-light), a built dist/.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNginx } from '../load/nginx.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const vus = opt('vus', 200);
const ramp = opt('ramp', 10);
const hold = opt('hold', 20);
const sleepS = opt('sleep', 0.5);
const connections = opt('connections', 50);
const duration = opt('duration', 10);
const rounds = opt('rounds', 2);
const costOnly = args.includes('--cost-only');
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

function perfeng(argv, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'load', ...argv, '--json'], {
      cwd,
      env: { ...process.env, PERFENG_PROJECT_DIR: cwd },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('close', () => {
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`perfeng failed: ${err || out}`));
      }
    });
  });
}

const costUs = (r) => ((r.generator.cpuPct / 100) * r.durationS * 1e6) / Math.max(1, r.requests.total);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const nginx = await startNginx({ workers: 1 });
const project = mkdtempSync(join(tmpdir(), 'perfeng-k6-bench-'));
try {
  writeFileSync(
    join(project, 'stages.js'),
    `import http from 'k6/http';
import { check, sleep } from 'k6';
export const options = {
  stages: [{ duration: '${ramp}s', target: ${vus} }, { duration: '${hold}s', target: ${vus} }, { duration: '2s', target: 0 }],
  thresholds: { http_req_duration: ['p(99)<500'], checks: ['rate>0.99'] },
};
export default function () {
  const res = http.get(__ENV.BASE_URL);
  check(res, { 'status 200': (r) => r.status === 200, 'body': (r) => r.body.includes('nginx') });
  sleep(${sleepS});
}
`,
  );
  writeFileSync(
    join(project, 'tight.js'),
    `import http from 'k6/http';
import { check } from 'k6';
export const options = { vus: ${connections}, duration: '${duration}s' };
export default function () { check(http.get(__ENV.BASE_URL), { 'status 200': (r) => r.status === 200 }); }
`,
  );
  if (!costOnly) await stagesRun();
  async function stagesRun() {
    console.log(`1) ${vus} VUs, stages ${ramp}s ramp + ${hold}s hold + 2s down, check + sleep(${sleepS}) against ${nginx.url}`);
    const s = await perfeng(['stages.js', '-e', `BASE_URL=${nginx.url}`], project);
    console.log(
      `   ${s.requests.total} requests in ${s.durationS} s = ${s.throughputRps} req/s, iterations ${s.iterations.total}, VUs max ${s.vusMax}, ` +
        `p50 ${s.latencyMs.p50} ms, p99 ${s.latencyMs.p99} ms, max ${s.latencyMs.max} ms, checks failed ${s.checks.reduce((n, c) => n + c.fails, 0)}, ` +
        `peak RSS ${s.generator.peakRssMb} MB, CPU ${s.generator.cpuPct}%, event-loop lag p99 ${s.generator.eventLoopLagP99Ms} ms, passed ${s.passed}`,
    );
    const peak = s.timeline.filter((p) => p.active >= vus);
    if (peak.length)
      console.log(`   at ${vus} VUs: ${median(peak.map((p) => p.rps))} req/s median per second (ideal ≈ ${Math.round(vus / sleepS)} with zero latency)`);
  }

  console.log(`2) per-request cost, ${connections} concurrent, ${duration}s, no sleep, ${rounds} rounds alternating`);
  const plain = [];
  const script = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 ? ['script', 'plain'] : ['plain', 'script'];
    for (const which of order) {
      const r =
        which === 'plain'
          ? await perfeng([nginx.url, '-c', String(connections), '-d', `${duration}s`, '-w', '1', '-t', 'http_req_failed=rate<0.01'], project)
          : await perfeng(['tight.js', '-e', `BASE_URL=${nginx.url}`], project);
      (which === 'plain' ? plain : script).push(r);
      console.log(
        `   round ${round + 1} ${which.padEnd(6)} ${r.throughputRps} req/s, ${costUs(r).toFixed(1)} µs CPU/request, p99 ${r.latencyMs.p99} ms, RSS ${r.generator.peakRssMb} MB`,
      );
    }
  }
  const plainCost = median(plain.map(costUs));
  const scriptCost = median(script.map(costUs));
  const plainRps = median(plain.map((r) => r.throughputRps));
  const scriptRps = median(script.map((r) => r.throughputRps));
  console.log(`   median: plain ${plainCost.toFixed(1)} µs/request (${plainRps} req/s), script ${scriptCost.toFixed(1)} µs/request (${scriptRps} req/s)`);
  console.log(
    `   efficiency of the script path (plain cost / script cost): ${(plainCost / scriptCost).toFixed(2)}×; throughput ratio ${(scriptRps / plainRps).toFixed(2)}×`,
  );
} finally {
  await nginx.stop?.();
  rmSync(project, { recursive: true, force: true });
}
