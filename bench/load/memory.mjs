#!/usr/bin/env node
// Memory of a long open-model run: histograms, not arrays of samples, so RSS stays flat.
//   node bench/load/memory.mjs [--rate 20000] [--duration 600]
// Prints perfeng's own peak RSS (its result's generator.peakRssMb), what rate it reached, and
// the RSS of the process as seen from outside (/proc VmRSS, every 5 s) minute by minute, so a
// slow growth shows as a trend and not only as a peak.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startNginx } from './nginx.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const rate = Number(opt('rate', 20000));
const duration = Number(opt('duration', 600));
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

const nginx = await startNginx({ workers: opt('nginx-workers', 'auto') });
const trace = [];
try {
  const t0 = performance.now();
  let child;
  const stdout = await new Promise((resolve) => {
    child = execFile(
      process.execPath,
      [cli, 'load', nginx.url, '--rate', String(rate), '-d', `${duration}s`, '--json'],
      { cwd: '/tmp', maxBuffer: 1 << 26 },
      (_error, out) => resolve(out),
    );
    const sampler = setInterval(() => {
      const mb = rssMb(child.pid);
      if (Number.isFinite(mb)) trace.push({ s: (performance.now() - t0) / 1000, mb });
    }, 5000);
    child.on('exit', () => clearInterval(sampler));
  });
  const r = JSON.parse(stdout);
  console.log(
    `rate ${rate}/s for ${duration} s: ${r.requests.total} requests (${r.throughputRps} req/s), dropped ${r.requests.dropped}, ` +
      `peak RSS ${r.generator.peakRssMb} MB, ${r.generator.workers} threads, timeline ${r.timeline.length} points`,
  );
  for (const w of r.warnings) console.log(`  warning: ${w}`);
  console.log('RSS from /proc (MB), max per minute:');
  const byMinute = new Map();
  for (const { s, mb } of trace) byMinute.set(Math.floor(s / 60), Math.max(byMinute.get(Math.floor(s / 60)) ?? 0, mb));
  console.log(`  ${[...byMinute].map(([m, mb]) => `min ${m + 1}: ${mb.toFixed(0)}`).join(', ')}`);
  const max = Math.max(...trace.map((x) => x.mb));
  console.log(`  max ${max.toFixed(0)} MB over ${trace.length} samples — target < 200 MB: ${max < 200 && r.generator.peakRssMb < 200 ? 'MET' : 'NOT MET'}`);
} finally {
  await nginx.stop();
}
