#!/usr/bin/env node
// Memory of a long open-model run: histograms, not arrays of samples, so RSS stays flat.
//   node bench/load/memory.mjs [--rate 20000] [--duration 600]
// Prints perfeng's own peak RSS (sampled every second) and what rate it reached.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startNginx } from './nginx.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const rate = Number(opt('rate', 20000));
const duration = Number(opt('duration', 60));
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const nginx = await startNginx();
try {
  const { stdout } = await promisify(execFile)(process.execPath, [cli, 'load', nginx.url, '--rate', String(rate), '-d', `${duration}s`, '--json'], {
    cwd: '/tmp',
    maxBuffer: 1 << 26,
  }).catch((e) => e);
  const r = JSON.parse(stdout);
  console.log(
    `rate ${rate}/s for ${duration} s: ${r.requests.total} requests (${r.throughputRps} req/s), dropped ${r.requests.dropped}, ` +
      `peak RSS ${r.generator.peakRssMb} MB, ${r.generator.workers} threads, timeline ${r.timeline.length} points`,
  );
  for (const w of r.warnings) console.log(`  warning: ${w}`);
} finally {
  await nginx.stop();
}
